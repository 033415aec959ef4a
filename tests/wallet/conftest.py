"""Wallet fixtures: members and plans made through the services, helpers to read the ledgers."""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.members.services import register_at_counter
from app.wallet.models import PointsAccount, PointsEntry, PointsLot, Wallet, WalletEntry


def new_member(app, phone="13900000001", nickname="车主"):
    with app.app_context():
        member_id = register_at_counter(phone=phone, nickname=nickname).id
        db.session.commit()
    return member_id


@pytest.fixture
def member_id(app):
    return new_member(app)


def ledger_state(member_id):
    """Balances as stored, and as the sums of their entries and lots (call inside an app context)."""
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


def count_rows(model):
    return db.session.scalar(select(func.count()).select_from(model))
