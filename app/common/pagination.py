"""Page through a select: one COUNT and one page query, never the whole table."""
from sqlalchemy import func, select

from app.extensions import db


def paginate(stmt, page, per_page):
    """Run ``stmt`` for one page; returns the list envelope with ORM rows as items."""
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": items, "total": total, "page": page, "per_page": per_page}
