"""full-text search: the documents of the cases and their word index (SQLite FTS5 / PostgreSQL tsvector)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# The index of the documents, kept by the database itself: FTS5 triggers on SQLite, a generated column
# on PostgreSQL. services.migrate fills the documents of the cases already there (services.search.rebuild).
SQLITE_INDEX = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, people, content='search_docs', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN "
    "INSERT INTO search_fts(rowid, title, body, people) VALUES (new.id, new.title, new.body, new.people); END",
    "CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body, people) VALUES ('delete', old.id, old.title, old.body, old.people); END",
    "CREATE TRIGGER search_docs_au AFTER UPDATE ON search_docs BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body, people) VALUES ('delete', old.id, old.title, old.body, old.people); "
    "INSERT INTO search_fts(rowid, title, body, people) VALUES (new.id, new.title, new.body, new.people); END",
]
POSTGRESQL_INDEX = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    # unaccent() is not IMMUTABLE (its dictionary could change); this wrapper says it is, as the
    # PostgreSQL manual suggests, so a generated column and an index may use it. The extension's schema
    # is written out ({schema}): pg_restore runs with an empty search_path.
    "CREATE OR REPLACE FUNCTION mesa_unaccent(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT "
    "AS $$ SELECT {schema}.unaccent('{schema}.unaccent'::regdictionary, $1) $$",
    "ALTER TABLE search_docs ADD COLUMN tsv tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('spanish'::regconfig, mesa_unaccent(title)), 'A') || "
    "setweight(to_tsvector('spanish'::regconfig, mesa_unaccent(body)), 'B') || "
    "setweight(to_tsvector('spanish'::regconfig, mesa_unaccent(people)), 'C')) STORED",
    "CREATE INDEX ix_search_docs_tsv ON search_docs USING gin (tsv)",
]


def upgrade() -> None:
    op.create_table(
        "search_docs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("requester_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("area_id", sa.Integer(), sa.ForeignKey("areas.id"), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("people", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('case', 'note')", name="kind"),
        sa.UniqueConstraint("case_id", "kind", name="uq_search_docs_case_kind"),
    )
    op.create_index("ix_search_docs_requester", "search_docs", ["requester_id"])
    op.create_index("ix_search_docs_area", "search_docs", ["area_id"])
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_INDEX:
            op.execute(statement)
        return
    op.execute(POSTGRESQL_INDEX[0])
    schema = op.get_bind().scalar(
        sa.text("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'unaccent'")
    )
    for statement in POSTGRESQL_INDEX[1:]:
        op.execute(statement.replace("{schema}", schema))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table("search_docs")
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS mesa_unaccent(text)")
