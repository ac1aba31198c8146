"""The browser bench: what a person feels in headless Chromium, beside a bare Streamlit app (the floor).

    .venv/bin/python -m bench.browser                          # 1,000 and 200,000 cases, 8 rounds
    .venv/bin/python -m bench.browser --sizes 1000 --rounds 1  # a quick check that it runs end to end

For each size it serves a working copy of bench/out's generated desk with `streamlit run server.py`
(tests/browser/conftest.py's LiveApp: 127.0.0.1, a free port, its own data folder; bcrypt at the desk's
default cost, the e-mail sender off) beside `streamlit run bench/floor_app.py`, and times each step of
ours next to the floor's step it is measured against, in interleaved rounds (ours, floor, ours, …; the
first round warms up and is not counted), medians in seconds:

- login → Inicio (Ingresar → "Hola," visible) vs the floor's form submit (Enviar → its answer visible);
- the login page's first load (goto → Usuario visible) vs the floor's first load (goto → its button);
- Verificar mis Casos opened by URL in a new browser with a remembered login (goto → its heading), and
  whether the login form showed at any moment of that load (a MutationObserver watches from the start);
- the first key figure of the Bandeja that holds cases clicked (until the list says it is filtered by it,
  "Filtro: …", and the run is over: `stApp`'s script state back to notRunning, nothing marked stale) vs the floor's button (its counter);
- the Bandeja from the menu (until its heading and table are drawn and the run is over);
- Enviar caso → the dialog with the case's number vs the floor's form submit;
- the other clicks inside a page the issue names, each vs the floor's button, until their result shows
  and the run is over: a filter of the Bandeja (Cerrado added to Estado and taken off again, until the
  count under the list is another); and, on a new case of the bench's employee in the other area (which
  leaves new cases unassigned in the bench's copy; the bench registers the case itself, untimed), an
  advisor of that area's tab of the work view (Nota interna, until its box shows: the browser alone),
  Tomar (until "El caso quedó asignado a usted."), Enviar respuesta (until the reply is in the
  conversation), and the employee's chat message in Verificar mis Casos (Enter, until it is in the
  conversation).

Then the server's CPU (utime + stime of its process, /proc/<pid>/stat) per click over --clicks clicks
of a key figure and over --clicks Enviar caso, and per step in the rounds (login apart: it holds a bcrypt check, measured
here on its own and subtracted); the requests any page of the desk made to another origin; and
--concurrent browsers (one Playwright and one Chromium per thread) acting at once for 3 rounds each:
log in, register a case, open Verificar and, for the staff, the Bandeja, one click per action as a
person clicks (a step that has not shown its result after 3 minutes is lost), and each confirmed case
looked up in the database (stored exactly once, with the number the dialog showed). The table marks issue 15's goals met or not met.

What is measured is the working tree as it is (app.py, app_pages/, services/, .streamlit/config.toml).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections import defaultdict
from collections.abc import Callable
from contextlib import closing, suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import bcrypt
import sqlalchemy as sa
import streamlit
from playwright.sync_api import sync_playwright

from bench.common import OUT, filled_sqlite, print_table
from bench.generate import SYNTHETIC_PASSWORD
from bench.run import prepare
from models import Area, Case, ServiceOption, User, advisor_areas, utcnow
from models.enums import AssignmentMode, Role, Status
from services import cases, inbox, sessions, users
from services.db import make_engine, unit_of_work
from services.i18n import t
from services.security import BCRYPT_ROUNDS
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, LiveApp, _free_port, settle

ROOT = Path(__file__).resolve().parent.parent
BCRYPT_COST = BCRYPT_ROUNDS  # the desk's default (or MESA_BCRYPT_ROUNDS); the login is timed with it
TIMEOUT_MS = 60_000  # any one wait; a step slower than this fails the run instead of hanging it
# Users at once: ten Chromiums load two cores more than the server does, so a slow step is given three
# minutes per wait before it counts as lost (a lost click never completes), and the whole run 20 minutes.
CROWD_TIMEOUT_MS = 180_000
CROWD_DEADLINE_S = 1_200
GRACE_MS = 150  # after a run ends, before the server's CPU is read again (the last messages go out)
CONCURRENT_ROUNDS = 3
AREA, OPTION = "Gestión Tecnológica", "Impresoras"  # from the demo catalogue bench/generate.py seeds
DESCRIPTION = "Caso de medición del navegador."
TICKS = os.sysconf("SC_CLK_TCK")

# Run over: the app's script state back to notRunning and nothing left marked stale from the last run.
IDLE = """() => document.querySelector('[data-testid="stApp"]')?.dataset.testScriptState === 'notRunning'
    && !document.querySelector('[data-stale="true"]')"""
# A key figure is a pill that lights up the moment it is clicked; its result is the list filtered by it,
# which says so in its caption ("Filtro: Sin asignar") once the list's run is over. The figure clicked is
# the first one with cases (key_figure_with_cases): a figure of none would time the table going away.
FILTER_SHOWN = """label => [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
    .some(c => c.innerText.trim() === 'Filtro: ' + label)"""
FIGURE_FLIPPED = f"""([label, before]) => ({FILTER_SHOWN})(label) !== before && ({IDLE})()"""
BANDEJA_DRAWN = f"""() => [...document.querySelectorAll('h1')].some(h => h.innerText.includes('Bandeja de casos'))
    && document.querySelector('[data-testid="stDataFrame"]') && ({IDLE})()"""
COUNTER_SHOWS = f"""text => [...document.querySelectorAll('p')].some(p => p.innerText === text) && ({IDLE})()"""
# The Bandeja's count under the list ("507 casos, ordenados por vencimiento"): a filter's result is a new one.
COUNT_TEXT = """() => [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
    .map(c => c.innerText.trim()).find(text => text.endsWith('por vencimiento')) ?? null"""
COUNT_CHANGED = f"""before => ({COUNT_TEXT})() !== before && ({IDLE})()"""
# Installed before any page script: notes whether the login form is ever in the page.
WATCH_LOGIN_FORM = """
window.__loginFormSeen = false;
new MutationObserver(() => {
    if (document.querySelector('input[aria-label="Usuario"]')) window.__loginFormSeen = true;
}).observe(document, {childList: true, subtree: true});
"""

GOALS = {  # issue 15: step → (goal text, test on the measured value)
    "login": ("≤ 0.45 s", lambda seconds, ratio: seconds <= 0.45),
    "deep link": ("≤ 1.2× floor first load", lambda seconds, ratio: ratio <= 1.2),
    "key figure": ("≤ 1.5× floor button", lambda seconds, ratio: ratio <= 1.5),
    "enviar": ("≤ 2× floor form submit", lambda seconds, ratio: ratio <= 2.0),
}
# The other clicks inside a page (filter, tab, reply, Tomar, a chat message): the key figure's goal.
CLICKS = {
    "filter": "a filter of the Bandeja (Estado)",
    "tab": "a tab of the work view (browser only)",
    "tomar": "Tomar",
    "reply": "Enviar respuesta",
    "chat": "a chat message in Verificar (Enter)",
}
CPU_GOAL_MS = 40


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds (fields 14 and 15 of /proc/<pid>/stat)."""
    after_name = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(after_name[11]) + int(after_name[12])) / TICKS


# --- The desk and the floor ----------------------------------------------------------------------


def working_copy(size: int, users: int, folder: Path) -> str:
    """A copy of the generated desk in `folder` (the bench's registrations leave bench/out's untouched)."""
    source = filled_sqlite(size, users)
    copy = folder / "mesa.db"
    with closing(sqlite3.connect(source.url.database)) as src, closing(sqlite3.connect(copy)) as dst:
        src.backup(dst)
    source.dispose()
    return f"sqlite:///{copy}"


def people(engine: sa.Engine, concurrent: int) -> dict:
    """bench/run.py's requester (300 cases), advisor and manager, and the users of the concurrent run
    (staff first; requesters with no survey waiting, whose dialog would cover the page on arrival).

    Every password becomes SYNTHETIC_PASSWORD hashed at BCRYPT_COST, so a login checks the hash production
    checks; the requester's resolved cases are closed for the same reason as the survey above."""
    who = prepare(engine)
    password = bcrypt.hashpw(SYNTHETIC_PASSWORD.encode(), bcrypt.gensalt(BCRYPT_COST)).decode()
    with unit_of_work(engine) as session:
        session.execute(
            sa.update(User).values(
                password_hash=password, must_change_password=False, failed_logins=0, locked_until=None
            )
        )
        requester_id = session.scalar(sa.select(User.id).where(User.username == who["requester"]))
        session.execute(
            sa.update(Case)
            .where(Case.requester_id == requester_id, Case.status == Status.RESOLVED)
            .values(status=Status.CLOSED, closed_at=utcnow())
        )
        # The case each round gives the work view waits in the other area, which then assigns no one on its own
        # (the area of Enviar caso keeps its automatic assignment, as the runs before this one measured it).
        other = session.scalar(sa.select(Area).where(Area.name != AREA).order_by(Area.id).limit(1))
        other.assignment_mode = AssignmentMode.MANUAL
        who["work_option"] = session.scalar(
            sa.select(ServiceOption.id).where(ServiceOption.area_id == other.id).order_by(ServiceOption.id).limit(1)
        )
        who["worker"] = session.scalar(
            sa.select(User.username)
            .join(advisor_areas, advisor_areas.c.user_id == User.id)
            .where(advisor_areas.c.area_id == other.id, User.role == Role.ADVISOR, User.active.is_(True))
            .order_by(User.id)
            .limit(1)
        )
        survey_waiting = sa.select(Case.requester_id).where(Case.status == Status.RESOLVED)

        def first(role: str, count: int, skip: tuple[str, ...] = ()) -> list[str]:
            return session.scalars(
                sa.select(User.username)
                .where(User.role == role, User.id.not_in(survey_waiting), User.username.not_in(skip))
                .order_by(User.id)
                .limit(count)
            ).all()

        advisors = max(1, concurrent // 5)
        managers = 1 if concurrent >= 3 else 0
        who["concurrent"] = [
            *((u, True) for u in first(Role.ADVISOR, advisors, skip=(who["advisor"], who["worker"]))),
            *((u, True) for u in first(Role.MANAGER, managers)),
            *((u, False) for u in first(Role.EMPLOYEE, concurrent - advisors - managers)),
        ]
    return who


def key_figure_with_cases(engine: sa.Engine, advisor: str) -> tuple[str, int]:
    """The label and count of the first key figure of the advisor's Bandeja that holds cases, so that its
    click draws a page of rows as the list without it does. (At 1,000 generated cases the advisor's areas
    hold two open cases and no unassigned one: "Sin asignar", clicked there until December 2026, timed the
    table going away.)"""
    with unit_of_work(engine) as session:
        figures = inbox.figures(session=session, actor=users.load_actor(session=session, username=advisor))
    for key in inbox.QUICK_FILTERS:
        if count := getattr(figures, key):
            return t(f"inbox.figure.{key}"), count
    raise RuntimeError(f"no key figure of {advisor}'s Bandeja holds a case")


class FloorApp:
    """bench/floor_app.py served as the desk is (same Streamlit, config and flags), on a free port."""

    def __init__(self, folder: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "floor.log"
        self.process = None

    def start(self) -> FloorApp:
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "streamlit", "run", "bench/floor_app.py"),
                    *("--server.port", str(self.port), "--server.address", "127.0.0.1"),
                    *("--server.headless", "true", "--server.fileWatcherType", "none"),
                ],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1):
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the floor app did not start: {self.log.read_text()}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


