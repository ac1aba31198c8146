"""Shared fixtures: a real database file per test, users made through the services, AppTest helpers."""

import os

# Cheap bcrypt for tests; must be set before services.security is imported.
os.environ.setdefault("MESA_BCRYPT_ROUNDS", "4")

import sqlite3  # noqa: E402
from contextlib import closing  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from services import users  # noqa: E402
from services.db import make_engine, unit_of_work  # noqa: E402
from services.migrate import upgrade  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Clave-de-prueba-9"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A fresh data folder (and so a fresh SQLite file) that the app and the services both use."""
    folder = tmp_path / "data"
    for name in list(os.environ):
        if name.startswith("MESA_") and name != "MESA_BCRYPT_ROUNDS":
            monkeypatch.delenv(name)
    monkeypatch.setenv("MESA_DATA_DIR", str(folder))
    monkeypatch.setenv("MESA_BACKGROUND_SENDER", "false")  # tests run the sender themselves
    monkeypatch.chdir(ROOT)
    return folder


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """One Alembic run per test session; each test gets its own copy of the migrated file."""
    path = tmp_path_factory.mktemp("template") / "mesa.db"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    eng.dispose()
    return path


@pytest.fixture
def engine(data_dir, migrated_template):
    """A fresh SQLite file at the newest migration, for this test only."""
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / "mesa.db"
    with closing(sqlite3.connect(migrated_template)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    eng = make_engine(f"sqlite:///{target}")
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


def logged_in_app(username: str) -> AppTest:
    """The app for a user already logged in (as a valid remember-me cookie would leave it)."""
    at = app_test()
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.session_state["logout"] = None
    return at.run()


def page_titles(at: AppTest) -> set[str]:
    """The pages the navigation of the last run registered: what the menu offers."""
    return {info.get("page_name") for info in at._registered_pages.values()}


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
