"""Referrals (转介绍): who brought whom, the refusals, the referrer's reward and cached share codes.

A referral is created when a member presents someone's code and every rule passes; a refusal is
recorded instead when one fails. The referrer's reward is a row of its own (one per referral,
UNIQUE): it is ``frozen`` for the merchant's freeze period, then ``released`` (points credited,
coupon issued); a refund of the qualifying order ``cancelled`` it while frozen or ``reversed`` it
after. Work orders and coupons live in other domains' tables: their ids are plain integers here.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.common.db import UTCDateTime, utcnow
from app.extensions import db
from app.members.models import Member

# pending: attributed, waiting for the first qualifying paid order; converted: that order was
# settled; reversed: that order was refunded (final); refused: a rule failed at reward time (final).
REFERRAL_STATUSES = ("pending", "converted", "reversed", "refused")
REWARD_STATUSES = ("frozen", "released", "cancelled", "reversed")
REFUSAL_REASONS = (
    "unknown_code",
    "self_referral",
    "already_referred",
    "already_visited",
    "circular",
    "same_phone",
    "monthly_cap",
)


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Referral(db.Model):
    __tablename__ = "referrals"
    __table_args__ = (
        CheckConstraint(_in("status", REFERRAL_STATUSES), name="status_known"),
        CheckConstraint("referrer_id <> referred_id", name="not_self"),
        # The monthly cap counts a referrer's referrals by creation time.
        Index("ix_referrals_referrer_id_created_at", "referrer_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referrer_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    # A member is referred once (UNIQUE): "already referred" holds under concurrent logins too.
    referred_id: Mapped[int] = mapped_column(ForeignKey("members.id"), unique=True)
    code: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    welcome_coupon_id: Mapped[int | None]  # the member coupon the new member got on joining
    # The first qualifying paid work order (its refund takes the reward back).
    work_order_id: Mapped[int | None] = mapped_column(index=True)
    order_paid_fen: Mapped[int | None]
    converted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refused_reason: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    referrer: Mapped[Member] = relationship(foreign_keys=[referrer_id], lazy="raise")
    referred: Mapped[Member] = relationship(foreign_keys=[referred_id], lazy="raise")
    reward: Mapped["ReferralReward | None"] = relationship(back_populates="referral", lazy="raise", uselist=False)


class ReferralReward(db.Model):
    """The referrer's reward for one referral: points and/or a coupon, frozen before release."""

    __tablename__ = "referral_rewards"
    __table_args__ = (
        CheckConstraint(_in("status", REWARD_STATUSES), name="status_known"),
        CheckConstraint("points >= 0", name="points_non_negative"),
        CheckConstraint("points > 0 OR coupon_template_id IS NOT NULL", name="something_to_give"),
        # The release job looks for frozen rewards that are due.
        Index("ix_referral_rewards_status_releases_at", "status", "releases_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # One reward per referral, whatever replays or retries happen.
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), unique=True)
    referrer_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    work_order_id: Mapped[int] = mapped_column(index=True)
    points: Mapped[int] = mapped_column(default=0)
    coupon_template_id: Mapped[int | None]
    member_coupon_id: Mapped[int | None] = mapped_column(index=True)  # issued on release
    status: Mapped[str] = mapped_column(String(16), default="frozen")
    releases_at: Mapped[datetime] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What a reversal could not take back (points already spent, a coupon already used).
    points_not_recovered: Mapped[int] = mapped_column(default=0)
    coupon_not_recovered: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    referral: Mapped[Referral] = relationship(back_populates="reward", lazy="raise")


class ReferralRefusal(db.Model):
    """A presented code that did not count, with the rule that refused it.

    The same member presenting the same code and being refused for the same reason again (the
    mini-program sends the code on every launch from a shared link) bumps ``attempts`` instead of
    adding a row.
    """

    __tablename__ = "referral_refusals"
    __table_args__ = (
        CheckConstraint(_in("reason", REFUSAL_REASONS), name="reason_known"),
        CheckConstraint("attempts > 0", name="attempts_positive"),
        UniqueConstraint("member_id", "code", "reason", name="uq_referral_refusals_member_code_reason"),
        Index("ix_referral_refusals_reason_created_at", "reason", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    referrer_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)  # None: unknown code
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"), index=True)  # refused at reward time
    code: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReferralShareCode(db.Model):
    """A mini-program code image fetched from WeChat, kept so WeChat is asked once per member and page."""

    __tablename__ = "referral_share_codes"
    __table_args__ = (UniqueConstraint("member_id", "page", name="uq_referral_share_codes_member_page"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    page: Mapped[str] = mapped_column(String(128))
    scene: Mapped[str] = mapped_column(String(32))
    png: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
