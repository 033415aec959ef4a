"""the counter's plate lookup reads a table of every car's plate trigrams: (trigram, plate,
vehicle) rows in one B-tree, kept by triggers on the cars, so the lookup counts its matches and
cuts its page of them from the index alone

The trigram index on the plate (0012) is lossy: every match's row is read from the table and
checked again, then all of them sorted by plate. A three-character fragment matches about 12 cars
at 100,000 members and about 110 at a million, so that part of the lookup grew with the data.

Revision ID: 0042
Revises: 0041
"""

import sqlalchemy as sa
from alembic import op

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None

# Plates are at most 10 characters (vehicles.plate is VARCHAR(10)): trigrams start at 1 to 8.
_POSITIONS = "(" + " UNION ALL ".join(f"SELECT {n} AS position" for n in range(1, 9)) + ")"


def _trigrams_of(cars):
    """The rows (trigram, plate, vehicle_id) of the cars in ``cars`` (a table or a transition
    table with id and plate), each trigram of a plate once."""
    return (
        f"SELECT DISTINCT substr(car.plate, p.position, 3), car.plate, car.id FROM {cars} AS car "
        f"JOIN {_POSITIONS} AS p ON p.position <= length(car.plate) - 2"
    )


def _delete_trigrams_of(cars):
    # By the whole primary key (trigram, plate, vehicle_id): no other index to keep.
    return (
        f"DELETE FROM plate_trigrams WHERE (trigram, plate, vehicle_id) IN "
        f"(SELECT substr(car.plate, p.position, 3), car.plate, car.id FROM {cars} AS car "
        f"JOIN {_POSITIONS} AS p ON p.position <= length(car.plate) - 2)"
    )


_INSERT = "INSERT INTO plate_trigrams (trigram, plate, vehicle_id) "


def upgrade():
    op.create_table(
        "plate_trigrams",
        sa.Column("trigram", sa.String(length=3), nullable=False),
        sa.Column("plate", sa.String(length=10), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("trigram", "plate", "vehicle_id", name=op.f("pk_plate_trigrams")),
    )
    op.execute(_INSERT + _trigrams_of("vehicles"))
    # A row trigger's car, as a one-row table for the same statements.
    old_car, new_car = "(SELECT OLD.id AS id, OLD.plate AS plate)", "(SELECT NEW.id AS id, NEW.plate AS plate)"
    if op.get_bind().dialect.name == "postgresql":
        # Statement triggers over transition tables: a bulk load (COPY, an import) writes its cars'
        # trigrams in one set. A plate's change is a row trigger whose WHEN, checked without calling
        # the function, lets every other update of a car (its mileage at each settle) pass for free.
        for name, body in (
            ("plate_trigrams_of_inserted_cars", f"{_INSERT}{_trigrams_of('inserted_cars')};"),
            ("plate_trigrams_of_deleted_cars", f"{_delete_trigrams_of('deleted_cars')};"),
            (
                "plate_trigrams_of_replated_car",
                f"{_delete_trigrams_of(old_car)}; {_INSERT}{_trigrams_of(new_car)};",
            ),
        ):
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} RETURN NULL; END $$"
            )
        op.execute(
            "CREATE TRIGGER plate_trigrams_insert AFTER INSERT ON vehicles REFERENCING NEW TABLE AS inserted_cars "
            "FOR EACH STATEMENT EXECUTE FUNCTION plate_trigrams_of_inserted_cars()"
        )
        op.execute(
            "CREATE TRIGGER plate_trigrams_delete AFTER DELETE ON vehicles REFERENCING OLD TABLE AS deleted_cars "
            "FOR EACH STATEMENT EXECUTE FUNCTION plate_trigrams_of_deleted_cars()"
        )
        op.execute(
            "CREATE TRIGGER plate_trigrams_update AFTER UPDATE OF plate ON vehicles FOR EACH ROW "
            "WHEN (OLD.plate IS DISTINCT FROM NEW.plate) EXECUTE FUNCTION plate_trigrams_of_replated_car()"
        )
    else:
        op.execute(
            f"CREATE TRIGGER plate_trigrams_insert AFTER INSERT ON vehicles BEGIN {_INSERT}{_trigrams_of(new_car)}; END"
        )
        op.execute(
            f"CREATE TRIGGER plate_trigrams_delete AFTER DELETE ON vehicles BEGIN {_delete_trigrams_of(old_car)}; END"
        )
        op.execute(
            "CREATE TRIGGER plate_trigrams_update AFTER UPDATE OF plate ON vehicles "
            f"WHEN OLD.plate IS NOT NEW.plate BEGIN {_delete_trigrams_of(old_car)}; {_INSERT}{_trigrams_of(new_car)}; END"
        )


def downgrade():
    for name in ("plate_trigrams_insert", "plate_trigrams_delete", "plate_trigrams_update"):
        op.execute(f"DROP TRIGGER {name}" + (" ON vehicles" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        for name in (
            "plate_trigrams_of_inserted_cars",
            "plate_trigrams_of_deleted_cars",
            "plate_trigrams_of_replated_car",
        ):
            op.execute(f"DROP FUNCTION {name}()")
    op.drop_table("plate_trigrams")
