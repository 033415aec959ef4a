"""Plain values crossing the WeChat boundary."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Session:
    openid: str
    unionid: str | None
    session_key: str | None  # kept on the server only, never logged or returned


@dataclass(frozen=True)
class PhoneNumber:
    phone: str  # purePhoneNumber, without country code
    country_code: str = "86"


@dataclass(frozen=True)
class PaymentNotice:
    """A verified, decrypted payment notification (or a fake confirmation)."""

    transaction_id: str
    out_trade_no: str
    trade_state: str  # "SUCCESS", "CLOSED", ...
    amount_fen: int
    payer_openid: str | None = None
