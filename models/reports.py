"""Satisfacción's daily figures, kept beside the cases so the page never aggregates case rows.

One row per local day and *grain*: the day's figures of an area (grain "area"), of an option
(grain "option", with its area) or of an advisor in an area (grain "advisor"; advisor 0 = no
one). A row holds counts and sums only, so any range of days adds up by SUM. The day is the
local day (MESA_TIMEZONE) of the event: the answer, the closing, the resolution.

services.report_days moves the rows a committed change touches (what a case counted before out,
what it counts now in), and recounts whole days for bulk writes; the columns
per urgency and per resolution-time bucket are written out below so the page can draw the
urgency chart and find the median without reading cases.
"""

from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so

from models.base import Base
from models.enums import Urgency

GRAINS = ("area", "option", "advisor")
URGENCY_COLUMNS = tuple(u.value for u in Urgency)
# Upper bounds (hours) of the resolution-time buckets; the last bucket is open.
HOUR_BOUNDS = (0.5, 1, 1.5, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 30, 36, 48, 60, 72, 96, 120, 168, 240, 360)
HOUR_COLUMNS = tuple(f"hours_le_{i:02d}" for i in range(len(HOUR_BOUNDS) + 1))


class ReportDay(Base):
    __tablename__ = "report_days"
    __table_args__ = (
        sa.PrimaryKeyConstraint("grain", "day", "area_id", "option_id", "advisor_id", name="pk_report_days"),
        sa.CheckConstraint("grain IN ('area', 'option', 'advisor')", name="grain"),
        # SQLite keeps the rows in key order, so a range of days is read straight, not row by row.
        {"sqlite_with_rowid": False},
    )

    grain: so.Mapped[str] = so.mapped_column(sa.String(8))
    day: so.Mapped[date]
    area_id: so.Mapped[int]
    option_id: so.Mapped[int] = so.mapped_column(default=0)
    advisor_id: so.Mapped[int] = so.mapped_column(default=0)
    # Answers to "¿Su solicitud fue resuelta?" given that day, and their stars.
    answered: so.Mapped[int] = so.mapped_column(default=0)
    said_no: so.Mapped[int] = so.mapped_column(default=0)
    stars_1: so.Mapped[int] = so.mapped_column(default=0)
    stars_2: so.Mapped[int] = so.mapped_column(default=0)
    stars_3: so.Mapped[int] = so.mapped_column(default=0)
    stars_4: so.Mapped[int] = so.mapped_column(default=0)
    stars_5: so.Mapped[int] = so.mapped_column(default=0)
    # Cases closed that day.
    closed: so.Mapped[int] = so.mapped_column(default=0)
    closed_never_reopened: so.Mapped[int] = so.mapped_column(default=0)
    closed_without_answer: so.Mapped[int] = so.mapped_column(default=0)
    # Cases resolved that day (their latest resolution).
    resolved: so.Mapped[int] = so.mapped_column(default=0)
    resolved_on_time: so.Mapped[int] = so.mapped_column(default=0)
    # First responses given that day to cases with a first-response target, and those in time.
    first_responded: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    first_response_on_time: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    # First resolutions that day of cases promised a date at registration, and those that kept it.
    promised: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    promise_kept: so.Mapped[int] = so.mapped_column(default=0, server_default="0")

    # Per urgency: cases resolved and the sum of their hours (the urgency chart); per bucket of
    # resolution time: cases (the median). Written in a loop: the names come from the lists above.
    for _urgency in URGENCY_COLUMNS:
        vars()[f"resolved_{_urgency}"] = so.mapped_column(sa.Integer, nullable=False, default=0)
        vars()[f"hours_{_urgency}"] = so.mapped_column(sa.Float, nullable=False, default=0.0)
    for _column in HOUR_COLUMNS:
        vars()[_column] = so.mapped_column(sa.Integer, nullable=False, default=0)
    del _urgency, _column


class ResolutionDay(Base):
    """Business hours from registration to first resolution, per local day of resolution, area, option and
    urgency, in the buckets of HOUR_BOUNDS: what the promise (services/sla.py: estimate) is read from,
    ninety rows at most per kind of case, never the cases themselves."""

    __tablename__ = "resolution_days"
    __table_args__ = (
        sa.PrimaryKeyConstraint("area_id", "option_id", "urgency", "day", name="pk_resolution_days"),
        # A day's recount (services/report_days.py) deletes its rows by day alone (migration 0016).
        sa.Index("ix_resolution_days_day", "day"),
        {"sqlite_with_rowid": False},
    )

    area_id: so.Mapped[int]
    option_id: so.Mapped[int]
    urgency: so.Mapped[str] = so.mapped_column(sa.String(10))
    day: so.Mapped[date]
    for _column in HOUR_COLUMNS:
        vars()[_column] = so.mapped_column(sa.Integer, nullable=False, default=0)
    del _column
