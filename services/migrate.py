"""Apply the Alembic migrations to a database (the app does it at start; `cli.py migrate` on demand)."""

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext

ROOT = Path(__file__).resolve().parent.parent


def alembic_config() -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    return cfg


# The revisions that created report_days and resolution_days: a database upgraded across either gets
# the daily tables filled from the cases already there.
REPORT_DAYS_REVISION = "0010"
# The revision that made the search's documents: the cases already there get theirs.
SEARCH_REVISION = "0011"


def upgrade(engine: sa.Engine) -> None:
    """Bring the schema to the newest revision; safe to call on every start."""
    cfg = alembic_config()
    with engine.begin() as conn:
        before = MigrationContext.configure(conn).get_current_revision()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        if before is not None and before < REPORT_DAYS_REVISION:
            from services import report_days

            report_days.rebuild(conn)  # the cases already there, summed once into the new daily tables
        if before is not None and before < SEARCH_REVISION:
            from services import search

            search.rebuild(conn)  # the cases already there, written once into the search's documents
