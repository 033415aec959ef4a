"""Stored-value rules at the service level: top-ups, the spend rule, refunds, reversals."""

import pytest

from app.common.errors import Conflict, NotFound, Unprocessable
from app.extensions import db
from app.members.services import get_member, member_summaries
from app.members.tiers.services import create_tier
from app.wallet import services as wallet
from app.wallet.models import WalletEntry
from app.wallet.plans import create_topup_plan
from tests.ledgers import ledger_state, session_count


def test_spend_split_is_proportional_and_never_overdraws_a_part():
    assert wallet.spend_split(110, 1000, 100) == (100, 10)
    assert wallet.spend_split(1, 2, 1) == (0, 1)  # the bonus rounds up by at most a fen
    assert wallet.spend_split(500, 500, 0) == (500, 0)
    assert wallet.spend_split(30, 0, 30) == (0, 30)
    for amount in range(1, 101):
        principal, bonus = wallet.spend_split(amount, 70, 30)
        assert principal + bonus == amount and 0 <= principal <= 70 and 0 <= bonus <= 30


def test_refund_forfeits_bonus_in_proportion():
    assert wallet.refund_bonus_forfeit(500, 1000, 100) == 50
    assert wallet.refund_bonus_forfeit(1000, 1000, 100) == 100
    assert wallet.refund_bonus_forfeit(1, 1000, 100) == 1  # rounds up
    assert wallet.refund_bonus_forfeit(300, 300, 0) == 0


def test_top_up_with_plan_credits_bonus_and_spend_follows_the_rule(app, member_id):
    with app.app_context():
        plan = create_topup_plan(data={"name": "充1000送100", "pay_fen": 100000, "bonus_fen": 10000})
        entry = wallet.top_up(member_id=member_id, amount_fen=100000, plan_id=plan.id, paid_via="cash")
        assert (entry.kind, entry.amount_fen, entry.principal_fen, entry.bonus_fen) == ("topup", 110000, 100000, 10000)
        assert entry.plan_id == plan.id and entry.balance_after_fen == 110000
        spent = wallet.spend(member_id=member_id, amount_fen=11000, ref_type="work_order", ref_id=1)
        assert (spent.amount_fen, spent.principal_fen, spent.bonus_fen) == (-11000, -10000, -1000)
        state = ledger_state(member_id)
        assert (state["balance_fen"], state["principal_fen"], state["bonus_fen"]) == (99000, 90000, 9000)
        assert state["entries_fen"] == (99000, 90000, 9000)


def test_top_up_without_plan_id_applies_the_plan_priced_at_the_amount(app, member_id):
    with app.app_context():
        create_topup_plan(data={"name": "充500送30", "pay_fen": 50000, "bonus_fen": 3000})
        create_topup_plan(data={"name": "充500送50", "pay_fen": 50000, "bonus_fen": 5000})
        create_topup_plan(data={"name": "旧方案", "pay_fen": 50000, "bonus_fen": 9000, "is_active": False})
        matched = wallet.top_up(member_id=member_id, amount_fen=50000, paid_via="wechat")
        plain = wallet.top_up(member_id=member_id, amount_fen=12345, paid_via="cash")
        assert matched.bonus_fen == 5000
        assert plain.bonus_fen == 0 and plain.plan_id is None


def test_plan_granting_a_tier_lifts_but_never_lowers(app, member_id):
    with app.app_context():
        silver = create_tier(data={"name": "银卡", "rank": 1, "labor_discount_percent": 5})
        gold = create_tier(data={"name": "金卡", "rank": 2, "labor_discount_percent": 10})
        silver_plan = create_topup_plan(
            data={"name": "银卡卡", "pay_fen": 1000, "bonus_fen": 0, "grants_tier_id": silver.id}
        )
        gold_plan = create_topup_plan(
            data={"name": "金卡卡", "pay_fen": 5000, "bonus_fen": 0, "grants_tier_id": gold.id}
        )
        wallet.top_up(member_id=member_id, amount_fen=1000, plan_id=silver_plan.id, paid_via="cash")
        assert get_member(member_id).tier_id == silver.id
        wallet.top_up(member_id=member_id, amount_fen=5000, plan_id=gold_plan.id, paid_via="cash")
        assert get_member(member_id).tier_id == gold.id
        wallet.top_up(member_id=member_id, amount_fen=1000, plan_id=silver_plan.id, paid_via="cash")
        assert get_member(member_id).tier_id == gold.id


@pytest.mark.parametrize("amount", [0, -100, 12.5, "100", True, None])
def test_top_up_refuses_bad_amounts_and_writes_nothing(app, member_id, amount):
    with app.app_context():
        with pytest.raises(Unprocessable):
            wallet.top_up(member_id=member_id, amount_fen=amount, paid_via="cash")
        assert session_count(WalletEntry) == 0


def test_top_up_refuses_unknown_inactive_or_mismatching_plans(app, member_id):
    with app.app_context():
        plan = create_topup_plan(data={"name": "充100送10", "pay_fen": 10000, "bonus_fen": 1000})
        old = create_topup_plan(data={"name": "停用", "pay_fen": 20000, "bonus_fen": 1000, "is_active": False})
        cases = [
            (10000, 999, "topup_plan_not_found"),
            (20000, old.id, "topup_plan_inactive"),
            (9999, plan.id, "amount_does_not_match_plan"),
        ]
        for amount, plan_id, code in cases:
            with pytest.raises(Unprocessable) as caught:
                wallet.top_up(member_id=member_id, amount_fen=amount, plan_id=plan_id, paid_via="cash")
            assert caught.value.code == code
        with pytest.raises(Unprocessable):
            wallet.top_up(member_id=member_id, amount_fen=100, paid_via="bitcoin")
        assert session_count(WalletEntry) == 0