# --- Steps in a browser --------------------------------------------------------------------------


class OriginWatch:
    """Requests (and websockets) of the desk's pages to any origin but the desk's own."""

    def __init__(self, url: str):
        own = urlsplit(url)
        self.allowed = {(own.scheme, own.hostname, own.port), ("ws", own.hostname, own.port)}
        self.outside: list[str] = []

    def see(self, address: str) -> None:
        parts = urlsplit(address)
        if parts.scheme not in ("data", "blob") and (parts.scheme, parts.hostname, parts.port) not in self.allowed:
            self.outside.append(address)

    def context(self, browser, cookies=(), init_script: str | None = None, timeout_ms: int = TIMEOUT_MS):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="es-CO")
        context.set_default_timeout(timeout_ms)
        if cookies:
            context.add_cookies(list(cookies))
        if init_script:
            context.add_init_script(init_script)
        context.on("request", lambda request: self.see(request.url))
        context.on("page", lambda tab: tab.on("websocket", lambda socket: self.see(socket.url)))
        return context


def wait_idle(tab) -> None:
    tab.wait_for_function(IDLE, timeout=TIMEOUT_MS)


def log_in(tab, url: str, username: str, *, remember: bool = False) -> None:
    """The login form as a person fills it, as soon as it shows (no wait for reruns: the form sends all
    at once)."""
    tab.goto(url, wait_until="commit")
    tab.get_by_role("textbox", name="Usuario").fill(username)
    tab.get_by_role("textbox", name="Clave").fill(SYNTHETIC_PASSWORD)
    if remember:
        tab.get_by_text("Recordarme").click()
    tab.get_by_role("button", name="Ingresar").click()
    tab.get_by_text("Hola,").first.wait_for()


