"""Concurrent debits from one wallet or points account: real threads, one connection and one
committed transaction each. Runs on SQLite (serialised by BEGIN IMMEDIATE) and on PostgreSQL
(row locks), where it matters most."""

from sqlalchemy import select

from app.extensions import db
from app.wallet import points
from app.wallet import services as wallet
from app.wallet.models import WalletEntry
from app.wallet.plans import create_topup_plan
from tests.helpers import Api, run_concurrently, run_together
from tests.ledgers import ledger_state

THREADS = 20


def test_twenty_concurrent_spends_from_a_wallet_that_affords_five(app, member_id):
    with app.app_context():
        plan = create_topup_plan(data={"name": "充400送100", "pay_fen": 400, "bonus_fen": 100})
        wallet.top_up(member_id=member_id, amount_fen=400, plan_id=plan.id, paid_via="cash")
        db.session.commit()

    outcomes = run_concurrently(
        app, lambda i: wallet.spend(member_id=member_id, amount_fen=100, ref_type="work_order", ref_id=i), THREADS
    )

    assert sorted(outcomes) == ["insufficient_balance"] * 15 + ["ok"] * 5, outcomes
    with app.app_context():
        state = ledger_state(member_id)
        assert (state["balance_fen"], state["principal_fen"], state["bonus_fen"]) == (0, 0, 0)
        assert state["entries_fen"] == (0, 0, 0)
        spends = db.session.scalars(select(WalletEntry).where(WalletEntry.kind == "spend")).all()
        assert sorted(entry.balance_after_fen for entry in spends) == [0, 100, 200, 300, 400]


def test_twenty_concurrent_redeems_from_points_that_afford_five(app, member_id):
    with app.app_context():
        points.adjust_points(member_id=member_id, points=500, reason="opening balance")
        db.session.commit()

    outcomes = run_concurrently(
        app, lambda i: points.redeem(member_id=member_id, points=100, ref_type="work_order", ref_id=i), THREADS
    )

    assert sorted(outcomes) == ["insufficient_points"] * 15 + ["ok"] * 5, outcomes
    with app.app_context():
        state = ledger_state(member_id)
        assert state["points"] == state["points_entries"] == state["points_lots"] == 0


def test_twenty_concurrent_first_top_ups_create_one_wallet(app, member_id):
    outcomes = run_concurrently(
        app, lambda i: wallet.top_up(member_id=member_id, amount_fen=100 + i, paid_via="cash"), THREADS
    )

    assert outcomes == ["ok"] * THREADS, outcomes
    with app.app_context():
        state = ledger_state(member_id)
        total = sum(100 + i for i in range(THREADS))
        assert state["balance_fen"] == state["entries_fen"][0] == total


def test_twenty_concurrent_confirms_of_one_payment_credit_once(app, member_login):
    token, _ = member_login("alice")
    trade_no = (
        Api(app.test_client()).post("/me/topups", token, json={"amount_fen": 700}).json["payment"]["out_trade_no"]
    )

    def confirm():
        return Api(app.test_client()).post(f"/dev/payments/{trade_no}/confirm").status_code

    statuses = run_together(*[confirm] * THREADS)

    assert statuses == [200] * THREADS
    with app.app_context():
        assert [entry.amount_fen for entry in db.session.scalars(select(WalletEntry))] == [700]
