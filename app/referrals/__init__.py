"""Referrals (转介绍): share codes, attribution of new members, the referrer's reward.

Reacts to other domains through events: a referral code presented at login
(``REFERRAL_CODE_PRESENTED``), a settled work order (``WORK_ORDER_SETTLED``) and a refunded one
(``WORK_ORDER_REFUNDED``); the handlers run inside those operations' transactions.
"""

from app.common import events


def _on_code_presented(*, member_id, referral_code, now=None, **_):
    from app.referrals.services import present_code

    present_code(member_id=member_id, referral_code=referral_code, now=now)


def init_app(app):
    from app.referrals import rewards

    events.subscribe(events.REFERRAL_CODE_PRESENTED, _on_code_presented)
    events.subscribe(events.WORK_ORDER_SETTLED, rewards.on_work_order_settled)
    events.subscribe(events.WORK_ORDER_REFUNDED, rewards.on_work_order_refunded)
