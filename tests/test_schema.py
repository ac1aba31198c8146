"""The migrations are the only way the schema is made: what they build is exactly what the models say."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from models import Base

# The search's word index is the database's own (FTS5 and its shadow tables on SQLite; a generated
# tsvector column and its GIN index — with the documents' scope words beside it since 0013 — on PostgreSQL):
# made by migrations 0011 and 0013 (cases) and 0012 (articles), not a model (models/search.py, knowledge.py).
SEARCH_INDEX = {"search_fts", "kb_fts", "tsv", "ix_search_docs_tsv", "ix_search_docs_words", "ix_kb_articles_tsv"}


def _ours(name, type_, _parent) -> bool:
    return not (name in SEARCH_INDEX or (type_ == "table" and name.startswith(("search_fts_", "kb_fts_"))))


def test_the_migrated_database_matches_the_models(engine, desk):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": _ours})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
