"""Visit statistics on the member row: first and last paid visit, paid visit count, total paid.

A paid visit is a settled work order of the member (whatever tenders paid it: a package-card wash
is a visit). ``total_paid_fen`` adds the money paid (cash, WeChat, Alipay, bank card and stored
value). A settle's visit is counted right after its commit, with its deferred figures
(app/consequences.py). Changes are single UPDATE statements, so two orders settling for one member
at once both count.
"""

from sqlalchemy import case, literal, or_, update

from app.common.db import UTCDateTime
from app.extensions import db
from app.members.models import Member


def record_paid_visit(*, member_id, paid_fen, at):
    """Count one paid visit at ``at`` that paid ``paid_fen``."""
    at_value = literal(at, UTCDateTime())
    db.session.execute(
        update(Member)
        .where(Member.id == member_id)
        .values(
            paid_visit_count=Member.paid_visit_count + 1,
            total_paid_fen=Member.total_paid_fen + paid_fen,
            last_paid_visit_at=case(
                (or_(Member.last_paid_visit_at.is_(None), Member.last_paid_visit_at < at_value), at_value),
                else_=Member.last_paid_visit_at,
            ),
            first_paid_visit_at=case(
                (or_(Member.first_paid_visit_at.is_(None), Member.first_paid_visit_at > at_value), at_value),
                else_=Member.first_paid_visit_at,
            ),
        )
        .execution_options(synchronize_session=False)
    )
    _expire(member_id)


def revert_paid_visit(*, member_id, paid_fen, first_at, last_at):
    """Take back one paid visit (a refund). ``first_at``/``last_at`` are the bounds of the member's
    remaining paid visits (None when none remain), which the caller knows from its orders."""
    db.session.execute(
        update(Member)
        .where(Member.id == member_id)
        .values(
            paid_visit_count=Member.paid_visit_count - 1,
            total_paid_fen=Member.total_paid_fen - paid_fen,
            first_paid_visit_at=literal(first_at, UTCDateTime()),
            last_paid_visit_at=literal(last_at, UTCDateTime()),
        )
        .execution_options(synchronize_session=False)
    )
    _expire(member_id)


def _expire(member_id):
    member = db.session.identity_map.get(db.session.identity_key(Member, member_id))
    if member is not None:
        db.session.expire(member, ["paid_visit_count", "total_paid_fen", "first_paid_visit_at", "last_paid_visit_at"])
