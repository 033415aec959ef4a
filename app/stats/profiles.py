"""The owner's breakdown of members by each profile fact (app/members/profile.py): how many current
members (merged-away accounts left out) hold each value, and how many have none. A snapshot of
today, not of a period; ``store_id`` narrows it to members registered at that store. Regions are
free text: the most frequent ``REGION_LIMIT`` values are listed and the rest summed as ``other``.
Birth years are grouped by decade (``1980s``).
"""

from sqlalchemy import func, select

from app.extensions import db
from app.members.models import Member
from app.members.profile import FACTS
from app.stores.services import get_store

REGION_LIMIT = 20
NONE = "none"


def _scope(store_id):
    scope = [Member.merged_into_id.is_(None)]
    if store_id is not None:
        scope.append(Member.registered_store_id == store_id)
    return scope


def member_profiles(*, store_id=None):
    """{"total", "facts": {fact: [{"value", "count"}]}} (see the module docstring)."""
    if store_id is not None:
        get_store(store_id)
    scope = _scope(store_id)
    total = db.session.scalar(select(func.count()).select_from(Member).where(*scope))
    facts = {}
    for name, choices in FACTS.items():
        column = getattr(Member, name)
        if name == "birth_year":
            column = (Member.birth_year // 10) * 10
        counts = dict(db.session.execute(select(column, func.count()).where(*scope).group_by(column)).all())
        missing = counts.pop(None, 0)
        if name == "birth_year":
            rows = [{"value": f"{int(decade)}s", "count": count} for decade, count in sorted(counts.items())]
        elif choices is not None:
            rows = [{"value": value, "count": counts.get(value, 0)} for value in choices if value != "unknown"]
            missing += counts.get("unknown", 0)
        else:
            ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
            rows = [{"value": value, "count": count} for value, count in ranked[:REGION_LIMIT]]
            rest = sum(count for _, count in ranked[REGION_LIMIT:])
            if rest:
                rows.append({"value": "other", "count": rest})
        rows.append({"value": NONE, "count": missing})
        facts[name] = rows
    return {"store_id": store_id, "total": total, "facts": facts}
