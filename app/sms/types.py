"""Plain values crossing the SMS boundary."""

from dataclasses import dataclass
from datetime import datetime

PULL_LIMIT = 100  # the most the provider's pull APIs hand out per call


@dataclass(frozen=True)
class SmsReceipt:
    serial_no: str | None  # the provider's id of the message (for delivery reports)
    parts: int  # billed parts (a long text is split: 70 characters, then 67 a part)


@dataclass(frozen=True)
class SmsReply:
    """A member's reply to one of our SMS (the provider keeps each until it is pulled once)."""

    phone: str  # the mainland number, 11 digits
    text: str
    replied_at: datetime | None


@dataclass(frozen=True)
class SmsDeliveryReport:
    """The carrier's word on one SMS the provider accepted: delivered to the phone or not."""

    serial_no: str
    delivered: bool
    description: str | None  # the carrier's code when not delivered (e.g. "MN:0001")
    received_at: datetime | None


def mainland_number(e164):
    """+8613912345678 -> 13912345678 (numbers of other countries are left as they are)."""
    number = str(e164 or "").strip()
    if number.startswith("+86"):
        return number[3:]
    if number.startswith("86") and len(number) == 13:
        return number[2:]
    return number


def mask_phone(phone):
    """138****0000: enough to tell numbers apart in a log, not enough to call one."""
    digits = str(phone or "")
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"
