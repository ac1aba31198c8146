"""case request token and number counter

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_token", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_cases_requester_request_token", ["requester_id", "request_token"])
    # The case number counter starts after the highest number already given.
    op.execute("INSERT INTO counters (name, value) SELECT 'case_number', COALESCE(MAX(number), 0) FROM cases")


def downgrade() -> None:
    op.execute("DELETE FROM counters WHERE name = 'case_number'")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_constraint("uq_cases_requester_request_token", type_="unique")
        batch_op.drop_column("request_token")
