"""how many cars hold each plate trigram, for the counter's lookup of a three-character fragment:
its total was every car with the trigram counted from the index (about 11 at 100,000 members, 96 at
a million, up to 300), the part of the lookup that grew with the chain

The counts are added, never updated: a statement that adds or removes a car's trigrams adds one row
per trigram it touched (+n or -n), so two cashiers adding cars at once never wait for each other's
row and a bulk load takes no lock a counter's car needs. A trigram's count is the sum of its rows,
read from one index; the nightly ``plate_trigram_counts`` job folds each trigram's rows into one.

Revision ID: 0045
Revises: 0044
"""

import sqlalchemy as sa
from alembic import op

revision = "0045"
down_revision = "0044"
branch_labels = None
depends_on = None

_TRIGGERS = ("plate_trigram_counts_insert", "plate_trigram_counts_delete")


def upgrade():
    op.create_table(
        "plate_trigram_counts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("trigram", sa.String(length=3), nullable=False),
        sa.Column("cars", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plate_trigram_counts")),
    )
    op.create_index("ix_plate_trigram_counts_trigram_cars", "plate_trigram_counts", ["trigram", "cars"])
    op.execute(
        "INSERT INTO plate_trigram_counts (trigram, cars) SELECT trigram, count(*) FROM plate_trigrams GROUP BY trigram"
    )
    if op.get_bind().dialect.name == "postgresql":
        # Statement triggers over transition tables: one row per trigram a statement touched.
        for name, rows, sign in (
            ("plate_trigram_counts_of_inserted", "inserted_trigrams", ""),
            ("plate_trigram_counts_of_deleted", "deleted_trigrams", "-"),
        ):
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"INSERT INTO plate_trigram_counts (trigram, cars) SELECT trigram, {sign}count(*) FROM {rows} "
                "GROUP BY trigram; RETURN NULL; END $$"
            )
        op.execute(
            "CREATE TRIGGER plate_trigram_counts_insert AFTER INSERT ON plate_trigrams "
            "REFERENCING NEW TABLE AS inserted_trigrams FOR EACH STATEMENT "
            "EXECUTE FUNCTION plate_trigram_counts_of_inserted()"
        )
        op.execute(
            "CREATE TRIGGER plate_trigram_counts_delete AFTER DELETE ON plate_trigrams "
            "REFERENCING OLD TABLE AS deleted_trigrams FOR EACH STATEMENT "
            "EXECUTE FUNCTION plate_trigram_counts_of_deleted()"
        )
    else:
        op.execute(
            "CREATE TRIGGER plate_trigram_counts_insert AFTER INSERT ON plate_trigrams "
            "BEGIN INSERT INTO plate_trigram_counts (trigram, cars) VALUES (NEW.trigram, 1); END"
        )
        op.execute(
            "CREATE TRIGGER plate_trigram_counts_delete AFTER DELETE ON plate_trigrams "
            "BEGIN INSERT INTO plate_trigram_counts (trigram, cars) VALUES (OLD.trigram, -1); END"
        )


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name in _TRIGGERS:
        op.execute(f"DROP TRIGGER {name}" + (" ON plate_trigrams" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION plate_trigram_counts_of_inserted()")
        op.execute("DROP FUNCTION plate_trigram_counts_of_deleted()")
    op.drop_index("ix_plate_trigram_counts_trigram_cars", table_name="plate_trigram_counts")
    op.drop_table("plate_trigram_counts")
