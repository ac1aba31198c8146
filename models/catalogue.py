"""The service catalogue: areas, their service options and their service-level agreements."""

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from models.base import Base, check_in, utcnow
from models.enums import AssignmentMode, Urgency
from models.users import advisor_areas


class Area(Base):
    __tablename__ = "areas"
    __table_args__ = (
        sa.CheckConstraint(check_in("assignment_mode", list(AssignmentMode)), name="assignment_mode"),
        sa.Index("ix_areas_inbound_address", "inbound_address", unique=True),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True)
    description: so.Mapped[str] = so.mapped_column(sa.String(300), default="", server_default="")
    assignment_mode: so.Mapped[str] = so.mapped_column(
        sa.String(10), default=AssignmentMode.AUTOMATIC, server_default=AssignmentMode.AUTOMATIC.value
    )
    # A mail to this address from a known user becomes a case of the area (its mail-only option).
    inbound_address: so.Mapped[str | None] = so.mapped_column(sa.String(254))
    active: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    position: so.Mapped[int] = so.mapped_column(default=0, server_default="0")

    options: so.Mapped[list["ServiceOption"]] = so.relationship(
        back_populates="area", order_by="ServiceOption.position"
    )
    advisors: so.Mapped[list["User"]] = so.relationship(secondary=advisor_areas, back_populates="areas")  # noqa: F821

    def __repr__(self) -> str:
        return f"<Area {self.name}>"


class ServiceOption(Base):
    __tablename__ = "service_options"
    __table_args__ = (sa.UniqueConstraint("area_id", "name", name="uq_service_options_area_name"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    area_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("areas.id"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(80))
    description: so.Mapped[str] = so.mapped_column(sa.String(300), default="", server_default="")
    active: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    position: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    # "Sin clasificar": where a case that arrived by e-mail starts; the web form never offers it.
    mail_only: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())

    area: so.Mapped[Area] = so.relationship(back_populates="options")

    def __repr__(self) -> str:
        return f"<ServiceOption {self.name}>"


class SlaPolicy(Base):
    """Hours to resolve a case of one urgency in one area."""

    __tablename__ = "sla_policies"
    __table_args__ = (
        sa.CheckConstraint(check_in("urgency", list(Urgency)), name="urgency"),
        sa.CheckConstraint("hours > 0", name="hours_positive"),
    )

    area_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("areas.id"), primary_key=True)
    urgency: so.Mapped[str] = so.mapped_column(sa.String(10), primary_key=True)
    hours: so.Mapped[int]
    # Business hours to the first response (None: no first-response target).
    first_response_hours: so.Mapped[int | None]
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class AreaCalendar(Base):
    """When an area works: its hours per weekday (breaks are the gaps), in MESA_TIMEZONE, and what its
    SLA does. An area without one works every hour of every day (business time is wall time)."""

    __tablename__ = "area_calendars"
    __table_args__ = (
        sa.CheckConstraint("first_response_on IN ('reply', 'take')", name="first_response_on"),
        sa.CheckConstraint("breach_action IN ('none', 'raise', 'unassign')", name="breach_action"),
    )

    area_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True)
    # Seven lists (Monday first) of [start, end) minutes from local midnight.
    weekly: so.Mapped[list] = so.mapped_column(sa.JSON)
    national_holidays: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    # What counts as the first response: the first reply to the requester, or Tomar (an assignment).
    first_response_on: so.Mapped[str] = so.mapped_column(sa.String(6), default="reply", server_default="reply")
    # On a resolution breach: nothing more than telling, raise the urgency one level, or back to the queue.
    breach_action: so.Mapped[str] = so.mapped_column(sa.String(10), default="none", server_default="none")
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class CalendarException(Base):
    """A local day an area works otherwise: a day off (no hours) or an extra working day (its hours)."""

    __tablename__ = "calendar_exceptions"
    __table_args__ = (sa.UniqueConstraint("area_id", "day", name="uq_calendar_exceptions_area_day"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    area_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("areas.id", ondelete="CASCADE"))
    day: so.Mapped[date]
    hours: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    note: so.Mapped[str] = so.mapped_column(sa.String(120), default="", server_default="")
