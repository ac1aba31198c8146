"""resolution_days by day, for the recount of a day

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01

Every write that moves a case's report figures (a first reply, a status change, a resolution, an answer)
recounts its day: it deletes that day's rows of report_days and resolution_days and writes them again.
resolution_days is keyed by area, option, urgency and then day, so that delete read the whole table
(~67,000 rows at 200,000 cases, 5 ms of each of those writes, growing with the desk's age). The promise
(services/sla.py) still reads by the key.
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_resolution_days_day", "resolution_days", ["day"])


def downgrade() -> None:
    op.drop_index("ix_resolution_days_day", table_name="resolution_days")
