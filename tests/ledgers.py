"""Readers of what the database holds, for assertions: row counts, every table's rows, and the
ledgers (wallet, points, cards, coupons, stamps) summed straight from their entries so the tests
trust no service."""

from sqlalchemy import func, select, text

from app.cards.models import PackageCardEntry, PackageCardItem, StampCard, StampEntry
from app.extensions import db
from app.wallet.models import PointsAccount, PointsEntry, PointsLot, Wallet, WalletEntry


def count_rows(app, model, *conditions):
    """Rows of ``model`` (matching ``conditions``), read in a fresh app context."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def session_count(model):
    """Rows of ``model`` as the current session sees them (call inside an app context)."""
    return db.session.scalar(select(func.count()).select_from(model))


def table_rows(app, exclude=("idempotency_records",)):
    """Every row of every table: a failure that "changes nothing" leaves this identical."""
    with app.app_context():
        rows = {}
        for table in db.metadata.sorted_tables:
            if table.name in exclude:
                continue
            result = db.session.execute(table.select()).all()
            rows[table.name] = sorted(tuple(map(repr, row)) for row in result)
        db.session.rollback()
        return rows


def scalar(app, sql, **params):
    with app.app_context():
        value = db.session.execute(text(sql), params).scalar()
        db.session.rollback()
        return value


_LEDGER_QUERIES = {
    "wallet": "SELECT principal_fen, bonus_fen, balance_fen FROM wallets WHERE member_id = :m",
    "wallet_entries": "SELECT COALESCE(SUM(principal_fen), 0), COALESCE(SUM(bonus_fen), 0) FROM wallet_entries "
    "WHERE member_id = :m",
    "points": "SELECT balance FROM points_accounts WHERE member_id = :m",
    "points_entries": "SELECT COALESCE(SUM(points), 0) FROM points_entries WHERE member_id = :m",
    "points_lots": ("SELECT COALESCE(SUM(remaining), 0) FROM points_lots WHERE member_id = :m AND expired_at IS NULL"),
    "card_items": "SELECT i.id, i.remaining FROM package_card_items i JOIN package_cards c ON c.id = i.card_id "
    "WHERE c.member_id = :m ORDER BY i.id",
    "card_entries": "SELECT COALESCE(SUM(e.delta), 0) FROM package_card_entries e JOIN package_cards c "
    "ON c.id = e.card_id WHERE c.member_id = :m",
    "coupons": "SELECT id, status FROM member_coupons WHERE member_id = :m ORDER BY id",
    "stamps": "SELECT COALESCE(SUM(stamps), 0) FROM stamp_cards WHERE member_id = :m",
    "stamp_entries": "SELECT COALESCE(SUM(delta), 0) FROM stamp_entries WHERE member_id = :m",
    "stock": "SELECT part_id, SUM(on_hand) FROM store_part_stocks GROUP BY part_id ORDER BY part_id",
    "member": "SELECT paid_visit_count, total_paid_fen, first_paid_visit_at, last_paid_visit_at, tier_id "
    "FROM members WHERE id = :m",
}


def ledgers(app, member_id):
    """Every balance and count a settlement can touch, read with plain SQL."""
    with app.app_context():
        result = {
            name: [tuple(row) for row in db.session.execute(text(sql), {"m": member_id})]
            for name, sql in _LEDGER_QUERIES.items()
        }
        db.session.rollback()
    return result


def ledger_state(member_id):
    """Wallet and points balances as stored, and as the sums of their entries and lots (call inside
    an app context)."""
    wallet = db.session.get(Wallet, member_id, populate_existing=True)
    account = db.session.get(PointsAccount, member_id, populate_existing=True)
    sums = db.session.execute(
        select(
            func.coalesce(func.sum(WalletEntry.amount_fen), 0),
            func.coalesce(func.sum(WalletEntry.principal_fen), 0),
            func.coalesce(func.sum(WalletEntry.bonus_fen), 0),
        ).where(WalletEntry.member_id == member_id)
    ).one()
    return {
        "balance_fen": wallet.balance_fen if wallet else 0,
        "principal_fen": wallet.principal_fen if wallet else 0,
        "bonus_fen": wallet.bonus_fen if wallet else 0,
        "entries_fen": tuple(int(value) for value in sums),
        "points": account.balance if account else 0,
        "points_entries": int(
            db.session.scalar(
                select(func.coalesce(func.sum(PointsEntry.points), 0)).where(PointsEntry.member_id == member_id)
            )
        ),
        "points_lots": int(
            db.session.scalar(
                select(func.coalesce(func.sum(PointsLot.remaining), 0)).where(PointsLot.member_id == member_id)
            )
        ),
    }


def package_ledger_holds(card_id):
    """Every item's remaining equals the sum of its entries and is never negative (in a context)."""
    items = db.session.scalars(
        select(PackageCardItem).where(PackageCardItem.card_id == card_id).execution_options(populate_existing=True)
    ).all()
    for item in items:
        total = db.session.scalar(
            select(func.coalesce(func.sum(PackageCardEntry.delta), 0)).where(PackageCardEntry.card_item_id == item.id)
        )
        assert item.remaining == total >= 0, (item.id, item.remaining, total)
    return {item.service_item_id: item.remaining for item in items}


def stamp_ledger_holds(member_id):
    """Every stamp card's stamps equal the sum of its entries (in a context); returns the cards."""
    cards = db.session.scalars(
        select(StampCard)
        .where(StampCard.member_id == member_id)
        .order_by(StampCard.id)
        .execution_options(populate_existing=True)
    ).all()
    for card in cards:
        total = db.session.scalar(
            select(func.coalesce(func.sum(StampEntry.delta), 0)).where(StampEntry.card_id == card.id)
        )
        assert card.stamps == total, (card.id, card.stamps, total)
    return cards
