"""server-side login sessions, a pending e-mail address awaiting confirmation, a stored Message-ID per e-mail

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("end_reason", sa.String(20), nullable=True),
        sa.Column("remember", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("user_agent", sa.String(300), server_default="", nullable=False),
        sa.Column("cookie_hash", sa.String(64), nullable=True),
        sa.Column("cookie_grant_hash", sa.String(64), nullable=True),
        sa.Column("cookie_grant_expires_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_user_sessions_user_open", "user_sessions", ["user_id", "ended_at"])
    op.create_index("ix_user_sessions_cookie", "user_sessions", ["cookie_hash"], unique=True)
    op.create_index("ix_user_sessions_grant", "user_sessions", ["cookie_grant_hash"], unique=True)
    # Plain ADD COLUMN (nullable): SQLite's batch mode would copy and drop `users`, which the
    # foreign keys of a desk in use refuse.
    op.add_column("users", sa.Column("pending_email", sa.String(254), nullable=True))
    op.add_column("users", sa.Column("pending_email_requested_at", sa.DateTime(), nullable=True))
    op.add_column("outbox_emails", sa.Column("message_id", sa.String(250), nullable=True))


def downgrade() -> None:
    op.drop_column("outbox_emails", "message_id")
    op.drop_column("users", "pending_email_requested_at")
    op.drop_column("users", "pending_email")
    op.drop_index("ix_user_sessions_grant", table_name="user_sessions")
    op.drop_index("ix_user_sessions_cookie", table_name="user_sessions")
    op.drop_index("ix_user_sessions_user_open", table_name="user_sessions")
    op.drop_table("user_sessions")
