"""What the desk reads from its mailbox: each e-mail once (by Message-ID), and each reader's last poll."""

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from models.base import Base, check_in, utcnow
from models.enums import InboundStatus


class InboundEmail(Base):
    """One e-mail read from the mailbox. The unique Message-ID makes a second reader's (or a retried)
    import of the same e-mail fail whole, so it lands once; the raw .eml stays in storage for audit."""

    __tablename__ = "inbound_emails"
    __table_args__ = (
        sa.CheckConstraint(check_in("status", list(InboundStatus)), name="status"),
        sa.Index("ix_inbound_emails_status_imported", "status", "imported_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    message_id: so.Mapped[str] = so.mapped_column(sa.String(250), unique=True)
    from_address: so.Mapped[str] = so.mapped_column(sa.String(254))
    from_name: so.Mapped[str] = so.mapped_column(sa.String(200), default="", server_default="")
    subject: so.Mapped[str] = so.mapped_column(sa.String(300), default="", server_default="")
    # The new text the sender wrote (quoted history and signature removed), as it was put in the case.
    body: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")
    status: so.Mapped[str] = so.mapped_column(sa.String(10))
    # Why it was held or ignored, or how it found its case (a code the catalogue words).
    reason: so.Mapped[str] = so.mapped_column(sa.String(40), default="", server_default="")
    case_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    sender_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    raw_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    raw_size: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    sent_at: so.Mapped[datetime | None]
    imported_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    handled_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    handled_at: so.Mapped[datetime | None]


class MailReaderState(Base):
    """Each reader's (process's) last poll: what Administración → Correo shows of the mailbox."""

    __tablename__ = "mail_reader_state"

    name: so.Mapped[str] = so.mapped_column(sa.String(120), primary_key=True)
    last_poll_at: so.Mapped[datetime | None]
    last_ok_at: so.Mapped[datetime | None]
    last_error: so.Mapped[str | None] = so.mapped_column(sa.Text)
    imported: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
