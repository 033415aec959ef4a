"""One row per change; rows are never updated or deleted (triggers from migration 0020 refuse both)."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.common.db import UTCDateTime, utcnow
from app.extensions import db

ACTOR_KINDS = ("staff", "member", "system")


class AuditEntry(db.Model):
    """A change: the actor as they were at the time (their username and role are copied, so a later
    rename or role change does not rewrite history), what changed (kind, entity) and the changed
    fields before and after. ``kind`` is not a database CHECK: new kinds come with code, not schema."""

    __tablename__ = "audit_log"
    __table_args__ = (
        CheckConstraint("actor_kind IN ('staff', 'member', 'system')", name="actor_kind_known"),
        Index("ix_audit_log_created_at_id", "created_at", "id"),
        Index("ix_audit_log_kind_created_at", "kind", "created_at"),
        Index("ix_audit_log_actor_id_created_at", "actor_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None]
    actor_username: Mapped[str | None] = mapped_column(String(64))
    actor_role: Mapped[str | None] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None]
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(String(500))
    store_id: Mapped[int | None]
