"""Scheduled work of WeChat Pay (registered when the app factory imports this module)."""

from app.common.jobs import job
from app.payments.refunds import send_payment_refunds
from app.payments.services import close_expired_payments


@job("payment_timeouts", every_minutes=5)
def payment_timeouts(*, today, now):
    """Pending payments past their expiry are closed at WeChat and here (their holds released)."""
    return close_expired_payments(now=now)


@job("payment_refunds", every_minutes=1)
def payment_refunds(*, today, now):
    """Promised refunds are sent to WeChat Pay and followed until WeChat reports them final."""
    return send_payment_refunds(now=now)
