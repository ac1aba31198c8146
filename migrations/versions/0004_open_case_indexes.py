"""partial indexes on open cases for the inbox

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

OPEN = sa.text("status IN ('new', 'assigned', 'in_progress', 'waiting')")


def upgrade() -> None:
    op.create_index("ix_cases_open_area_due", "cases", ["area_id", "due_at"], sqlite_where=OPEN, postgresql_where=OPEN)
    op.create_index("ix_cases_open_due", "cases", ["due_at"], sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade() -> None:
    op.drop_index("ix_cases_open_due", table_name="cases")
    op.drop_index("ix_cases_open_area_due", table_name="cases")
