"""The database connection dropping in the middle of a settle leaves nothing half-written.

A settle with a coupon, points, stored value and cash writes four ledgers, the stock, the payments
and the idempotency record in one transaction. The connection is cut at several points of that
transaction and at COMMIT: the client gets a clean 503, every table is as it was, and the same
request retried with the same Idempotency-Key once the database answers again settles exactly once.
When the connection is lost just after the server committed (the acknowledgement never arrives),
the client also sees a 503, and its retry replays the committed outcome instead of paying twice.

On PostgreSQL the server process of the connection is terminated for real; on SQLite the DBAPI
connection is closed underneath, or the driver raises OperationalError.
"""

import pytest

from app.extensions import db
from tests.counter_fixtures import catalog, fixed_clock, member  # noqa: F401  (fixtures)
from tests.factories import give_coupon, give_points, open_order, top_up
from tests.faults.connection_faults import ConnectionDrop, LostCommitAcknowledgement
from tests.helpers import ON_POSTGRES, error_code, settle
from tests.ledgers import ledgers, scalar, table_rows

WASH, FILTER = 5000, 8000
TOTAL = WASH + FILTER
COUPON_FEN, POINTS, STORED_FEN = 1000, 2000, 5000  # 2,000 points are worth 20 yuan
CASH_FEN = TOTAL - COUPON_FEN - POINTS - STORED_FEN

# Where the connection goes: statements spread over the transaction (after the coupon and points
# were spent, after the wallet, after the stock, with the idempotency record's outcome) and COMMIT.
STATEMENTS = {
    # On PostgreSQL the wallet's UPDATE and its entry are one statement (app/wallet/rows.py).
    "wallet-debit": "WITH moved AS (UPDATE wallets" if ON_POSTGRES else "UPDATE wallets",
    "payment-rows": "INSERT INTO work_order_payments",
    "stock-movement": "INSERT INTO part_stock_movements",
    "idempotency-outcome": "UPDATE idempotency_records",
}
# (how, statement or None for COMMIT): a driver error raised at COMMIT is what "close" produces there.
HOWS = ["terminate"] if ON_POSTGRES else ["close", "raise"]
DROPS = [pytest.param(how, statement, id=f"{how}-{name}") for how in HOWS for name, statement in STATEMENTS.items()]
DROPS += [pytest.param(how, None, id=f"{how}-commit") for how in HOWS if how != "raise"]


@pytest.fixture
def counter(app, api, staff_tokens, stores, catalog, member):
    """A member with stored value, points and a coupon, and an open order for a wash and a filter."""
    top_up(app, member["id"], 100000)
    give_points(app, member["id"], 5000)
    coupon_id = give_coupon(app, member["id"], kind="cash_off", value_fen=COUPON_FEN)
    order = open_order(
        api,
        staff_tokens["cashier"],
        stores[0],
        [{"service_item_id": catalog["wash"], "quantity": 1}, {"part_id": catalog["filter"], "quantity": 1}],
    )
    tenders = [
        {"type": "coupon", "member_coupon_id": coupon_id},
        {"type": "points", "points": POINTS},
        {"type": "stored_value", "amount_fen": STORED_FEN},
        {"type": "cash", "amount_fen": CASH_FEN},
    ]
    return {"order": order, "tenders": tenders, "coupon_id": coupon_id, "member_id": member["id"]}


def _engine(app):
    with app.app_context():
        return db.engine


def _idempotency_records(app):
    return scalar(app, "SELECT COUNT(*) FROM idempotency_records")


