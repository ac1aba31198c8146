"""report_days: Satisfacción's figures per local day, so the page adds up days instead of cases;
a partial index on the answers that carry a comment (the latest comments)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28

The existing cases are summed into the new table by services.migrate.upgrade right after this
revision, with the code that keeps the table (not frozen here, so a later change of the table
cannot break this file); after changing MESA_TIMEZONE run `python cli.py rebuild-reports`.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

URGENCIES = ("very_low", "low", "medium", "high", "very_high")
HOUR_BUCKETS = 25
COUNTS = ("answered", "said_no", "stars_1", "stars_2", "stars_3", "stars_4", "stars_5", "closed",
          "closed_never_reopened", "closed_without_answer", "resolved", "resolved_on_time")


def upgrade() -> None:
    columns = [sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS]
    for urgency in URGENCIES:
        columns.append(sa.Column(f"resolved_{urgency}", sa.Integer(), nullable=False))
        columns.append(sa.Column(f"hours_{urgency}", sa.Float(), nullable=False))
    columns += [sa.Column(f"hours_le_{i:02d}", sa.Integer(), nullable=False) for i in range(HOUR_BUCKETS)]
    op.create_table(
        "report_days",
        sa.Column("grain", sa.String(length=8), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("option_id", sa.Integer(), nullable=False),
        sa.Column("advisor_id", sa.Integer(), nullable=False),
        *columns,
        sa.CheckConstraint("grain IN ('area', 'option', 'advisor')", name=op.f("ck_report_days_grain")),
        sa.PrimaryKeyConstraint("grain", "day", "area_id", "option_id", "advisor_id", name="pk_report_days"),
        sqlite_with_rowid=False,
    )
    commented = sa.text("comment IS NOT NULL OR rating_comment IS NOT NULL")
    op.create_index("ix_survey_answers_commented", "survey_answers", ["created_at"], sqlite_where=commented,
                    postgresql_where=commented)


def downgrade() -> None:
    op.drop_index("ix_survey_answers_commented", table_name="survey_answers")
    op.drop_table("report_days")
