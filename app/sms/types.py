"""Plain values crossing the SMS boundary."""

from dataclasses import dataclass


@dataclass(frozen=True)
class SmsReceipt:
    serial_no: str | None  # the provider's id of the message (for delivery reports)
    parts: int  # billed parts (a long text is split: 70 characters, then 67 a part)


def mask_phone(phone):
    """138****0000: enough to tell numbers apart in a log, not enough to call one."""
    digits = str(phone or "")
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"
