"""knowledge base: articles and their versions, votes, what readers did, predefined replies, and the
articles' word index (SQLite FTS5 / PostgreSQL tsvector)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

SQLITE_INDEX = [
    "CREATE VIRTUAL TABLE kb_fts USING fts5(title, body, tags, content='kb_articles', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER kb_articles_ai AFTER INSERT ON kb_articles BEGIN "
    "INSERT INTO kb_fts(rowid, title, body, tags) VALUES (new.id, new.title, new.body, new.tags); END",
    "CREATE TRIGGER kb_articles_ad AFTER DELETE ON kb_articles BEGIN "
    "INSERT INTO kb_fts(kb_fts, rowid, title, body, tags) VALUES ('delete', old.id, old.title, old.body, old.tags); END",
    # Only a change of the text moves the index: the counters (views, votes) change often and leave it be.
    "CREATE TRIGGER kb_articles_au AFTER UPDATE OF title, body, tags ON kb_articles BEGIN "
    "INSERT INTO kb_fts(kb_fts, rowid, title, body, tags) VALUES ('delete', old.id, old.title, old.body, old.tags); "
    "INSERT INTO kb_fts(rowid, title, body, tags) VALUES (new.id, new.title, new.body, new.tags); END",
]
POSTGRESQL_INDEX = [
    "ALTER TABLE kb_articles ADD COLUMN tsv tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('spanish'::regconfig, mesa_unaccent(title)), 'A') || "
    "setweight(to_tsvector('spanish'::regconfig, mesa_unaccent(tags)), 'B') || "
    "setweight(to_tsvector('spanish'::regconfig, mesa_unaccent(body)), 'C')) STORED",
    "CREATE INDEX ix_kb_articles_tsv ON kb_articles USING gin (tsv)",
]


def upgrade() -> None:
    op.create_table(
        "kb_articles",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("tags", sa.String(300), server_default="", nullable=False),
        sa.Column("audience", sa.String(8), server_default="public", nullable=False),
        sa.Column("status", sa.String(9), server_default="draft", nullable=False),
        sa.Column("area_id", sa.Integer(), sa.ForeignKey("areas.id"), nullable=True),
        sa.Column("option_id", sa.Integer(), sa.ForeignKey("service_options.id"), nullable=True),
        sa.Column("source_case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="SET NULL"), nullable=True),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.Column("views", sa.Integer(), server_default="0", nullable=False),
        sa.Column("helpful", sa.Integer(), server_default="0", nullable=False),
        sa.Column("not_helpful", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("audience IN ('public', 'internal')", name="audience"),
        sa.CheckConstraint("status IN ('draft', 'published', 'archived')", name="status"),
        sa.CheckConstraint("version >= 1", name="version"),
    )
    op.create_index("ix_kb_articles_area_id", "kb_articles", ["area_id"])
    op.create_index("ix_kb_articles_status_updated", "kb_articles", ["status", "updated_at"])
    op.create_table(
        "kb_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("kb_articles.id", ondelete="CASCADE"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("tags", sa.String(300), server_default="", nullable=False),
        sa.Column("audience", sa.String(8), nullable=False),
        sa.Column("area_id", sa.Integer(), sa.ForeignKey("areas.id"), nullable=True),
        sa.Column("option_id", sa.Integer(), sa.ForeignKey("service_options.id"), nullable=True),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("article_id", "number", name="uq_kb_versions_article_number"),
    )
    op.create_table(
        "kb_votes",
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("kb_articles.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "kb_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("kb_articles.id", ondelete="CASCADE"), nullable=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("query", sa.String(200), nullable=True),
        sa.Column("results", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('view', 'helpful', 'not_helpful', 'avoided', 'search')", name="kind"),
    )
    op.create_index("ix_kb_events_kind_created", "kb_events", ["kind", "created_at"])
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("area_id", sa.Integer(), sa.ForeignKey("areas.id", ondelete="CASCADE"), nullable=False),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("area_id", "title", name="uq_canned_replies_area_title"),
    )
    for statement in SQLITE_INDEX if op.get_bind().dialect.name == "sqlite" else POSTGRESQL_INDEX:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS kb_fts")
    for table in ("canned_replies", "kb_events", "kb_votes", "kb_versions", "kb_articles"):
        op.drop_table(table)
