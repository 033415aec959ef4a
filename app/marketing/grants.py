"""Subscribe grants: car shops get one-time grants only, and WeChat offers no API to read what is
left, so we keep our own count per (member, template key).

- each template the member accepted in wx.requestSubscribeMessage adds one (an atomic upsert);
- each send takes one first (a conditional UPDATE ... WHERE remaining > 0, checked by row count), and
  gives it back when the send did not reach WeChat's user (rate limit, outage, our own refusal);
- a send answered 43101 (no grant) sets the count to zero: our count was wrong.
"""

from sqlalchemy import select, update

from app.common import clock
from app.common.db import insert_for
from app.common.errors import Unprocessable
from app.extensions import db
from app.marketing.models import TEMPLATE_KEYS, SubscriptionGrant


def record_grants(*, member_id, template_keys, now=None):
    """Add one grant per accepted template key (known keys only; a key listed twice counts once)."""
    unknown = sorted({key for key in template_keys if key not in TEMPLATE_KEYS})
    if unknown:
        raise Unprocessable(
            "unknown_template_key",
            "Unknown subscribe-message template keys.",
            details={"template_keys": unknown, "known": list(TEMPLATE_KEYS)},
        )
    now = now or clock.now()
    for template_key in sorted(set(template_keys)):
        stmt = insert_for(db.session, SubscriptionGrant).values(
            member_id=member_id, template_key=template_key, remaining=1, accepted_total=1, updated_at=now
        )
        db.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["member_id", "template_key"],
                set_={
                    "remaining": SubscriptionGrant.remaining + 1,
                    "accepted_total": SubscriptionGrant.accepted_total + 1,
                    "updated_at": stmt.excluded.updated_at,
                },
            )
        )
    db.session.expire_all()
    return grants_of(member_id=member_id)


def grants_of(*, member_id):
    return db.session.scalars(
        select(SubscriptionGrant)
        .where(SubscriptionGrant.member_id == member_id)
        .order_by(SubscriptionGrant.template_key)
    ).all()


def _change(member_id, template_key, values, *conditions):
    result = db.session.execute(
        update(SubscriptionGrant)
        .where(SubscriptionGrant.member_id == member_id, SubscriptionGrant.template_key == template_key, *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def use_grant(*, member_id, template_key, now=None):
    """Take one grant for a send; False when none is left."""
    return _change(
        member_id,
        template_key,
        {"remaining": SubscriptionGrant.remaining - 1, "updated_at": now or clock.now()},
        SubscriptionGrant.remaining > 0,
    )


def give_back_grant(*, member_id, template_key, now=None):
    """Return a grant taken for a send that never reached the user."""
    return _change(
        member_id, template_key, {"remaining": SubscriptionGrant.remaining + 1, "updated_at": now or clock.now()}
    )


def zero_grants(*, member_id, template_key, now=None):
    """WeChat answered 43101: the member has no grant left for this template, whatever we counted."""
    return _change(member_id, template_key, {"remaining": 0, "updated_at": now or clock.now()})
