"""Concurrent debits from one wallet or points account: real threads, one connection and one
committed transaction each. Runs on SQLite (serialised by BEGIN IMMEDIATE) and on PostgreSQL
(row locks), where it matters most."""

import threading

from sqlalchemy import select

from app.common.errors import Conflict
from app.extensions import db
from app.wallet import points
from app.wallet import services as wallet
from app.wallet.models import WalletEntry
from app.wallet.plans import create_topup_plan
from tests.conftest import Api
from tests.wallet.conftest import ledger_state

THREADS = 20


def run_together(app, work):
    """Run ``work(i)`` in THREADS threads released at once; each commits or rolls back.
    Returns the outcomes: "ok" or the Conflict code."""
    barrier = threading.Barrier(THREADS)
    outcomes = [None] * THREADS

    def worker(i):
        with app.app_context():
            barrier.wait()
            try:
                work(i)
                db.session.commit()
                outcomes[i] = "ok"
            except Conflict as error:
                db.session.rollback()
                outcomes[i] = error.code
            except Exception as error:  # recorded, so the assertion shows it
                db.session.rollback()
                outcomes[i] = repr(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def test_twenty_concurrent_spends_from_a_wallet_that_affords_five(app, member_id):
    with app.app_context():
        plan = create_topup_plan(data={"name": "充400送100", "pay_fen": 400, "bonus_fen": 100})
        wallet.top_up(member_id=member_id, amount_fen=400, plan_id=plan.id, paid_via="cash")
        db.session.commit()

    outcomes = run_together(
        app, lambda i: wallet.spend(member_id=member_id, amount_fen=100, ref_type="work_order", ref_id=i)
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

    outcomes = run_together(
        app, lambda i: points.redeem(member_id=member_id, points=100, ref_type="work_order", ref_id=i)
    )

    assert sorted(outcomes) == ["insufficient_points"] * 15 + ["ok"] * 5, outcomes
    with app.app_context():
        state = ledger_state(member_id)
        assert state["points"] == state["points_entries"] == state["points_lots"] == 0


def test_twenty_concurrent_first_top_ups_create_one_wallet(app, member_id):
    outcomes = run_together(app, lambda i: wallet.top_up(member_id=member_id, amount_fen=100 + i, paid_via="cash"))

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
    barrier = threading.Barrier(THREADS)
    statuses = [None] * THREADS

    def confirm(i):
        client = app.test_client()
        barrier.wait()
        statuses[i] = client.post(f"/api/v1/dev/payments/{trade_no}/confirm").status_code

    threads = [threading.Thread(target=confirm, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert statuses == [200] * THREADS
    with app.app_context():
        assert [entry.amount_fen for entry in db.session.scalars(select(WalletEntry))] == [700]
