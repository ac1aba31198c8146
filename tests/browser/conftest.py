"""A real app server (streamlit run, as the README starts it) and headless Debian Chromium."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from services import catalogue, users
from services.db import make_engine, unit_of_work
from tests.conftest import PASSWORD, ROOT, drop_database, make_user, new_database
from tests.smtp import SmtpServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveApp:
    def __init__(self, data_dir: Path, database_url: str, extra_env: dict[str, str] | None = None):
        self.data_dir = data_dir
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url
        self.engine = make_engine(database_url)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("MESA_")}
        self.env.update(
            {
                "MESA_DATA_DIR": str(data_dir),
                "MESA_DATABASE_URL": database_url,
                "MESA_BCRYPT_ROUNDS": "4",
                "MESA_APP_URL": self.url,
                **(extra_env or {}),
            }
        )
        self.process = None

    def start(self):
        log = open(self.data_dir / "server.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.port",
                str(self.port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the app did not start: {(self.data_dir / 'server.log').read_text()}")

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.engine.dispose()


@pytest.fixture(scope="module")
def live_app(tmp_path_factory, migrated_template, chromium):
    """The app served on a free port with its own data folder and database, the demo catalogue and a local
    SMTP server."""
    smtp = SmtpServer().start()
    folder = tmp_path_factory.mktemp("live")
    app = LiveApp(
        folder,
        new_database(migrated_template, folder),
        {"MESA_SMTP_HOST": "127.0.0.1", "MESA_SMTP_PORT": str(smtp.port), "MESA_ORG_NAME": "Comfanorte"},
    )
    app.smtp = smtp
    with unit_of_work(app.engine) as session:
        users.complete_setup(
            session=session,
            username="admin.mesa",
            full_name="Admin Mesa",
            email="admin@example.org",
            password=PASSWORD,
            password_repeat=PASSWORD,
            load_demo=False,
        )
        catalogue.seed_demo_catalogue(session=session)
    make_user(app.engine, "ana.perez", full_name="Ana Pérez")
    app.start()
    # The first session imports the whole app (pandas, altair…): warm it up before timing steps.
    warm = chromium.new_page()
    warm.goto(app.url)
    warm.get_by_role("textbox", name="Usuario").wait_for(timeout=90_000)
    warm.close()
    yield app
    app.stop()
    smtp.stop()
    drop_database(app.database_url)


def wait_for_mail(smtp: SmtpServer, address: str, subject_part: str, timeout: float = 30) -> list:
    """The e-mails to an address whose subject contains the text, once the app's sender delivered them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in smtp.to(address) if subject_part in m.subject]
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"no e-mail to {address} with {subject_part!r}: {[m.subject for m in smtp.received]}")


@pytest.fixture(scope="session")
def chromium():
    assert Path(CHROMIUM).exists(), "Debian's chromium is not installed (see .ci/run)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, request):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="es-CO")
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def log_in(tab, url: str, username: str, password: str = PASSWORD) -> None:
    tab.goto(url)
    tab.get_by_role("textbox", name="Usuario").fill(username)
    tab.get_by_role("textbox", name="Clave").fill(password)
    tab.get_by_role("button", name="Ingresar").click()


def settle(tab) -> None:
    """Wait until Streamlit has finished the current run (its "running" indicator is gone)."""
    tab.wait_for_timeout(300)
    tab.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=30_000)


def open_dialog(tab, button_name: str):
    """Click a button that opens a dialog, again if a rerun swallowed the click; returns the dialog."""
    dialog = tab.get_by_role("dialog")
    for _ in range(3):
        settle(tab)
        tab.get_by_role("button", name=button_name).click()
        try:
            dialog.wait_for(timeout=8_000)
            return dialog
        except Exception:  # noqa: BLE001 - the click landed during a rerun; try again
            continue
    dialog.wait_for()
    return dialog
