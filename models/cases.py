"""A case (ticket) and what hangs from it: messages, attachments and the timeline of events."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from models.base import Base, check_in, utcnow
from models.enums import Status, Urgency

if TYPE_CHECKING:
    from models.catalogue import Area, ServiceOption
    from models.users import User

# The open statuses, and as SQL: partial indexes cover just these rows, and a query uses them only when
# its WHERE repeats this exact term (see services.inbox).
OPEN_STATUSES = ("new", "assigned", "in_progress", "waiting")
OPEN_STATUS_SQL = "status IN (" + ", ".join(f"'{status}'" for status in OPEN_STATUSES) + ")"


class Counter(Base):
    """Named counters handed out inside a transaction (the case number)."""

    __tablename__ = "counters"

    name: so.Mapped[str] = so.mapped_column(sa.String(40), primary_key=True)
    value: so.Mapped[int] = so.mapped_column(sa.BigInteger)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        sa.CheckConstraint(check_in("status", list(Status)), name="status"),
        sa.CheckConstraint(check_in("urgency", list(Urgency)), name="urgency"),
        sa.CheckConstraint("reopen_count >= 0", name="reopen_count"),
        sa.CheckConstraint("version >= 1", name="version"),
        # The screens' queries: my cases by last activity; the inbox by area/status/due time.
        sa.Index("ix_cases_requester_activity", "requester_id", "last_activity_at"),
        sa.Index("ix_cases_requester_status_activity", "requester_id", "status", "last_activity_at"),
        sa.Index("ix_cases_area_status_due", "area_id", "status", "due_at"),
        sa.Index("ix_cases_assignee_status_due", "assignee_id", "status", "due_at"),
        sa.Index("ix_cases_status_due", "status", "due_at"),
        # Satisfacción reads cases by resolution and closing date from these indexes alone.
        sa.Index("ix_cases_resolved_at", "resolved_at", "created_at", "due_at", "urgency"),
        sa.Index("ix_cases_closed_at", "closed_at", "status", "reopen_count", "closed_without_answer"),
        sa.Index("ix_cases_created_at", "created_at"),
        sa.Index("ix_cases_first_response_at", "first_response_at"),  # report_days' first responses of a day
        # The inbox pages open cases by due time, in an area or across all: small indexes that
        # hold only open cases, however many closed ones history piles up.
        # In the inbox's order (due time, number), and covering what its figures count (the first
        # response's too, migration 0014), so the first page and the figures read index entries of open
        # cases only.
        sa.Index(
            "ix_cases_open_area_due",
            "area_id",
            "due_at",
            "number",
            "status",
            "assignee_id",
            "first_response_at",
            "first_response_due_at",
            sqlite_where=sa.text(OPEN_STATUS_SQL),
            postgresql_where=sa.text(OPEN_STATUS_SQL),
        ),
        sa.Index(
            "ix_cases_open_due",
            "due_at",
            "number",
            "status",
            "assignee_id",
            "area_id",
            "first_response_at",
            "first_response_due_at",
            sqlite_where=sa.text(OPEN_STATUS_SQL),
            postgresql_where=sa.text(OPEN_STATUS_SQL),
        ),
        # The escalation (services/sla.py) finds the open cases whose warning time has come.
        sa.Index(
            "ix_cases_open_warn",
            "warn_at",
            sqlite_where=sa.text(OPEN_STATUS_SQL),
            postgresql_where=sa.text(OPEN_STATUS_SQL),
        ),
        sa.Index(
            "ix_cases_open_first_response",
            "first_response_warn_at",
            sqlite_where=sa.text("first_response_at IS NULL"),
            postgresql_where=sa.text("first_response_at IS NULL"),
        ),
        # The form's one-time token: a double click or a rerun finds the case already made.
        sa.UniqueConstraint("requester_id", "request_token", name="uq_cases_requester_request_token"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    number: so.Mapped[int] = so.mapped_column(sa.BigInteger, unique=True)
    area_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("areas.id"))
    option_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("service_options.id"), index=True)
    requester_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    assignee_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    subject: so.Mapped[str] = so.mapped_column(sa.String(200))
    description: so.Mapped[str] = so.mapped_column(sa.Text)
    urgency: so.Mapped[str] = so.mapped_column(sa.String(10))
    status: so.Mapped[str] = so.mapped_column(sa.String(12), default=Status.NEW)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    status_changed_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    last_activity_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    first_response_at: so.Mapped[datetime | None]
    due_at: so.Mapped[datetime | None]
    # The SLA in business time (services/sla.py): the first-response target, and the moments at 75 % of
    # each target when the assignee is warned; business seconds spent "En espera" push the resolution back.
    first_response_due_at: so.Mapped[datetime | None]
    first_response_warn_at: so.Mapped[datetime | None]
    warn_at: so.Mapped[datetime | None]
    paused_seconds: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    # The promise made at registration: "9 de cada 10 casos como este se resuelven antes de …", from the
    # desk's history ("history") or, with too little of it, the SLA ("sla").
    promised_at: so.Mapped[datetime | None]
    promise_basis: so.Mapped[str | None] = so.mapped_column(sa.String(8))
    waiting_since: so.Mapped[datetime | None]
    resolved_at: so.Mapped[datetime | None]
    closed_at: so.Mapped[datetime | None]
    closed_without_answer: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    solution: so.Mapped[str | None] = so.mapped_column(sa.Text)
    reopen_count: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")
    request_token: so.Mapped[str | None] = so.mapped_column(sa.String(64))

    # Optimistic locking: every UPDATE checks and bumps the version, so a stale edit fails whole.
    __mapper_args__ = {"version_id_col": version}

    # lazy="raise": a read says what it loads (selectinload / joinedload), so no screen issues a query per row.
    area: so.Mapped[Area] = so.relationship(lazy="raise")
    option: so.Mapped[ServiceOption] = so.relationship(lazy="raise")
    requester: so.Mapped[User] = so.relationship(foreign_keys=[requester_id], lazy="raise")
    assignee: so.Mapped[User | None] = so.relationship(foreign_keys=[assignee_id], lazy="raise")
    # The database deletes a case's rows with it (ON DELETE CASCADE): passive_deletes leaves that to it.
    attachments: so.Mapped[list[Attachment]] = so.relationship(
        lazy="raise", passive_deletes=True, order_by=lambda: (Attachment.created_at, Attachment.id)
    )
    messages: so.Mapped[list[CaseMessage]] = so.relationship(
        lazy="raise", passive_deletes=True, order_by=lambda: (CaseMessage.created_at, CaseMessage.id)
    )
    events: so.Mapped[list[CaseEvent]] = so.relationship(
        lazy="raise", passive_deletes=True, order_by=lambda: (CaseEvent.created_at, CaseEvent.id)
    )

    def __repr__(self) -> str:
        return f"<Case #{self.number} {self.status}>"


class SlaAlert(Base):
    """A warning (75 %) or breach told about one target of one case: the key makes it once, however many
    senders run the escalation."""

    __tablename__ = "sla_alerts"
    __table_args__ = (
        sa.CheckConstraint("target IN ('first_response', 'resolution')", name="target"),
        sa.CheckConstraint("level IN ('warning', 'breach')", name="level"),
    )

    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    target: so.Mapped[str] = so.mapped_column(sa.String(14), primary_key=True)
    level: so.Mapped[str] = so.mapped_column(sa.String(8), primary_key=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class CaseMessage(Base):
    """A message of the conversation; internal ones are advisors' notes the requester never sees."""

    __tablename__ = "case_messages"
    __table_args__ = (sa.Index("ix_case_messages_case_created", "case_id", "created_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    author_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    internal: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    author: so.Mapped[User] = so.relationship(lazy="raise")


class Attachment(Base):
    """A file of a case: the bytes live in storage by content hash; the original name is only data."""

    __tablename__ = "attachments"
    __table_args__ = (
        sa.CheckConstraint("size_bytes > 0", name="size_positive"),
        sa.Index("ix_attachments_case", "case_id", "created_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    message_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("case_messages.id"))
    uploaded_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    original_name: so.Mapped[str] = so.mapped_column(sa.String(255))
    description: so.Mapped[str] = so.mapped_column(sa.String(500), default="", server_default="")
    content_type: so.Mapped[str] = so.mapped_column(sa.String(120))
    size_bytes: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    content_hash: so.Mapped[str] = so.mapped_column(sa.String(64), index=True)
    internal: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    uploaded_by: so.Mapped[User] = so.relationship(lazy="raise")


class CaseEvent(Base):
    """One line of a case's timeline: who did what, when (the audit trail of the case)."""

    __tablename__ = "case_events"
    __table_args__ = (sa.Index("ix_case_events_case_created", "case_id", "created_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    actor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    kind: so.Mapped[str] = so.mapped_column(sa.String(30))
    detail: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    internal: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    actor: so.Mapped[User | None] = so.relationship(lazy="raise")