def open_from_menu(tab, section: str, item: str) -> None:
    """One click on the menu's section and one on its entry, as a person does: no second try."""
    tab.get_by_test_id("stTopNavSection").filter(has_text=section).click()
    tab.get_by_role("menuitem", name=item).click()


def open_page(tab, section: str, item: str) -> None:
    """A page from the menu, until its heading shows."""
    open_from_menu(tab, section, item)
    tab.get_by_role("heading", name=item).wait_for()


def fill_case(tab, subject: str) -> None:
    tab.get_by_role("button", name=AREA).click()
    tab.get_by_text(OPTION, exact=True).click()
    tab.get_by_role("textbox", name="Asunto").fill(subject)
    tab.get_by_role("textbox", name="Describa lo que pasó").fill(DESCRIPTION)


def sent_number(tab) -> int:
    """The case number in the dialog Enviar caso opens, once it shows."""
    note = tab.get_by_role("dialog").get_by_text(re.compile(r"Su caso fue registrado con el número \d+"))
    note.wait_for()
    return int(re.search(r"\d+", note.inner_text()).group())


def remembered_cookie(browser, watch: OriginWatch, url: str, username: str) -> dict:
    """The session cookie a login with Recordarme leaves in the browser."""
    context = watch.context(browser)
    tab = context.new_page()
    log_in(tab, url, username, remember=True)
    deadline = time.monotonic() + 15
    while not (found := [c for c in context.cookies() if c["name"] == sessions.COOKIE_NAME]):
        if time.monotonic() > deadline:
            raise RuntimeError("the login with Recordarme left no session cookie")
        tab.wait_for_timeout(100)
    context.close()
    return {"name": found[0]["name"], "value": found[0]["value"], "url": url}


# --- The timed rounds ----------------------------------------------------------------------------


@dataclass
class Samples:
    """Seconds of ours and of the floor's partner step, and the server CPU of ours, per step."""

    ours: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    floor: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    cpu: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    login_form_seen: int = 0
    deep_links: int = 0


