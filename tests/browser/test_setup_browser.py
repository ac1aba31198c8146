"""The one-time setup in a real browser: offered only while the desk has no active administrator."""

import subprocess
import sys

import pytest
import sqlalchemy as sa

from models import User
from tests.browser.conftest import LiveApp
from tests.conftest import PASSWORD, ROOT, drop_database, new_database


@pytest.fixture
def empty_desk(tmp_path, migrated_template, chromium):
    folder = tmp_path / "desk"
    folder.mkdir()
    app = LiveApp(folder, new_database(migrated_template, folder)).start()
    yield app
    app.stop()
    drop_database(app.database_url)


def test_a_desk_provisioned_from_the_command_line_refuses_the_setup_to_its_first_visitor(empty_desk, page):
    page.goto(empty_desk.url)
    page.get_by_role("heading", name="Configuración inicial").wait_for()  # no administrator yet: offered
    subprocess.run(
        [
            sys.executable,
            "cli.py",
            "create-user",
            "--username",
            "jefe.ti",
            "--full-name",
            "Jefe TI",
            "--email",
            "jefe@example.org",
            "--role",
            "admin",
            "--password",
            PASSWORD,
        ],
        cwd=ROOT,
        env=empty_desk.env,
        check=True,
        capture_output=True,
    )
    visitor = page.context.browser.new_context().new_page()
    visitor.goto(empty_desk.url + "/configuracion")
    visitor.get_by_role("button", name="Ingresar").wait_for()
    assert visitor.get_by_text("Configuración inicial").count() == 0
    # The first visitor's tab, still open on the form, gets the login form when it submits; no account is made.
    page.get_by_role("textbox", name="Usuario del administrador").fill("intruso")
    page.get_by_role("textbox", name="Nombre completo").fill("Intruso")
    page.get_by_role("textbox", name="Correo electrónico").fill("intruso@example.org")
    page.get_by_role("textbox", name="Clave", exact=True).fill(PASSWORD)
    page.get_by_role("textbox", name="Repita la clave").fill(PASSWORD)
    page.get_by_role("button", name="Crear administrador").click()
    page.get_by_role("button", name="Ingresar").wait_for()
    assert page.get_by_text("Configuración inicial").count() == 0
    with empty_desk.engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(User).where(User.username == "intruso")) == 0
        assert conn.scalar(sa.select(sa.func.count()).select_from(User).where(User.role == "admin")) == 1
    visitor.context.close()
