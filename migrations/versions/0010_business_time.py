"""business time: area calendars and their exceptions, a first-response target, warning times, the time
paused, and the alerts told once

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

HOUR_BUCKETS = 25  # models.reports.HOUR_BOUNDS has 24 bounds: 25 buckets (written out: a migration is history)


def upgrade() -> None:
    op.create_table(
        "area_calendars",
        sa.Column("area_id", sa.Integer(), sa.ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("weekly", sa.JSON(), nullable=False),
        sa.Column("national_holidays", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("first_response_on", sa.String(6), server_default="reply", nullable=False),
        sa.Column("breach_action", sa.String(10), server_default="none", nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("first_response_on IN ('reply', 'take')", name="first_response_on"),
        sa.CheckConstraint("breach_action IN ('none', 'raise', 'unassign')", name="breach_action"),
    )
    op.create_table(
        "calendar_exceptions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("area_id", sa.Integer(), sa.ForeignKey("areas.id", ondelete="CASCADE"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(120), server_default="", nullable=False),
        sa.UniqueConstraint("area_id", "day", name="uq_calendar_exceptions_area_day"),
    )
    op.create_table(
        "sla_alerts",
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("target", sa.String(14), primary_key=True),
        sa.Column("level", sa.String(8), primary_key=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("target IN ('first_response', 'resolution')", name="target"),
        sa.CheckConstraint("level IN ('warning', 'breach')", name="level"),
    )
    op.add_column("sla_policies", sa.Column("first_response_hours", sa.Integer(), nullable=True))
    for column in ("first_response_due_at", "first_response_warn_at", "warn_at"):
        op.add_column("cases", sa.Column(column, sa.DateTime(), nullable=True))
    op.add_column("cases", sa.Column("paused_seconds", sa.Integer(), server_default="0", nullable=False))
    op.create_index("ix_cases_first_response_at", "cases", ["first_response_at"])
    op.add_column("cases", sa.Column("promised_at", sa.DateTime(), nullable=True))
    op.add_column("cases", sa.Column("promise_basis", sa.String(8), nullable=True))
    for column in ("first_responded", "first_response_on_time", "promised", "promise_kept"):
        op.add_column("report_days", sa.Column(column, sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "resolution_days",
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("option_id", sa.Integer(), nullable=False),
        sa.Column("urgency", sa.String(10), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *(sa.Column(f"hours_le_{i:02d}", sa.Integer(), nullable=False) for i in range(HOUR_BUCKETS)),
        sa.PrimaryKeyConstraint("area_id", "option_id", "urgency", "day", name="pk_resolution_days"),
        sqlite_with_rowid=False,
    )
    # Open cases already past their due time when this runs were never told by the escalation, which did
    # not exist: recorded as told, so the first minute after an upgrade is not a flood of old breaches.
    now = sa.bindparam("now", datetime.now(UTC).replace(tzinfo=None))
    for level in ("warning", "breach"):
        op.execute(
            sa.text(
                "INSERT INTO sla_alerts (case_id, target, level, created_at) "
                f"SELECT id, 'resolution', '{level}', :now FROM cases "
                "WHERE status IN ('new', 'assigned', 'in_progress', 'waiting') AND due_at <= :now"
            ).bindparams(now)
        )
    # The escalation looks for open cases whose warning or due time has come, by these partial indexes.
    open_cases = sa.text("status IN ('new', 'assigned', 'in_progress', 'waiting')")
    op.create_index("ix_cases_open_warn", "cases", ["warn_at"], sqlite_where=open_cases, postgresql_where=open_cases)
    op.create_index(
        "ix_cases_open_first_response",
        "cases",
        ["first_response_warn_at"],
        sqlite_where=sa.text("first_response_at IS NULL"),
        postgresql_where=sa.text("first_response_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("resolution_days")
    for column in ("promise_kept", "promised", "first_response_on_time", "first_responded"):
        op.drop_column("report_days", column)
    op.drop_column("cases", "promise_basis")
    op.drop_column("cases", "promised_at")
    op.drop_index("ix_cases_first_response_at", table_name="cases")
    op.drop_index("ix_cases_open_first_response", table_name="cases")
    op.drop_index("ix_cases_open_warn", table_name="cases")
    for column in ("paused_seconds", "warn_at", "first_response_warn_at", "first_response_due_at"):
        op.drop_column("cases", column)
    op.drop_column("sla_policies", "first_response_hours")
    op.drop_table("sla_alerts")
    op.drop_table("calendar_exceptions")
    op.drop_table("area_calendars")