class Rounds:
    """Our steps and the floor's, each timed from the action to its visible result, the server's CPU
    read before the action and after its run is over."""

    def __init__(self, browser, desk: LiveApp, floor: FloorApp, who: dict, watch: OriginWatch, figure: str):
        self.browser, self.desk, self.floor, self.who, self.watch = browser, desk, floor, who, watch
        self.samples = Samples()
        self.counted = False
        self.floor_tab = browser.new_page(viewport={"width": 1280, "height": 900})
        self.floor_tab.set_default_timeout(TIMEOUT_MS)
        self.floor_tab.goto(floor.url)
        self.floor_tab.get_by_role("button", name="Otra vez").wait_for()
        self.floor_clicks = 0
        self.figure = figure  # the key figure's label ("Sin asignar")
        self.advisor = self._logged_in_tab(who["advisor"])
        self.requester = self._logged_in_tab(who["requester"])
        self.cookie = remembered_cookie(browser, watch, desk.url, who["requester"])
        # Each round's case, opened by its link: in its advisor's work view and in the employee's Verificar.
        worker_cookie = remembered_cookie(browser, watch, desk.url, who["worker"])
        self.worker = watch.context(browser, cookies=[worker_cookie]).new_page()
        self.chatter = watch.context(browser, cookies=[self.cookie]).new_page()
        self.case = None  # the number of the round's case to take
        open_from_menu(self.requester, "Mesa de Servicio", "Registrar un Caso")
        self._ready_to_send()
        self.idle = idle_rates([desk.process.pid, floor.process.pid])

    def _logged_in_tab(self, username: str):
        tab = self.watch.context(self.browser).new_page()
        log_in(tab, self.desk.url, username)
        settle(tab)
        return tab

    def _time(self, name: str, tab, act: Callable[[], object], done: Callable[[], object], *, ours: bool) -> float:
        """Seconds from the action to its result (kept when the round counts); returns the server's
        CPU seconds for it, from before the action until its run is over, less the idle rate."""
        pid = (self.desk if ours else self.floor).process.pid
        cpu_before = cpu_seconds(pid)
        started = time.perf_counter()
        act()
        done()
        elapsed = time.perf_counter() - started
        wait_idle(tab)
        tab.wait_for_timeout(GRACE_MS)
        cpu = cpu_seconds(pid) - cpu_before - self.idle.get(pid, 0.0) * (time.perf_counter() - started)
        if self.counted:
            (self.samples.ours if ours else self.samples.floor)[name].append(elapsed)
            if ours:
                self.samples.cpu[name].append(cpu)
        return cpu

    # The floor's steps
    def floor_first_load(self, name: str):
        tab = self.browser.new_page(viewport={"width": 1280, "height": 900})
        tab.set_default_timeout(TIMEOUT_MS)
        self._time(
            name,
            tab,
            lambda: tab.goto(self.floor.url, wait_until="commit"),
            lambda: tab.get_by_role("button", name="Otra vez").wait_for(),
            ours=False,
        )
        return tab

    def floor_submit(self, name: str, tab=None) -> None:
        tab = tab or self.floor_tab
        token = uuid.uuid4().hex[:8]
        tab.get_by_role("textbox", name="Texto").fill(token)
        self._time(
            name,
            tab,
            lambda: tab.get_by_role("button", name="Enviar").click(),
            lambda: tab.get_by_text(f"Recibido: {token}").wait_for(),
            ours=False,
        )

    def floor_button(self, name: str) -> float:
        self.floor_clicks += 1
        tab = self.floor_tab
        return self._time(
            name,
            tab,
            lambda: tab.get_by_role("button", name="Otra vez").click(),
            lambda: tab.wait_for_function(COUNTER_SHOWS, arg=f"Clics: {self.floor_clicks}", timeout=TIMEOUT_MS),
            ours=False,
        )

    # Ours, each followed by the floor's partner step
    def login(self) -> None:
        context = self.watch.context(self.browser)
        tab = context.new_page()
        self._time(
            "first load",
            tab,
            lambda: tab.goto(self.desk.url, wait_until="commit"),
            lambda: tab.get_by_role("textbox", name="Usuario").wait_for(),
            ours=True,
        )
        floor_tab = self.floor_first_load("first load")
        tab.get_by_role("textbox", name="Usuario").fill(self.who["requester"])
        tab.get_by_role("textbox", name="Clave").fill(SYNTHETIC_PASSWORD)
        self._time(
            "login",
            tab,
            lambda: tab.get_by_role("button", name="Ingresar").click(),
            lambda: tab.get_by_text("Hola,").first.wait_for(),
            ours=True,
        )
        self.floor_submit("login", floor_tab)
        floor_tab.close()
        context.close()

    def deep_link(self) -> None:
        context = self.watch.context(self.browser, cookies=[self.cookie], init_script=WATCH_LOGIN_FORM)
        tab = context.new_page()
        self._time(
            "deep link",
            tab,
            lambda: tab.goto(f"{self.desk.url}/verificar", wait_until="commit"),
            lambda: tab.get_by_role("heading", name="Verificar mis Casos").wait_for(),
            ours=True,
        )
        if self.counted:
            self.samples.deep_links += 1
            self.samples.login_form_seen += bool(tab.evaluate("window.__loginFormSeen"))
        context.close()
        self.floor_first_load("deep link").close()

    def bandeja_from_menu(self) -> None:
        tab = self.advisor
        self._time(
            "bandeja menu",
            tab,
            lambda: open_from_menu(tab, "Asesor", "Bandeja de casos"),
            lambda: tab.wait_for_function(BANDEJA_DRAWN, timeout=TIMEOUT_MS),
            ours=True,
        )
        self.floor_button("bandeja menu")

    def key_figure(self, name: str = "key figure", *, partner: bool = True) -> float:
        tab = self.advisor
        before = tab.evaluate(FILTER_SHOWN, self.figure)
        cpu = self._time(
            name,
            tab,
            lambda: tab.get_by_role("radio", name=re.compile(f"{re.escape(self.figure)}$")).click(),
            lambda: tab.wait_for_function(FIGURE_FLIPPED, arg=[self.figure, before], timeout=TIMEOUT_MS),
            ours=True,
        )
        if partner:
            self.floor_button(name)
        return cpu

    def _click(self, name: str, tab, act: Callable[[], object], shown: Callable[[], object]) -> None:
        """A click until its result shows and the run is over (and the floor's button after it). The result
        is something the click changes on the page: the app's run state alone can go from running back to
        notRunning inside one redraw, with no change of the page to see."""
        self._time(name, tab, act, lambda: (shown(), wait_idle(tab)), ours=True)
        self.floor_button(name)

    def filter(self) -> None:
        """The Bandeja's Estado filter: Cerrado added (every size has closed cases) and taken off again, two
        filter clicks, each until the count under the list is another."""
        tab = self.advisor
        closed = t("status.closed")
        estado = tab.get_by_test_id("stMultiSelect").filter(has_text=t("inbox.status"))
        for add in (True, False):
            before = tab.evaluate(COUNT_TEXT)
            if add:
                estado.locator("input").click()  # the list of the states not chosen opens
                act = tab.get_by_role("option", name=closed, exact=True).click
            else:
                act = estado.get_by_label(f"Remove {closed}").click  # Streamlit's own label of a chip's ✕
            shown = partial(tab.wait_for_function, COUNT_CHANGED, arg=before, timeout=TIMEOUT_MS)
            self._click("filter", tab, act, shown)
            if add:
                tab.keyboard.press("Escape")  # the list closes; the filter stays

    def _case_to_take(self) -> int:
        """A new case of the employee in the other area (registered here, untimed), waiting for Tomar."""
        with unit_of_work(self.desk.engine) as session:
            self.case = cases.register_case(
                session=session,
                actor=users.load_actor(session=session, username=self.who["requester"]),
                uploads=None,
                option_id=self.who["work_option"],
                subject=f"Caso para tomar {uuid.uuid4().hex[:8]}",
                description=DESCRIPTION,
            ).number
        return self.case

    def work(self) -> None:
        """A new case in its advisor's work view: a tab, Tomar, a reply."""
        tab, number = self.worker, self._case_to_take()
        tab.goto(f"{self.desk.url}/bandeja?caso={number}")
        tab.get_by_role("button", name=t("work.take")).wait_for()
        settle(tab)
        note = tab.get_by_role("textbox", name=t("work.note"))
        self._time("tab", tab, tab.get_by_role("tab", name=t("work.note_tab")).click, note.wait_for, ours=True)
        self.floor_button("tab")
        tab.get_by_role("tab", name=t("work.reply_tab")).click()
        self._click(
            "tomar",
            tab,
            tab.get_by_role("button", name=t("work.take")).click,
            tab.get_by_text(t("work.taken")).wait_for,
        )
        token = f"Respuesta de medición {uuid.uuid4().hex[:8]}"
        tab.get_by_role("textbox", name=t("work.reply")).fill(token)
        tab.keyboard.press("Tab")  # the reply's text reaches the server before the timed click
        settle(tab)
        said = tab.get_by_test_id("stChatMessage").filter(has_text=token)
        self._click("reply", tab, tab.get_by_role("button", name=t("work.reply_button")).click, said.wait_for)

    def chat(self) -> None:
        """The employee's message on the round's case, in Verificar mis Casos opened by its link."""
        tab = self.chatter
        tab.goto(f"{self.desk.url}/verificar?caso={self.case}")
        box = tab.get_by_placeholder(t("case.write_message"))
        box.wait_for()
        settle(tab)
        token = f"Mensaje de medición {uuid.uuid4().hex[:8]}"
        box.fill(token)
        said = tab.get_by_test_id("stChatMessage").filter(has_text=token)
        self._click("chat", tab, lambda: box.press("Enter"), said.wait_for)

    def key_figure_off(self) -> None:
        """The key figure clicked again, untimed: the list as it was (the filters act on it, not on the figure)."""
        if self.advisor.evaluate(FILTER_SHOWN, self.figure):
            self.counted, counted = False, self.counted
            self.key_figure(partner=False)
            self.counted = counted

    def back_to_inicio(self) -> None:
        tab = self.advisor
        self.key_figure_off()
        tab.get_by_test_id("stTopNavLink").filter(has_text="Inicio").click()
        tab.get_by_text("Hola,").first.wait_for()
        settle(tab)

    def _ready_to_send(self) -> None:
        tab = self.requester
        fill_case(tab, f"Medición {uuid.uuid4().hex[:8]}")
        tab.keyboard.press("Tab")  # the description's value reaches the server before the timed click
        settle(tab)

    def enviar(self, *, partner: bool = True) -> float:
        """Enviar caso until the dialog shows its number (and the floor's form submit); the server's CPU
        seconds for it. The form is filled again afterwards, outside the timed part."""
        tab = self.requester
        cpu = self._time(
            "enviar",
            tab,
            lambda: tab.get_by_role("button", name="Enviar caso").click(),
            lambda: sent_number(tab),
            ours=True,
        )
        if partner:
            self.floor_submit("enviar")
        tab.get_by_role("dialog").get_by_role("button", name="OK").click()
        tab.get_by_role("button", name="Registrar otro caso").click()
        self._ready_to_send()
        return cpu

    def run(self, rounds: int) -> Samples:
        for round_ in range(rounds + 1):
            self.counted = round_ > 0
            self.login()
            self.deep_link()
            self.bandeja_from_menu()
            self.key_figure()
            self.key_figure_off()
            self.filter()
            self.back_to_inicio()
            self.enviar()
            self.work()
            self.chat()
        return self.samples

    def close(self) -> None:
        for tab in (self.floor_tab, self.advisor, self.requester, self.worker, self.chatter):
            tab.context.close()

    def cpu_per_click(self, clicks: int) -> tuple[float, float]:
        """Server CPU-ms per key-figure click over `clicks` clicks (each until its run is over), and the
        floor's per button click alike."""
        tab = self.advisor
        open_from_menu(tab, "Asesor", "Bandeja de casos")
        tab.wait_for_function(BANDEJA_DRAWN, timeout=TIMEOUT_MS)
        settle(tab)
        self.counted = False
        ours = sum(self.key_figure(partner=False) for _ in range(clicks))
        floor = sum(self.floor_button("cpu") for _ in range(clicks))
        return ours * 1000 / clicks, floor * 1000 / clicks

    def cpu_per_enviar(self, clicks: int) -> float:
        """Server CPU-ms per Enviar caso over `clicks` registrations: the process's counters move in ticks
        of 10 ms, so the rounds' eight samples alone left the mean ±5 ms to chance."""
        self.counted = False
        return sum(self.enviar(partner=False) for _ in range(clicks)) * 1000 / clicks


