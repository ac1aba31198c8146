"""the inbox's partial indexes in its order (due time, number) and covering its figures

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

OPEN = sa.text("status IN ('new', 'assigned', 'in_progress', 'waiting')")


def upgrade() -> None:
    op.drop_index("ix_cases_open_due", table_name="cases")
    op.drop_index("ix_cases_open_area_due", table_name="cases")
    op.create_index("ix_cases_open_area_due", "cases", ["area_id", "due_at", "number", "status", "assignee_id"],
                    sqlite_where=OPEN, postgresql_where=OPEN)
    op.create_index("ix_cases_open_due", "cases", ["due_at", "number", "status", "assignee_id", "area_id"],
                    sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade() -> None:
    op.drop_index("ix_cases_open_due", table_name="cases")
    op.drop_index("ix_cases_open_area_due", table_name="cases")
    op.create_index("ix_cases_open_area_due", "cases", ["area_id", "due_at"], sqlite_where=OPEN, postgresql_where=OPEN)
    op.create_index("ix_cases_open_due", "cases", ["due_at"], sqlite_where=OPEN, postgresql_where=OPEN)
