"""A real app server (streamlit run server.py, as the README starts it) and headless Debian Chromium."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect, sync_playwright

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
# MESA_SCREENSHOTS_DIR=docs/screenshots makes the journeys write the README pictures (docs/screenshots.sh);
# otherwise their screenshots go with the other test artifacts.
SCREENSHOTS = Path(os.environ.get("MESA_SCREENSHOTS_DIR") or ARTIFACTS / "journeys")
if not SCREENSHOTS.is_absolute():
    SCREENSHOTS = ROOT / SCREENSHOTS
DESKTOP, NARROW = 1280, 700


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
                "server.py",
                "--server.port",
                str(self.port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                # Edits made to the source while the suite runs must not put a "File change. Rerun" bar
                # over the menu in the middle of a journey.
                "--server.fileWatcherType",
                "none",
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


def launch(folder: Path, database_url: str, chromium, smtp: SmtpServer, extra_env: dict[str, str] | None = None):
    """An app served on a free port with its own data folder and database, after its setup (admin.mesa),
    with the demo catalogue, Ana Pérez, and the first session's imports warmed up."""
    app = LiveApp(
        folder,
        database_url,
        {
            "MESA_SMTP_HOST": "127.0.0.1",
            "MESA_SMTP_PORT": str(smtp.port),
            "MESA_ORG_NAME": "Comfanorte",
            **(extra_env or {}),
        },
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
    return app


@pytest.fixture(scope="module")
def live_app(tmp_path_factory, migrated_template, chromium):
    """The app served on a free port with its own data folder and database, the demo catalogue and a local
    SMTP server."""
    smtp = SmtpServer().start()
    folder = tmp_path_factory.mktemp("live")
    app = launch(folder, new_database(migrated_template, folder), chromium, smtp)
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


@pytest.fixture
def open_tab(chromium, request):
    """Tabs of their own browsers (each its own cookies and storage), for a second person in one test."""
    contexts = []

    def new_tab():
        context = chromium.new_context(viewport={"width": DESKTOP, "height": 900}, locale="es-CO")
        contexts.append(context)
        tab = context.new_page()
        tab.set_default_timeout(30_000)
        return tab

    yield new_tab
    ARTIFACTS.mkdir(exist_ok=True)
    for index, context in enumerate(contexts):
        for tab in context.pages:
            tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{index}.png"), full_page=True)
        context.close()


def log_in(tab, url: str, username: str, password: str = PASSWORD) -> None:
    tab.goto(url)
    fill_login_form(tab, username, password)


def fill_login_form(tab, username: str, password: str = PASSWORD) -> None:
    """Usuario, Clave, Ingresar on the login form the tab shows."""
    tab.get_by_role("textbox", name="Usuario").fill(username)
    tab.get_by_role("textbox", name="Clave").fill(password)
    tab.get_by_role("button", name="Ingresar").click()


# Whether the page shows the dark mode (its background), for a wait_for_function: false while it reloads.
DARK_PAGE = """() => {
    const app = document.querySelector('[data-testid=stApp]');
    const rgb = (app ? getComputedStyle(app).backgroundColor : '').match(/[0-9]+/g) || [];
    return rgb.length >= 3 && Number(rgb[0]) + Number(rgb[1]) + Number(rgb[2]) < 150;
}"""


def settle(tab) -> None:
    """Wait until Streamlit has finished the current run (its "running" indicator is gone) and has
    removed what the previous run drew (right after a login the form lingers, marked stale)."""
    tab.wait_for_timeout(300)
    # The app's own record of its run: the "Running..." indicator shows only after a run has gone on for a
    # moment, so its absence alone can be read while a slow page (Satisfacción's charts, under load) runs.
    tab.wait_for_function(
        "() => document.querySelector('[data-testid=\"stApp\"]')?.dataset.testScriptState === 'notRunning'",
        timeout=30_000,
    )
    tab.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=30_000)
    tab.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=30_000)


# The chips of a multiselect (by its label) that the person cannot read whole: past the box's clear and
# open icons on the right, or below its bottom edge.
HIDDEN_CHIPS = """label => {
    const field = [...document.querySelectorAll('[data-testid="stMultiSelect"]')]
        .find(m => m.querySelector('label')?.innerText.trim() === label);
    const tags = [...field.querySelectorAll('[data-tag]')];
    const icons = [...field.querySelectorAll('button, svg')].filter(e => !e.closest('[data-tag], label'));
    const box = field.querySelector('[data-testid="stMultiSelectTagsContainer"]').getBoundingClientRect();
    const right = Math.min(box.right, ...icons.map(e => e.getBoundingClientRect().left));
    return tags.filter(tag => {
        const chip = tag.getBoundingClientRect();
        return !chip.width || chip.right > right + 0.5 || chip.bottom > box.bottom + 0.5;
    }).map(tag => tag.innerText.trim());
}"""


def hidden_chips(tab, label: str) -> list[str]:
    """The chips of the multiselect labelled `label` that show only in part, or not at all."""
    settle(tab)
    return tab.evaluate(HIDDEN_CHIPS, label)


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


def choose(tab, label: str, option: str, within=None) -> None:
    """Pick an option of a select box, again if a rerun (a text field's blur) closed its list at once."""
    box = (within or tab).get_by_role("combobox", name=label, exact=True)
    for _ in range(3):
        settle(tab)
        box.click()
        try:
            tab.get_by_role("option", name=option, exact=True).click(timeout=5_000)
            break
        except PlaywrightTimeout:
            continue
    expect(box).to_have_value(option)


def go_to(tab, section: str, item: str) -> None:
    """Open a page from the top menu as a person does: the section's dropdown, then its entry, once.

    No second try: nothing reruns the page on its own after a login or a deep link any more (no cookie
    component), so a click that got lost would be the app's defect, for test_clicks_browser.py to catch.
    Retrying also hid a trap: an entry that works but takes the menu away (Cerrar sesión) would be clicked
    for again in a menu that is gone."""
    settle(tab)
    tab.get_by_test_id("stTopNavSection").filter(has_text=section).click()
    tab.get_by_role("menuitem", name=item).click()
    settle(tab)


def screenshot(tab, name: str, *, narrow: bool = False, whole: bool = False) -> None:
    """The screen as the user sees it now, at desktop width; with `narrow`, also at ~700 px (name-700.png).

    Streamlit scrolls inside its own container, so a "full page" screenshot is only the window: `whole`
    makes the window as tall as the page's content for the picture (up to 2400 px).
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    settle(tab)
    size = tab.viewport_size
    tab.mouse.move(size["width"] - 5, size["height"] - 5)  # no hover effect where the last click was
    shots = [(DESKTOP, f"{name}.png")] + ([(NARROW, f"{name}-{NARROW}.png")] if narrow else [])
    for width, file_name in shots:
        _resize(tab, width, size["height"])
        if whole:
            content = tab.evaluate("document.querySelector('[data-testid=stMainBlockContainer]').offsetHeight")
            _resize(tab, width, max(size["height"], min(content, 2400)))
        tab.screenshot(path=str(SCREENSHOTS / file_name), animations="disabled")
    _resize(tab, size["width"], size["height"])


def _resize(tab, width: int, height: int) -> None:
    """A new window size, and two animation frames so the new layout is painted before going on."""
    if tab.viewport_size != {"width": width, "height": height}:
        tab.set_viewport_size({"width": width, "height": height})
        tab.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