def test_unknown_member_is_404(app):
    with app.app_context():
        with pytest.raises(NotFound):
            wallet.top_up(member_id=404, amount_fen=100, paid_via="cash")
        with pytest.raises(NotFound):
            wallet.spend(member_id=404, amount_fen=100, ref_type="work_order", ref_id=1)


def test_spend_refuses_more_than_the_balance_and_a_second_spend_of_a_reference(app, member_id):
    with app.app_context():
        with pytest.raises(Conflict) as empty:
            wallet.spend(member_id=member_id, amount_fen=1, ref_type="work_order", ref_id=1)
        assert empty.value.code == "insufficient_balance"
        wallet.top_up(member_id=member_id, amount_fen=1000, paid_via="cash")
        with pytest.raises(Conflict) as short:
            wallet.spend(member_id=member_id, amount_fen=1001, ref_type="work_order", ref_id=1)
        assert short.value.code == "insufficient_balance"
        wallet.spend(member_id=member_id, amount_fen=400, ref_type="work_order", ref_id=1)
        with pytest.raises(Conflict) as again:
            wallet.spend(member_id=member_id, amount_fen=100, ref_type="work_order", ref_id=1)
        assert again.value.code == "already_spent"
        assert ledger_state(member_id)["balance_fen"] == 600


def test_reverse_reference_restores_principal_and_bonus_exactly_once(app, member_id):
    with app.app_context():
        plan = create_topup_plan(data={"name": "充300送100", "pay_fen": 300, "bonus_fen": 100})
        wallet.top_up(member_id=member_id, amount_fen=300, plan_id=plan.id, paid_via="cash")
        spent = wallet.spend(member_id=member_id, amount_fen=7, ref_type="work_order", ref_id=9)
        wallet.spend(member_id=member_id, amount_fen=50, ref_type="work_order", ref_id=10)
        reversals = wallet.reverse_reference(ref_type="work_order", ref_id=9)
        assert [(r.kind, r.principal_fen, r.bonus_fen, r.reverses_entry_id) for r in reversals] == [
            ("reversal", -spent.principal_fen, -spent.bonus_fen, spent.id)
        ]
        assert wallet.reverse_reference(ref_type="work_order", ref_id=9) == []
        state = ledger_state(member_id)
        assert state["balance_fen"] == 350 and state["entries_fen"] == (350, state["principal_fen"], state["bonus_fen"])
        db.session.commit()
    with app.app_context():  # also idempotent across transactions
        assert wallet.reverse_reference(ref_type="work_order", ref_id=9) == []


def test_reversing_a_referenced_top_up_already_spent_is_refused(app, member_id):
    with app.app_context():
        wallet.top_up(member_id=member_id, amount_fen=500, paid_via="wechat", ref_type="payment_order", ref_id=1)
        with pytest.raises(Conflict) as twice:
            wallet.top_up(member_id=member_id, amount_fen=500, paid_via="wechat", ref_type="payment_order", ref_id=1)
        assert twice.value.code == "already_credited"
        wallet.spend(member_id=member_id, amount_fen=300, ref_type="work_order", ref_id=1)
        with pytest.raises(Conflict) as short:
            wallet.reverse_reference(ref_type="payment_order", ref_id=1)
        assert short.value.code == "insufficient_balance"


def test_refund_pays_principal_back_and_forfeits_bonus_in_proportion(app, member_id):
    with app.app_context():
        plan = create_topup_plan(data={"name": "充1000送200", "pay_fen": 1000, "bonus_fen": 200})
        wallet.top_up(member_id=member_id, amount_fen=1000, plan_id=plan.id, paid_via="cash")
        entry = wallet.refund_principal(member_id=member_id, amount_fen=500, reason="moving away", actor_key="staff:1")
        assert (entry.kind, entry.principal_fen, entry.bonus_fen, entry.note) == ("refund", -500, -100, "moving away")
        with pytest.raises(Conflict) as over:
            wallet.refund_principal(member_id=member_id, amount_fen=501, reason="too much")
        assert over.value.code == "insufficient_principal"
        wallet.refund_principal(member_id=member_id, amount_fen=500, reason="the rest")
        state = ledger_state(member_id)
        assert (state["principal_fen"], state["bonus_fen"], state["balance_fen"]) == (0, 0, 0)


def test_member_summaries_show_balances_and_points_of_many_members_in_one_query(app, member_id):
    from tests.factories import new_member

    other = new_member(app, phone="13900000002")
    with app.app_context():
        wallet.top_up(member_id=member_id, amount_fen=800, paid_via="cash")
        members = [get_member(member_id), get_member(other)]
        statements = []
        from sqlalchemy import event

        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            result = member_summaries(members)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert {mid: (summary["balance_fen"], summary["points"]) for mid, summary in result.items()} == {
            member_id: (800, 0),
            other: (0, 0),
        }
        ledger_reads = [sql for sql in statements if "wallets" in sql or "points_lots" in sql]
        assert len(ledger_reads) == 1  # both figures of both members in one statement