@pytest.mark.parametrize("how, statement", DROPS)
def test_a_connection_lost_mid_settle_changes_nothing_and_the_retry_settles_once(
    app, api, staff_tokens, counter, catalog, how, statement
):
    cashier, order, member_id = staff_tokens["cashier"], counter["order"], counter["member_id"]
    before, before_ledgers = table_rows(app), ledgers(app, member_id)
    assert _idempotency_records(app) == 0

    with ConnectionDrop(_engine(app), how=how, statement=statement, at_commit=statement is None) as drop:
        failed = settle(api, cashier, order["id"], counter["tenders"], key="settle-1")
    assert drop.dropped

    assert failed.status_code == 503
    assert failed.get_json() == {
        "error": {
            "code": "database_unavailable",
            "message": "The service is briefly unavailable; try again.",
            "details": {},
        }
    }
    assert failed.headers["Retry-After"] == "1"
    assert b"Traceback" not in failed.data

    # Nothing of the settle survived: every table as before, no idempotency record at all.
    assert table_rows(app) == before
    assert ledgers(app, member_id) == before_ledgers
    assert _idempotency_records(app) == 0
    assert api.get(f"/work-orders/{order['id']}", cashier).json["status"] == order["status"]

    # The pool recovered: the retry with the same key settles, and only once.
    retried = settle(api, cashier, order["id"], counter["tenders"], key="settle-1")
    assert retried.status_code == 200, retried.json
    assert retried.json["status"] == "settled" and "Idempotent-Replayed" not in retried.headers
    replayed = settle(api, cashier, order["id"], counter["tenders"], key="settle-1")
    assert replayed.status_code == 200 and replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.json == retried.json

    after = ledgers(app, member_id)
    ((principal, bonus, balance),) = before_ledgers["wallet"]
    assert after["wallet"] == [(principal - STORED_FEN, bonus, balance - STORED_FEN)]
    assert after["wallet_entries"] == [(before_ledgers["wallet_entries"][0][0] - STORED_FEN, 0)]
    assert after["coupons"] == [(counter["coupon_id"], "used")]
    earned = retried.json["points_earned"]
    assert after["points"] == [(before_ledgers["points"][0][0] - POINTS + earned,)]
    stock = dict(after["stock"])
    assert stock[catalog["filter"]] == dict(before_ledgers["stock"])[catalog["filter"]] - 1
    assert scalar(app, "SELECT COUNT(*) FROM work_order_payments WHERE work_order_id = :o", o=order["id"]) == 4
    assert scalar(app, "SELECT COUNT(*) FROM wallet_entries WHERE ref_id = :o AND kind = 'spend'", o=order["id"]) == 1
    assert scalar(app, "SELECT COUNT(*) FROM idempotency_records WHERE status_code = 200") == 1


def test_a_lost_connection_answers_503_on_reads_too_and_the_next_request_works(app, api, staff_tokens, counter):
    """Not only the write boundary: any request whose connection dies answers the same clean 503."""
    how = "terminate" if ON_POSTGRES else "close"
    path = f"/work-orders/{counter['order']['id']}"
    with ConnectionDrop(_engine(app), how=how, statement="SELECT work_orders") as drop:
        response = api.get(path, staff_tokens["cashier"])
    assert drop.dropped
    assert response.status_code == 503 and response.json["error"]["code"] == "database_unavailable"
    assert api.get(path, staff_tokens["cashier"]).status_code == 200


def test_a_commit_whose_acknowledgement_is_lost_is_replayed_not_repeated(app, api, staff_tokens, counter, catalog):
    cashier, order, member_id = staff_tokens["cashier"], counter["order"], counter["member_id"]
    before_ledgers = ledgers(app, member_id)
    with LostCommitAcknowledgement(_engine(app)) as lost:
        failed = settle(api, cashier, order["id"], counter["tenders"], key="settle-1")
    assert lost.committed == 1
    assert failed.status_code == 503 and error_code(failed) == "database_unavailable"

    retried = settle(api, cashier, order["id"], counter["tenders"], key="settle-1")
    assert retried.status_code == 200 and retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json["status"] == "settled"
    after = ledgers(app, member_id)
    assert after["wallet"][0][2] == before_ledgers["wallet"][0][2] - STORED_FEN
    assert after["points"] == [(before_ledgers["points"][0][0] - POINTS + retried.json["points_earned"],)]
    assert after["coupons"] == [(counter["coupon_id"], "used")]
    assert scalar(app, "SELECT COUNT(*) FROM work_order_payments WHERE work_order_id = :o", o=order["id"]) == 4
    assert scalar(app, "SELECT COUNT(*) FROM part_stock_movements WHERE ref_id = :o", o=order["id"]) == 1
