"""One engine per process and one unit of work (session + transaction) per user action."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
import sqlalchemy.ext.compiler
import sqlalchemy.orm as so

from services import report_days, search
from services.errors import Conflict, Unavailable
from services.private_files import create_private_file, make_private_dir

_WRITE_OPTION = "mesa_write"
# The engine's type, for the page layer's annotations (it imports no SQLAlchemy of its own).
Engine = sa.Engine


class fold(sa.sql.functions.GenericFunction):  # noqa: N801 (SQL function name)
    """lower() for searches that also folds accented capitals ("ÁREA" finds "área").

    SQLite's own lower() only knows A-Z, so SQLite gets a Python function; PostgreSQL's
    lower() already follows Unicode.
    """

    type = sa.String()
    inherit_cache = True


@sa.ext.compiler.compiles(fold)
def _fold_default(element, compiler, **kw):
    return f"lower({compiler.process(element.clauses, **kw)})"


@sa.ext.compiler.compiles(fold, "sqlite")
def _fold_sqlite(element, compiler, **kw):
    return f"mesa_lower({compiler.process(element.clauses, **kw)})"


def contains(column, word: str) -> sa.ColumnElement[bool]:
    """The one LIKE of every search: `column` holds `word`, case-folded, its own % and _ taken literally."""
    escaped = word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return fold(column).like(f"%{escaped}%", escape="\\")


def _prepare_sqlite(engine: sa.Engine) -> None:
    # pysqlite's own transaction handling begins lazily and cannot take the write lock
    # up front; we emit BEGIN ourselves so a writing unit of work takes it at once
    # (BEGIN IMMEDIATE) and waits its turn instead of failing half way.
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        dbapi_connection.create_function(
            "mesa_lower", 1, lambda v: v.lower() if isinstance(v, str) else v, deterministic=True
        )
        # The search's exact-subject test: lower case, no accents, spaces collapsed (services.search.fold).
        dbapi_connection.create_function(
            "mesa_fold", 1, lambda v: search.fold(v) if isinstance(v, str) else v, deterministic=True
        )
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
        parsed = sa.engine.make_url(url)
        path = parsed.database
        if path and path != ":memory:" and not parsed.query.get("uri"):
            # The database holds every case and password hash: readable by the desk's own user only.
            make_private_dir(Path(path).parent)
            create_private_file(Path(path))
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _prepare_sqlite(engine)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


ON_ROLLBACK = "mesa_on_rollback"


def on_rollback(session: so.Session, undo: Callable[[], None]) -> None:
    """Undo work done outside the database (a file written) if this unit of work does not commit."""
    session.info.setdefault(ON_ROLLBACK, []).append(undo)


class DeskSession(so.Session):
    """The desk's sessions: report_days and the search's documents follow what they commit."""


report_days.track(DeskSession)
search.track(DeskSession)


def _unreachable(exc: BaseException) -> bool:
    """A lost or refused connection to PostgreSQL (not a constraint, not SQLite's busy lock)."""
    if not isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError):
        return False
    if exc.connection_invalidated:
        return True
    if not type(exc.orig).__module__.startswith("psycopg"):
        return False  # SQLite's "database is locked" and the like are not an outage
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith(("08", "57P"))  # no connection; connection lost; shutdown


@contextmanager
def unit_of_work(engine: sa.Engine, *, write: bool = True) -> Iterator[so.Session]:
    """A session in one transaction: committed when the block ends, rolled back whole on error."""
    bind = engine.execution_options(**{_WRITE_OPTION: True}) if write else engine
    with DeskSession(bind=bind, expire_on_commit=False) as session:
        try:
            with session.begin():
                yield session
        except BaseException as exc:
            for undo in reversed(session.info.pop(ON_ROLLBACK, [])):
                undo()
            if isinstance(exc, so.exc.StaleDataError):
                # A row changed under us between read and write: the user hears it as a stale edit.
                raise Conflict("case.stale") from exc
            if _unreachable(exc):
                # PostgreSQL restarting or out of reach: the transaction is gone whole; the user is told
                # in words, not with a traceback, and the pool's pre-ping reconnects once it is back.
                raise Unavailable("error.database_unavailable") from exc
            raise
        session.info.pop(ON_ROLLBACK, None)
