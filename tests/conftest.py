"""Shared fixtures: a real database file per test, users made through the services, AppTest helpers."""

import os

# Cheap bcrypt for tests; must be set before services.security is imported.
os.environ.setdefault("MESA_BCRYPT_ROUNDS", "4")

import sqlite3  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from contextlib import closing  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from services import users  # noqa: E402
from services.db import make_engine, unit_of_work  # noqa: E402
from services.migrate import upgrade  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Clave-de-prueba-9"


# The suite runs on SQLite by default; MESA_TEST_DATABASE=postgresql+psycopg://user:pass@host/db runs it
# on PostgreSQL (that server URL names a maintenance database; each test gets a database of its own).
TEST_SERVER = os.environ.get("MESA_TEST_DATABASE", "")
ON_POSTGRES = TEST_SERVER.startswith("postgresql")


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A fresh data folder that the app and the services both use."""
    folder = tmp_path / "data"
    folder.mkdir()
    for name in list(os.environ):
        if name.startswith("MESA_") and name not in ("MESA_BCRYPT_ROUNDS", "MESA_TEST_DATABASE"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MESA_DATA_DIR", str(folder))
    monkeypatch.setenv("MESA_BACKGROUND_SENDER", "false")  # tests run the sender themselves
    monkeypatch.chdir(ROOT)
    return folder


def _server_url(database: str) -> str:
    return str(sa.engine.make_url(TEST_SERVER).set(database=database).render_as_string(hide_password=False))


def _admin_execute(statement: str) -> None:
    maintenance = sa.create_engine(TEST_SERVER, isolation_level="AUTOCOMMIT")
    with maintenance.connect() as conn:
        conn.exec_driver_sql(statement)
    maintenance.dispose()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """One Alembic run per test session; each test gets its own copy of the migrated database."""
    if ON_POSTGRES:
        name = f"mesa_template_{os.getpid()}"
        _admin_execute(f"DROP DATABASE IF EXISTS {name}")
        _admin_execute(f"CREATE DATABASE {name}")
        eng = make_engine(_server_url(name))
        upgrade(eng)
        eng.dispose()
        yield name
        _admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        return
    path = tmp_path_factory.mktemp("template") / "mesa.db"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    eng.dispose()
    yield path


def new_database(migrated_template, folder: Path) -> str:
    """A copy of the migrated template: a PostgreSQL database or a SQLite file in `folder`; returns its URL."""
    if ON_POSTGRES:
        name = f"mesa_test_{uuid.uuid4().hex[:12]}"
        _admin_execute(f"CREATE DATABASE {name} TEMPLATE {migrated_template}")
        return _server_url(name)
    target = folder / "mesa.db"
    with closing(sqlite3.connect(migrated_template)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return f"sqlite:///{target}"


def drop_database(url: str) -> None:
    """Drop a test's database. An autovacuum worker that just started on it cannot be terminated by our role
    (InsufficientPrivilege): it finishes in moments, so the drop is tried again."""
    if not url.startswith("postgresql"):
        return
    statement = f"DROP DATABASE IF EXISTS {sa.engine.make_url(url).database} WITH (FORCE)"
    for _ in range(40):
        try:
            _admin_execute(statement)
            return
        except sa.exc.ProgrammingError as exc:
            if "pg_signal_backend" not in str(exc):
                raise
            time.sleep(0.25)
    _admin_execute(statement)


@pytest.fixture
def smtp(data_dir, monkeypatch):
    """A real SMTP server on 127.0.0.1 that the desk's senders deliver to (tests/smtp.py)."""
    from tests.smtp import SmtpServer

    server = SmtpServer().start()
    monkeypatch.setenv("MESA_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MESA_SMTP_PORT", str(server.port))
    monkeypatch.setenv("MESA_MAIL_FROM", "mesa@comfanorte.test")
    yield server
    server.stop()


@pytest.fixture
def imap(data_dir, tmp_path, monkeypatch):
    """A real IMAP server on 127.0.0.1 (Debian's Dovecot, tests/imap.py) that the desk's readers poll."""
    from tests.imap import ImapServer

    server = ImapServer(tmp_path / "imap").start()
    monkeypatch.setenv("MESA_IMAP_HOST", server.host)
    monkeypatch.setenv("MESA_IMAP_PORT", str(server.port))
    monkeypatch.setenv("MESA_IMAP_SECURITY", "none")
    monkeypatch.setenv("MESA_IMAP_USER", server.user)
    monkeypatch.setenv("MESA_IMAP_PASSWORD", server.password)
    monkeypatch.setenv("MESA_IMAP_POLL_SECONDS", "1")
    yield server
    server.stop()


