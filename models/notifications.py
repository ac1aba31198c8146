"""What leaves a change as rows: in-app notifications and the e-mail outbox."""

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from models.base import Base, check_in, utcnow
from models.enums import OutboxStatus


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_user_created", "user_id", "created_at"),
        sa.Index("ix_notifications_user_unread", "user_id", "read_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    case_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(30))
    detail: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    read_at: so.Mapped[datetime | None]


class OutboxEmail(Base):
    """An e-mail written in the same transaction as its cause; a sender delivers it after commit."""

    __tablename__ = "outbox_emails"
    __table_args__ = (
        sa.CheckConstraint(check_in("status", list(OutboxStatus)), name="status"),
        sa.Index("ix_outbox_emails_status_next", "status", "next_attempt_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    to_address: so.Mapped[str] = so.mapped_column(sa.String(254))
    subject: so.Mapped[str] = so.mapped_column(sa.String(300))
    body_text: so.Mapped[str] = so.mapped_column(sa.Text)
    body_html: so.Mapped[str] = so.mapped_column(sa.Text)
    case_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default=OutboxStatus.PENDING)
    attempts: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    claimed_by: so.Mapped[str | None] = so.mapped_column(sa.String(80))
    claimed_at: so.Mapped[datetime | None]
    last_error: so.Mapped[str | None] = so.mapped_column(sa.Text)
    # Made when the row is written and kept: a resend after a crash carries the same Message-ID, so mail
    # clients show one message.
    message_id: so.Mapped[str | None] = so.mapped_column(sa.String(250), index=True)
    # Threading for mail clients: the e-mail this one answers and the thread before it.
    in_reply_to: so.Mapped[str | None] = so.mapped_column(sa.String(250))
    thread_refs: so.Mapped[str | None] = so.mapped_column(sa.Text)
    # Where the recipient's answer goes: the case's signed address (mesa+caso-N-firma@…), when set.
    reply_to: so.Mapped[str | None] = so.mapped_column(sa.String(254))
    # A delivery report (bounce) read from the mailbox about this e-mail.
    bounced_at: so.Mapped[datetime | None]
    bounce_reason: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    sent_at: so.Mapped[datetime | None]
