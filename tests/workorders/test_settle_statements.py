"""What a settle and a quote read and write, statement by statement: each row once, the ledger
moves folded into as few statements as the database allows, and the same ledger rows as always."""

import re

from sqlalchemy import event, select

from app.extensions import db
from app.wallet.models import PointsAccount, PointsEntry, PointsLot, Wallet, WalletEntry
from tests.factories import give_points, open_order, top_up
from tests.helpers import ON_POSTGRES, settle


def _statements(app, call):
    """The response of ``call()`` and the SQL statements it sent."""
    statements = []
    with app.app_context():
        listener = lambda *args: statements.append(" ".join(args[2].split()))  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            response = call()
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200, response.json
    return response, statements


def _matching(statements, pattern):
    return [statement for statement in statements if re.search(pattern, statement)]


def _order(api, staff_tokens, stores, catalog):
    return open_order(
        api,
        staff_tokens["cashier"],
        stores[0],
        [{"service_item_id": catalog["wash"], "quantity": 1}, {"part_id": catalog["filter"], "quantity": 1}],
    )


def test_a_settle_reads_each_row_once_and_writes_each_ledger_move_together(
    app, api, staff_tokens, stores, catalog, member
):
    top_up(app, member["id"], 20000)
    give_points(app, member["id"], 500)
    order = _order(api, staff_tokens, stores, catalog)
    tenders = [{"type": "stored_value", "amount_fen": 5000}, {"type": "cash", "amount_fen": order["total_fen"] - 5000}]

    response, statements = _statements(
        app, lambda: settle(api, staff_tokens["cashier"], order["id"], tenders, key="settle-statements")
    )

    body = response.json
    # The request's own statements: up to its answer stored for the Idempotency-Key (what runs after
    # the commit, the owner's figures, is deferred work of its own).
    answered = next(i for i, sql in enumerate(statements) if sql.startswith("UPDATE idempotency_records"))
    statements = statements[: answered + 1]
    assert body["status"] == "settled" and body["points_earned"] == body["paid_fen"] // 100
    # The member (with the tier that prices the order), the car, the wallet and the points account
    # are each read once; the tier's discounts are not read apart from the member.
    assert len(_matching(statements, r"^SELECT members\.id\b")) == 1
    assert _matching(statements, r"^SELECT tiers\.labor_discount_percent") == []
    assert _matching(statements, r"^SELECT vehicles\.") == []
    assert _matching(statements, r"^SELECT work_order_line_technicians\.") == []
    assert len(_matching(statements, r"^SELECT wallets\.")) == 1
    assert len(_matching(statements, r"^SELECT points_accounts\.")) == 1
    # The earning asks nothing more when the reference has not earned and no lot is due.
    assert _matching(statements, r"^SELECT points_entries\.") == []
    assert _matching(statements, r"^SELECT points_lots\.") == []
    if ON_POSTGRES:
        # One statement moves the wallet and appends its entry; one moves the points account and
        # writes the lot and its entry.
        assert len(_matching(statements, r"^WITH moved AS \(UPDATE wallets .* INSERT INTO wallet_entries")) == 1
        assert _matching(statements, r"^(UPDATE wallets|INSERT INTO wallet_entries)") == []
        earn = _matching(statements, r"^WITH moved AS \(UPDATE points_accounts .*INSERT INTO points_lots")
        assert len(earn) == 1 and "INSERT INTO points_entries" in earn[0]
        assert _matching(statements, r"^(UPDATE points_accounts|INSERT INTO points_(entries|lots))") == []

    with app.app_context():
        wallet = db.session.get(Wallet, member["id"])
        spend = db.session.scalars(select(WalletEntry).where(WalletEntry.kind == "spend")).one()
        assert (spend.ref_type, spend.ref_id, spend.amount_fen) == ("work_order", order["id"], -5000)
        assert (spend.principal_fen, spend.bonus_fen, spend.balance_after_fen) == (-5000, 0, 15000)
        assert (wallet.principal_fen, wallet.bonus_fen, wallet.balance_fen) == (15000, 0, 15000)
        earned = db.session.scalars(select(PointsEntry).where(PointsEntry.kind == "earn")).one()
        lot = db.session.get(PointsLot, earned.lot_id)
        points = body["points_earned"]
        assert (earned.ref_type, earned.ref_id, earned.points, earned.balance_after) == (
            "work_order",
            order["id"],
            points,
            500 + points,
        )
        assert (earned.shortfall, earned.created_at is not None) == (0, True)
        assert (lot.member_id, lot.earned, lot.remaining, lot.ref_type, lot.ref_id) == (
            member["id"],
            points,
            points,
            "work_order",
            order["id"],
        )
        assert lot.earned_at is not None and lot.expires_at > lot.earned_at and lot.expired_at is None
        assert db.session.get(PointsAccount, member["id"]).balance == 500 + points


def test_a_quote_reads_the_lines_with_the_order(app, api, staff_tokens, stores, catalog, member):
    order = _order(api, staff_tokens, stores, catalog)
    response, statements = _statements(
        app,
        lambda: api.post(
            f"/work-orders/{order['id']}/quote",
            staff_tokens["cashier"],
            json={"tenders": [{"type": "cash", "amount_fen": order["total_fen"]}]},
        ),
    )
    assert response.json["remaining_fen"] == 0 and len(response.json["lines"]) == 2
    assert len(_matching(statements, r"^SELECT work_orders\..* JOIN work_order_lines")) == 1
    assert _matching(statements, r"^SELECT work_order_lines\.") == []
    assert _matching(statements, r"^SELECT work_order_line_technicians\.") == []
    assert _matching(statements, r"^SELECT tiers\.labor_discount_percent") == []