@pytest.fixture
def database_url(data_dir, migrated_template, monkeypatch):
    """A database at the newest migration for this test only, also handed to the app (MESA_DATABASE_URL)."""
    url = new_database(migrated_template, data_dir)
    monkeypatch.setenv("MESA_DATABASE_URL", url)
    yield url
    drop_database(url)


@pytest.fixture
def engine(database_url):
    """The engine of this test's own database."""
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def desk(engine):
    """A desk after its one-time setup: admin 'admin.mesa', the demo catalogue, no demo users."""
    with unit_of_work(engine) as session:
        users.complete_setup(
            session=session,
            username="admin.mesa",
            full_name="Admin Mesa",
            email="admin@example.org",
            password=PASSWORD,
            password_repeat=PASSWORD,
            load_demo=False,
        )
        from services import catalogue

        catalogue.seed_demo_catalogue(session=session)
    return engine


def register_case(
    engine, files_dir, *, username="ana.perez", option="Impresoras", subject="Impresora", description="Detalle"
) -> int:
    """A case registered through the service, as the form does it; its number."""
    from models import ServiceOption
    from services import cases
    from services.cases import Uploads
    from services.storage import Storage

    with unit_of_work(engine) as session:
        option_id = session.scalar(sa.select(ServiceOption.id).where(ServiceOption.name == option))
        return cases.register_case(
            session=session,
            actor=users.load_actor(session=session, username=username),
            uploads=Uploads(Storage(files_dir), 5),
            option_id=option_id,
            subject=subject,
            description=description,
        ).number


def resolve_case(engine, number, *, advisor="laura.rios", solution="Se cambió el tóner.") -> None:
    """The advisor's Resolver with this solution."""
    from services import workflow

    with unit_of_work(engine) as session:
        workflow.resolve_case(
            session=session,
            actor=users.load_actor(session=session, username=advisor),
            number=number,
            solution=solution,
            expected_version=None,
        )


def make_user(
    engine, username, role="employee", *, areas=(), must_change_password=False, password=PASSWORD, full_name=None
):
    with unit_of_work(engine) as session:
        return users.create_user(
            session=session,
            actor=users.Actor.system(),
            username=username,
            full_name=full_name or username.replace(".", " ").title(),
            email=f"{username}@example.org",
            role=role,
            password=password,
            area_names=tuple(areas),
            must_change_password=must_change_password,
        )


def app_test() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)


def open_session_for(username: str, *, remember: bool = False) -> str:
    """A live server-side session of this user in the app's database (MESA_DATABASE_URL); its handle."""
    from services import sessions

    eng = make_engine(os.environ["MESA_DATABASE_URL"])
    try:
        with unit_of_work(eng) as session:
            user = users.load_actor(session=session, username=username)
            return sessions.open_session(session=session, user_id=user.id, remember=remember).handle
    finally:
        eng.dispose()


def logged_in_app(username: str) -> AppTest:
    """The app for a user already logged in (as a live session found by its cookie would leave it)."""
    at = app_test()
    at.session_state["mesa_session"] = open_session_for(username)
    return at.run()


def page_titles(at: AppTest) -> set[str]:
    """What the menu of the last run offered (pages registered hidden, reachable only to be refused, are not)."""
    return set(at.session_state["mesa_menu"]) if "mesa_menu" in at.session_state else set()


def whole_page(at: AppTest) -> AppTest:
    """The page drawn whole again, as the browser still shows it after a click that reran only some of its
    parts (ui.rerun_part): AppTest's tree holds only what the last run drew, so the widgets of the parts
    not drawn again are reached after this full run."""
    return at.run()


def texts(at: AppTest) -> str:
    """Everything written on the page, to search for what a user would read."""
    parts = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "text",
        "success",
        "error",
        "warning",
        "info",
        "exception",
    ):
        parts.extend(str(getattr(el, "value", "")) for el in getattr(at, kind))
    return "\n".join(parts)