def idle_rates(pids: list[int], seconds: float = 3) -> dict[int, float]:
    """CPU seconds per second each server spends with nothing asked of it (its open sessions only)."""
    before = {pid: cpu_seconds(pid) for pid in pids}
    time.sleep(seconds)
    return {pid: (cpu_seconds(pid) - before[pid]) / seconds for pid in pids}


def bcrypt_check_ms() -> float:
    """CPU-ms of one bcrypt check at BCRYPT_COST on this machine: the part of a login that is the hash."""
    hashed = bcrypt.hashpw(b"x", bcrypt.gensalt(BCRYPT_COST))
    samples = []
    for _ in range(3):
        started = time.process_time()
        bcrypt.checkpw(b"x", hashed)
        samples.append((time.process_time() - started) * 1000)
    return statistics.median(samples)


# --- Users acting at once ------------------------------------------------------------------------


@dataclass
class Crowd:
    expected: int = 0
    completed: int = 0
    failures: list[str] = field(default_factory=list)
    confirmed: dict[str, int] = field(default_factory=dict)  # subject → number the dialog showed
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # step → its durations
    lock: threading.Lock = field(default_factory=threading.Lock)


def crowd(url: str, accounts: list[tuple[str, bool]], watch: OriginWatch) -> Crowd:
    """Each account in its own thread, Playwright and Chromium, the rounds started together."""
    result = Crowd(expected=sum(CONCURRENT_ROUNDS * (4 if staff else 3) for _, staff in accounts))
    start_together = threading.Barrier(len(accounts), timeout=CROWD_TIMEOUT_MS / 1000)
    deadline = time.monotonic() + CROWD_DEADLINE_S
    tag = uuid.uuid4().hex[:6]

    def register(tab, subject: str) -> None:
        open_from_menu(tab, "Mesa de Servicio", "Registrar un Caso")
        fill_case(tab, subject)
        tab.get_by_role("button", name="Enviar caso").click()
        number = sent_number(tab)
        with result.lock:
            result.confirmed[subject] = number
        tab.get_by_role("dialog").get_by_role("button", name="OK").click()
        tab.get_by_role("dialog").wait_for(state="hidden")

    def person(username: str, staff: bool) -> None:
        with sync_playwright() as playwright:
            try:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            except Exception as exc:  # noqa: BLE001 - counted as lost steps; the others must not wait for it
                result.failures.append(f"{username}: Chromium did not start: {str(exc).splitlines()[0]}")
                start_together.abort()
                return
            for round_ in range(1, CONCURRENT_ROUNDS + 1):
                with suppress(threading.BrokenBarrierError):  # a browser that failed to start: go on anyway
                    start_together.wait()
                subject = f"Concurrencia {tag} {username} ronda {round_}"
                context = watch.context(browser, timeout_ms=CROWD_TIMEOUT_MS)
                tab = context.new_page()
                steps = [
                    ("login", lambda tab=tab: log_in(tab, url, username)),
                    ("register", lambda tab=tab, subject=subject: register(tab, subject)),
                    ("verificar", lambda tab=tab: open_page(tab, "Mesa de Servicio", "Verificar mis Casos")),
                ]
                if staff:
                    steps.append(("bandeja", lambda tab=tab: open_page(tab, "Asesor", "Bandeja de casos")))
                for name, step in steps:
                    started = time.perf_counter()
                    try:
                        if time.monotonic() > deadline:
                            raise TimeoutError(f"past the run's {CROWD_DEADLINE_S} s")
                        step()
                    except Exception as exc:  # noqa: BLE001 - a lost step is a result, not a crash
                        with result.lock:
                            result.failures.append(f"{username} round {round_} {name}: {str(exc).splitlines()[0]}")
                        break
                    with result.lock:
                        result.completed += 1
                        result.seconds[name].append(time.perf_counter() - started)
                context.close()
            browser.close()

    threads = [threading.Thread(target=person, args=account) for account in accounts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()  # bounded: every wait has its timeout, every step the run's deadline
    return result


def stored_once(engine: sa.Engine, confirmed: dict[str, int]) -> tuple[int, list[str]]:
    """How many confirmed cases are stored exactly once with the number their dialog showed; the others."""
    with unit_of_work(engine, write=False) as session:
        rows = session.execute(sa.select(Case.subject, Case.number).where(Case.subject.in_(list(confirmed)))).all()
    found = defaultdict(list)
    for subject, number in rows:
        found[subject].append(number)
    wrong = [f"{s}: {found[s]} (dialog #{n})" for s, n in confirmed.items() if found[s] != [n]]
    return len(confirmed) - len(wrong), wrong


# --- One size, the table -------------------------------------------------------------------------


@dataclass
class Measured:
    """Everything one size gave."""

    samples: Samples
    click_ms: float
    floor_click_ms: float
    enviar_ms: float  # server CPU per Enviar caso, over --clicks registrations
    idle_ms: dict[str, float]
    outside: list[str]
    crowd: Crowd | None
    stored_once: int
    wrong: list[str]
    figure: tuple[str, int]  # the key figure clicked and its cases


def measure(size: int, args, floor: FloorApp, browser) -> Measured:
    folder = Path(tempfile.mkdtemp(prefix=f"browser-{size}-", dir=OUT))
    try:
        url = working_copy(size, args.users, folder)
        engine = make_engine(url)
        who = people(engine, args.concurrent)
        figure = key_figure_with_cases(engine, who["advisor"])
        desk = LiveApp(folder, url, {"MESA_BCRYPT_ROUNDS": str(BCRYPT_COST), "MESA_BACKGROUND_SENDER": "false"})
        desk.start()
        try:
            watch = OriginWatch(desk.url)
            warm = watch.context(browser).new_page()  # the first session imports the whole app
            warm.goto(desk.url)
            warm.get_by_role("textbox", name="Usuario").wait_for(timeout=90_000)
            warm.context.close()
            rounds = Rounds(browser, desk, floor, who, watch, figure[0])
            samples = rounds.run(args.rounds)
            click_ms, floor_click_ms = rounds.cpu_per_click(args.clicks)
            enviar_ms = rounds.cpu_per_enviar(args.clicks)
            idle_ms = {"desk": rounds.idle[desk.process.pid] * 1000, "floor": rounds.idle[floor.process.pid] * 1000}
            rounds.close()
            at_once = crowd(desk.url, who["concurrent"], watch) if args.concurrent else None
        finally:
            desk.stop()
        once, wrong = stored_once(engine, at_once.confirmed) if at_once else (0, [])
        engine.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return Measured(samples, click_ms, floor_click_ms, enviar_ms, idle_ms, watch.outside, at_once, once, wrong, figure)


def _verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("met" if ok else "**not met**")


def lines(m: Measured, hash_ms: float) -> list[tuple[str, str, str, str]]:
    """(step, goal, figure, verdict) for one size, in the table's order."""
    ours = {name: statistics.median(v) for name, v in m.samples.ours.items()}
    floor = {name: statistics.median(v) for name, v in m.samples.floor.items()}
    cpu = {name: statistics.fmean(v) * 1000 for name, v in m.samples.cpu.items()}  # ticks of 10 ms: a mean
    result = []

    def timed(label: str, name: str, partner: str, goal: str | None) -> None:
        ratio = ours[name] / floor[name]
        text, test = GOALS[goal] if goal else ("—", None)
        figure = f"{ours[name]:.2f} s · {partner} {floor[name]:.2f} · ×{ratio:.2f}"
        result.append((label, text, figure, _verdict(test(ours[name], ratio) if test else None)))

    def cpu_ms(label: str, value: float, *, judged: bool = True, partner: str = "") -> None:
        goal = f"≤ {CPU_GOAL_MS} ms" if judged else "—"
        result.append((label, goal, f"{value:.0f} ms{partner}", _verdict(value <= CPU_GOAL_MS if judged else None)))

    timed(f"login → Inicio (bcrypt cost {BCRYPT_COST})", "login", "form submit", "login")
    timed("first load of the login page", "first load", "first load", None)
    timed("Verificar mis Casos by URL, remembered login", "deep link", "first load", "deep link")
    seen = m.samples.login_form_seen
    result.append(
        ("… login form shown during that load", "never", f"{seen} of {m.samples.deep_links}", _verdict(not seen))
    )
    timed("a key figure clicked in the Bandeja", "key figure", "button", "key figure")
    timed("Bandeja from the menu", "bandeja menu", "button", None)
    timed("Enviar caso → number", "enviar", "form submit", "enviar")
    for name, label in CLICKS.items():
        timed(label, name, "button", "key figure")
    cpu_ms("server CPU per key-figure click", m.click_ms, partner=f" · button {m.floor_click_ms:.0f}")
    cpu_ms("server CPU per menu click to the Bandeja", cpu["bandeja menu"])
    cpu_ms("server CPU per Enviar caso", m.enviar_ms)
    for name in ("filter", "tomar", "reply", "chat"):  # the tab asks nothing of the server
        cpu_ms(f"server CPU per click: {CLICKS[name]}", cpu[name])
    cpu_ms(f"server CPU per login, less a bcrypt check ({hash_ms:.0f} ms)", cpu["login"] - hash_ms)
    cpu_ms("server CPU per deep link load", cpu["deep link"], judged=False)
    cpu_ms("server CPU per login page load", cpu["first load"], judged=False)
    result.append(("requests outside the desk's origin", "0", str(len(m.outside)), _verdict(not m.outside)))
    if m.crowd:
        done, expected, confirmed = m.crowd.completed, m.crowd.expected, len(m.crowd.confirmed)
        result.append(
            ("steps done by the users at once", "0 lost", f"{done} of {expected}", _verdict(done == expected))
        )
        result.append(
            (
                "… their cases stored exactly once",
                "all",
                f"{m.stored_once} of {confirmed}",
                _verdict(m.stored_once == confirmed and not m.wrong),
            )
        )
    return result


def report(measured: dict[int, Measured], args) -> None:
    """Each size's lost steps and outside requests, then one table of every size."""
    for size, m in measured.items():
        print(
            f"{size:,} cases: idle servers {m.idle_ms['desk']:.0f} ms/s (desk), {m.idle_ms['floor']:.0f} ms/s "
            "(floor), subtracted from the CPU figures"
        )
        print(
            f"  key figure clicked: {m.figure[0]} ({m.figure[1]:,} case{'' if m.figure[1] == 1 else 's'}), from the list without it"
        )
        if m.crowd:
            took = ", ".join(
                f"{name} {statistics.median(v):.1f} s (max {max(v):.1f})" for name, v in m.crowd.seconds.items()
            )
            print(f"  users at once, median step: {took}")
        for line in [*(m.crowd.failures if m.crowd else []), *m.wrong]:
            print(f"  lost: {line}")
        for address in sorted(set(m.outside))[:10]:
            print(f"  outside request: {address}")
    hash_ms = bcrypt_check_ms()
    by_size = {size: lines(m, hash_ms) for size, m in measured.items()}
    first = next(iter(by_size.values()))
    rows = [
        [label, goal, *(cell for size in by_size for cell in by_size[size][i][2:])]
        for i, (label, goal, _, _) in enumerate(first)
    ]
    print_table(
        f"Median of {args.rounds} interleaved rounds (after 1 warm-up): ours · the floor's step · ratio; "
        f"server CPU: mean over {args.clicks} clicks (key figure, Enviar caso) or the rounds' steps; "
        f"{args.concurrent} browsers at once × {CONCURRENT_ROUNDS} rounds",
        ["step", "goal", *(c for size in by_size for c in (f"{size:,} cases", "verdict"))],
        rows,
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,200000", help="cases in the desk, comma-separated")
    parser.add_argument("--rounds", type=int, default=8, help="interleaved rounds counted (plus one warm-up)")
    parser.add_argument(
        "--clicks", type=int, default=20, help="key-figure clicks and registrations for the server CPU per click"
    )
    parser.add_argument("--concurrent", type=int, default=10, help="browsers acting at once (0: skip)")
    parser.add_argument("--users", type=int, default=2_000, help="users in a generated desk")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    for size in sizes:  # generated before any server starts, so the filling is not timed alongside
        filled_sqlite(size, args.users).dispose()
    measured = {}
    with tempfile.TemporaryDirectory(prefix="floor-", dir=OUT) as folder, sync_playwright() as playwright:
        floor = FloorApp(Path(folder)).start()
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        print(
            f"Machine: {platform.machine()}, {os.cpu_count()} cores, "
            f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB; Python "
            f"{platform.python_version()}, Streamlit {streamlit.__version__}, Chromium {browser.version}; "
            f"load average at start {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        try:
            for size in sizes:
                started = time.perf_counter()
                measured[size] = measure(size, args, floor, browser)
                print(
                    f"  {size:,} cases measured in {time.perf_counter() - started:.0f} s "
                    f"(load average {os.getloadavg()[0]:.1f})",
                    flush=True,
                )
        finally:
            browser.close()
            floor.stop()
    report(measured, args)


if __name__ == "__main__":
    main()
