"""full-text search at scale: who may find a document as words of the word index (search_docs.scope)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# SQLite: the FTS5 index gets a fourth column, the scope's words (r<requester> a<area> k<kind> and the
# subject's key), so the rights and an exact subject are matched inside the index, with the words. The
# old index and its triggers go, the column is filled, the new index is built once from the documents.
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS search_docs_ai",
    "DROP TRIGGER IF EXISTS search_docs_ad",
    "DROP TRIGGER IF EXISTS search_docs_au",
    "DROP TABLE IF EXISTS search_fts",
]
SQLITE_INDEX = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, people, scope, content='search_docs', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "INSERT INTO search_fts(search_fts) VALUES ('rebuild')",
    "CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN "
    "INSERT INTO search_fts(rowid, title, body, people, scope) "
    "VALUES (new.id, new.title, new.body, new.people, new.scope); END",
    "CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body, people, scope) "
    "VALUES ('delete', old.id, old.title, old.body, old.people, old.scope); END",
    # Only a change of what is indexed moves the index (not updated_at alone).
    "CREATE TRIGGER search_docs_au AFTER UPDATE OF title, body, people, scope ON search_docs BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body, people, scope) "
    "VALUES ('delete', old.id, old.title, old.body, old.people, old.scope); "
    "INSERT INTO search_fts(rowid, title, body, people, scope) "
    "VALUES (new.id, new.title, new.body, new.people, new.scope); END",
]
# What 0011 made (downgrade).
SQLITE_BEFORE = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, people, content='search_docs', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "INSERT INTO search_fts(search_fts) VALUES ('rebuild')",
    "CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN "
    "INSERT INTO search_fts(rowid, title, body, people) VALUES (new.id, new.title, new.body, new.people); END",
    "CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body, people) "
    "VALUES ('delete', old.id, old.title, old.body, old.people); END",
    "CREATE TRIGGER search_docs_au AFTER UPDATE ON search_docs BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body, people) "
    "VALUES ('delete', old.id, old.title, old.body, old.people); "
    "INSERT INTO search_fts(rowid, title, body, people) VALUES (new.id, new.title, new.body, new.people); END",
]
# PostgreSQL: the words' GIN index gets a second column, the scope's words and the document's block of ids
# (b<id // 4096>, services.search.BLOCK), so the index itself intersects the words with who may see them,
# an exact subject's key, and the newest blocks. It is made after every row is rewritten.
POSTGRESQL_INDEX = (
    "CREATE INDEX ix_search_docs_words ON search_docs USING gin "
    "(tsv, (to_tsvector('simple'::regconfig, scope || ' b' || (id / 4096)::text)))"
)
_CHUNK = 5000


def _fill_scope(conn: sa.Connection) -> None:
    """Every document's scope words, written in chunks (services.search.scope_words says what they are)."""
    from services.search import scope_words

    last = 0
    while True:
        rows = conn.execute(
            sa.text(
                "SELECT id, requester_id, area_id, kind, title FROM search_docs WHERE id > :last ORDER BY id LIMIT :n"
            ),
            {"last": last, "n": _CHUNK},
        ).all()
        if not rows:
            return
        values = [{"id": row.id, "scope": scope_words(row.requester_id, row.area_id, row.kind, row.title)} for row in rows]
        if conn.dialect.name == "sqlite":
            conn.execute(sa.text("UPDATE search_docs SET scope = :scope WHERE id = :id"), values)
        else:
            conn.execute(
                sa.text(
                    "UPDATE search_docs AS d SET scope = v.scope "
                    "FROM unnest(CAST(:ids AS integer[]), CAST(:scopes AS text[])) AS v(id, scope) WHERE d.id = v.id"
                ),
                {"ids": [v["id"] for v in values], "scopes": [v["scope"] for v in values]},
            )
        last = rows[-1].id


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        for statement in SQLITE_DROP:
            op.execute(statement)
        # SQLite adds a NOT NULL column only with a default; the desk always writes it.
        op.execute("ALTER TABLE search_docs ADD COLUMN scope VARCHAR(80) DEFAULT '' NOT NULL")
        _fill_scope(conn)
        for statement in SQLITE_INDEX:
            op.execute(statement)
        return
    op.execute("ALTER TABLE search_docs ADD COLUMN scope VARCHAR(80) DEFAULT '' NOT NULL")
    op.execute("DROP INDEX IF EXISTS ix_search_docs_tsv")
    _fill_scope(conn)
    op.execute("ALTER TABLE search_docs ALTER COLUMN scope DROP DEFAULT")
    op.execute(POSTGRESQL_INDEX)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DROP:
            op.execute(statement)
        op.execute("ALTER TABLE search_docs DROP COLUMN scope")
        for statement in SQLITE_BEFORE:
            op.execute(statement)
        return
    op.execute("DROP INDEX IF EXISTS ix_search_docs_words")
    op.execute("ALTER TABLE search_docs DROP COLUMN scope")
    op.execute("CREATE INDEX ix_search_docs_tsv ON search_docs USING gin (tsv)")
