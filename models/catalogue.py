"""The service catalogue: areas, their service options and their service-level agreements."""

from datetime import datetime

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
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
