"""One engine per process and one unit of work (session + transaction) per user action."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
import sqlalchemy.orm as so

_WRITE_OPTION = "mesa_write"


def _prepare_sqlite(engine: sa.Engine) -> None:
    # pysqlite's own transaction handling begins lazily and cannot take the write lock
    # up front; we emit BEGIN ourselves so a writing unit of work takes it at once
    # (BEGIN IMMEDIATE) and waits its turn instead of failing half way.
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str) -> sa.Engine:
    """The engine for a database URL; SQLite gets foreign keys, WAL and write-lock-first transactions."""
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _prepare_sqlite(engine)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


@contextmanager
def unit_of_work(engine: sa.Engine, *, write: bool = True) -> Iterator[so.Session]:
    """A session in one transaction: committed when the block ends, rolled back on error."""
    bind = engine.execution_options(**{_WRITE_OPTION: True}) if write else engine
    with so.Session(bind=bind, expire_on_commit=False) as session, session.begin():
        yield session
