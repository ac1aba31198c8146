"""e-mail in: the e-mails read from the mailbox, each reader's state, threading and bounces of the
outbox, an address per area and its mail-only "Sin clasificar" option

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

INBOUND_STATUSES = "status IN ('message', 'new_case', 'held', 'ignored', 'bounce', 'discarded')"


def upgrade() -> None:
    op.create_table(
        "inbound_emails",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("message_id", sa.String(250), nullable=False),
        sa.Column("from_address", sa.String(254), nullable=False),
        sa.Column("from_name", sa.String(200), server_default="", nullable=False),
        sa.Column("subject", sa.String(300), server_default="", nullable=False),
        sa.Column("body", sa.Text(), server_default="", nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(40), server_default="", nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="SET NULL"), nullable=True),
        sa.Column("sender_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("raw_hash", sa.String(64), nullable=False),
        sa.Column("raw_size", sa.BigInteger(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("handled_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("handled_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(INBOUND_STATUSES, name="status"),
        sa.UniqueConstraint("message_id"),
    )
    op.create_index("ix_inbound_emails_status_imported", "inbound_emails", ["status", "imported_at"])
    op.create_index("ix_inbound_emails_case_id", "inbound_emails", ["case_id"])
    op.create_table(
        "mail_reader_state",
        sa.Column("name", sa.String(120), primary_key=True),
        sa.Column("last_poll_at", sa.DateTime(), nullable=True),
        sa.Column("last_ok_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("imported", sa.Integer(), server_default="0", nullable=False),
    )
    # Plain ADD COLUMN (nullable or with a default): SQLite's batch mode would copy tables in use.
    op.add_column("outbox_emails", sa.Column("in_reply_to", sa.String(250), nullable=True))
    op.add_column("outbox_emails", sa.Column("thread_refs", sa.Text(), nullable=True))
    op.add_column("outbox_emails", sa.Column("reply_to", sa.String(254), nullable=True))
    op.add_column("outbox_emails", sa.Column("bounced_at", sa.DateTime(), nullable=True))
    op.add_column("outbox_emails", sa.Column("bounce_reason", sa.String(500), nullable=True))
    op.create_index("ix_outbox_emails_message_id", "outbox_emails", ["message_id"])
    op.add_column("areas", sa.Column("inbound_address", sa.String(254), nullable=True))
    op.create_index("ix_areas_inbound_address", "areas", ["inbound_address"], unique=True)
    op.add_column("service_options", sa.Column("mail_only", sa.Boolean(), server_default=sa.false(), nullable=False))
    # Every area has its "Sin clasificar" option for cases that arrive by e-mail (areas made later get
    # theirs on first use: services.catalogue.mail_option).
    op.execute(
        sa.text(
            "INSERT INTO service_options (area_id, name, description, active, position, mail_only) "
            "SELECT id, 'Sin clasificar', 'Casos recibidos por correo, aún sin opción', :yes, 999, :yes FROM areas "
            "WHERE NOT EXISTS (SELECT 1 FROM service_options o WHERE o.area_id = areas.id AND o.name = 'Sin clasificar')"
        ).bindparams(yes=True)
    )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM service_options WHERE mail_only = :yes").bindparams(yes=True))
    op.drop_column("service_options", "mail_only")
    op.drop_index("ix_areas_inbound_address", table_name="areas")
    op.drop_column("areas", "inbound_address")
    op.drop_index("ix_outbox_emails_message_id", table_name="outbox_emails")
    for column in ("bounce_reason", "bounced_at", "reply_to", "thread_refs", "in_reply_to"):
        op.drop_column("outbox_emails", column)
    op.drop_table("mail_reader_state")
    op.drop_index("ix_inbound_emails_case_id", table_name="inbound_emails")
    op.drop_index("ix_inbound_emails_status_imported", table_name="inbound_emails")
    op.drop_table("inbound_emails")
