"""covering indexes for the Satisfacción figures (cases by resolution/closing date; answers by date)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_cases_resolved_at", table_name="cases")
    op.create_index("ix_cases_resolved_at", "cases", ["resolved_at", "created_at", "due_at", "urgency"])
    op.create_index("ix_cases_closed_at", "cases", ["closed_at", "status", "reopen_count", "closed_without_answer"])
    op.drop_index("ix_survey_answers_created", table_name="survey_answers")
    op.create_index("ix_survey_answers_created", "survey_answers", ["created_at", "case_id", "rating", "resolved"])


def downgrade() -> None:
    op.drop_index("ix_survey_answers_created", table_name="survey_answers")
    op.create_index("ix_survey_answers_created", "survey_answers", ["created_at"])
    op.drop_index("ix_cases_closed_at", table_name="cases")
    op.drop_index("ix_cases_resolved_at", table_name="cases")
    op.create_index("ix_cases_resolved_at", "cases", ["resolved_at"])
