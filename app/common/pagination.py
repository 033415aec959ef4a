"""Page through a select: one COUNT and one page query, never the whole table."""

from sqlalchemy import func, select

from app.extensions import db


def paginate(stmt, page, per_page):
    """Run ``stmt`` for one page; returns the list envelope with ORM rows as items.

    A first page that is not full already tells the total, so the COUNT is only run when there
    may be more rows than the page holds (the common counter lookup finds a car or two)."""
    items = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique().all()
    if page == 1 and len(items) < per_page:
        total = len(items)
    else:
        total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return {"items": items, "total": total, "page": page, "per_page": per_page}
