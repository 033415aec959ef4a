"""Scheduled work of the accounts (registered when the app factory imports this module)."""

from app.accounts.statements import suspend_overdue
from app.common.jobs import job


@job("account_overdue_suspension", hour=2, minute=30)
def account_overdue_suspension(*, today, now):
    """Nightly: accounts overdue beyond the days the owner set on them are suspended (audited)."""
    return suspend_overdue(today=today, now=now)
