"""What a settle, a refund and a presented referral code set off in other domains: all of it, here,
in the order it runs.

The work orders (app/workorders/settle.py, refund.py) and the member login (app/members/services.py)
publish one event each (app/common/events.py) carrying everything the steps below need, so no step
reads the order again; this module is the events' subscriber and calls each domain in turn. Every
step runs inside the caller's transaction (a failure rolls the whole settle, refund or login back),
except the settle's figures (the member's visit statistics and tier check, member metrics,
marketing's visit, the stats rollup): the settle defers those through a transactional outbox
(app/common/deferred.py), processed exactly once after the commit, so the cashier does not wait
for them; they follow within milliseconds.

Why the listing lives here, beside the application factory, and not in app/workorders:
 * each domain below depends on the work orders or the members (the stats roll up an order's lines
   and tenders, marketing keeps its visits, referrals convert on an order, the metrics read the
   member's visit statistics). Called from app/workorders, the dependency would point both ways: an
   import circle. So the work orders publish, and only this module knows who listens;
 * app/common, where the events are, imports no domain;
 * this top-level module, like the factory, may know every domain, and no domain imports it.

What settling spends and records itself (tenders, stock, commissions, points earned, stamps, the
next maintenance) is in app/workorders/settle.py, in the order it runs there.
"""

from app.common import deferred, events
from app.marketing import visit_log
from app.members import metrics, visits
from app.members.tiers import rules as tier_rules
from app.referrals import rewards
from app.referrals.services import present_code
from app.stats import rollup


def work_order_settled(*, work_order_id, member_id, vehicle_id, store_id, plate, paid_fen, settled_at, now):
    """After a settle (at the counter or paid in the mini-program). In the settle's transaction: the
    referral (which reads the member's first paid visit as it was before this order). The figures
    people read later are deferred past the commit (app/common/deferred.py): ``settled_order_figures``
    below."""
    if member_id is not None:
        # 1. The member's pending referral converts if the order qualifies; the referrer's reward is frozen.
        rewards.convert_on_paid_order(work_order_id=work_order_id, member_id=member_id, paid_fen=paid_fen, now=now)
    # 2. One outbox row for the rest (processed once the cashier has the answer).
    deferred.defer(
        SETTLED_ORDER_FIGURES,
        ref_type="work_order",
        ref_id=work_order_id,
        now=now,
        work_order_id=work_order_id,
        member_id=member_id,
        vehicle_id=vehicle_id,
        store_id=store_id,
        plate=plate,
        paid_fen=paid_fen,
        settled_at=settled_at,
    )


SETTLED_ORDER_FIGURES = "settled_order_figures"


def settled_order_figures(*, work_order_id, member_id, vehicle_id, store_id, plate, paid_fen, settled_at, now):
    """Deferred after a settle, run exactly once in its own transaction (a refund of the order runs it
    first if it is still pending: app/workorders/refund.py). Each step reads the state it needs
    afresh, so orders of one member processed in any order leave the same figures."""
    if member_id is not None:
        # 1. The member's visit statistics (count, spend, first and last paid visit): additions, so
        #    orders processed in any order add up to the same.
        visits.record_paid_visit(member_id=member_id, paid_fen=paid_fen, at=settled_at)
        # 2. The tier the member's rolling 12-month spend reaches (up only; the settled orders are
        #    committed, this one among them).
        tier_rules.check_upgrade(member_id=member_id, now=now)
        # 3. The member's lifecycle and value class, from the visit statistics just counted
        #    (segments and the staff call list read them).
        metrics.refresh_member(member_id=member_id, now=now)
        # 4. Marketing's visit: the service follow-up three to seven days later, the segments' store condition.
        visit_log.record_visit(
            work_order_id=work_order_id,
            member_id=member_id,
            store_id=store_id,
            plate=plate,
            paid_fen=paid_fen,
            settled_at=settled_at,
        )
    # 5. The owner's daily sales, and the member's and car's latest visits (walk-in cars too).
    rollup.add_settled_order(
        work_order_id=work_order_id,
        member_id=member_id,
        vehicle_id=vehicle_id,
        store_id=store_id,
        settled_at=settled_at,
    )


def work_order_refunded(*, work_order_id, member_id, vehicle_id, store_id, settled_at, refunded_at, now):
    """After a refund; the instruments are reversed and the member's visit statistics taken back."""
    if member_id is not None:
        # 1. The member's lifecycle and value class, from the reverted visit statistics.
        metrics.refresh_member(member_id=member_id, now=now)
    # 2. Marketing's visit no longer counts (no follow-up is sent for it).
    visit_log.mark_refunded(work_order_id=work_order_id, refunded_at=refunded_at)
    # 3. The referral this order converted is reversed and the referrer's reward taken back.
    rewards.reverse_for_refunded_order(work_order_id=work_order_id, now=now)
    # 4. The order leaves its settle day's sales and joins the refunds of the refund's day.
    rollup.take_refunded_order(
        work_order_id=work_order_id,
        member_id=member_id,
        vehicle_id=vehicle_id,
        store_id=store_id,
        settled_at=settled_at,
        refunded_at=refunded_at,
    )


def referral_code_presented(*, member_id, referral_code, created, now):
    """A member logged in presenting someone's referral code: the referral is recorded or refused."""
    present_code(member_id=member_id, referral_code=referral_code, now=now)


def subscribe():
    """Called once by the application factory."""
    events.subscribe(events.WORK_ORDER_SETTLED, work_order_settled)
    deferred.subscribe(SETTLED_ORDER_FIGURES, settled_order_figures)
    events.subscribe(events.WORK_ORDER_REFUNDED, work_order_refunded)
    events.subscribe(events.REFERRAL_CODE_PRESENTED, referral_code_presented)
