"""The migrations are the only way the schema is made: what they build is exactly what the models say."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from models import Base


def test_the_migrated_database_matches_the_models(engine, desk):
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert differences == []
