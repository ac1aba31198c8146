"""The scale bench in one command: SQLite and PostgreSQL at 1,000 / 100,000 / 1,000,000 cases.

    .venv/bin/python -m bench.run                       # everything (first run generates the databases)
    .venv/bin/python -m bench.run --sizes 1000,100000 --databases sqlite --sessions 5

For each database and size it prints the median time of the queries behind each screen, of
registering a case and of a full AppTest run of each page, with the ratio to the 1,000-case
figure (the sizes are measured in turn within each round, so the ratios compare like with like); then the memory of a real `streamlit run server.py` server after N browser sessions (headless
Chromium, each a different synthetic user, all kept open); then the search's p50 and p95
(bench/bench_search.py, --search-runs 0 leaves it out). The databases are generated once
(bench/out/sqlite-v<generator version>-*.db; PostgreSQL databases mesa_bench_v<version>_<cases>_<users>)
and reused; measuring writes a few cases into them, which does not move the figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from bench import bench_search
from bench.common import (
    DEFAULT_POSTGRES,
    OUT,
    filled_postgres,
    filled_sqlite,
    interleaved_samples,
    prepare,
    print_table,
)
from services import cases, clock, inbox, reports, sessions, users, workflow
from services.cases import Uploads
from services.db import unit_of_work
from services.storage import Storage

ROOT = Path(__file__).resolve().parent.parent
COOKIE_KEY = secrets.token_urlsafe(48)  # this run's own key: the bench's sessions' cookies are signed with it


def query_actions(engine: sa.Engine, who: dict) -> dict[str, Callable[[], object]]:
    """The service calls each screen makes, run together as the screen makes them."""
    with unit_of_work(engine, write=False) as session:
        requester, advisor, manager = (
            users.load_actor(session=session, username=who[k]) for k in ("requester", "advisor", "manager")
        )
    today = clock.now().date()
    last_90 = reports.ReportFilters(start=today - timedelta(days=90), end=today)
    uploads = Uploads(Storage(OUT / "attachments"), 10)

    def screen(*calls):
        def run():
            with unit_of_work(engine, write=False) as session:
                for fn, actor, kw in calls:
                    fn(session=session, actor=actor, **kw)

        return run

    def register():
        with unit_of_work(engine) as session:
            cases.register_case(
                session=session,
                actor=requester,
                uploads=uploads,
                option_id=who["option_id"],
                subject="Medición",
                description="Caso de medición",
                request_token=uuid.uuid4().hex,
            )

    screens = {
        "Inicio": screen(
            (cases.count_my_open_cases, requester, {}),
            (cases.list_my_cases, requester, {"include_closed": True, "page_size": 5}),
        ),
        "Verificar mis Casos": screen((cases.list_my_cases, requester, {})),
        "Bandeja de casos (default filter)": screen(
            (inbox.figures, advisor, {}), (inbox.areas_in_scope, advisor, {}), (inbox.list_inbox, advisor, {})
        ),
        "A case's work view": screen(
            (cases.get_case, advisor, {"number": who["work_case"]}),
            (workflow.advisors_of_area, advisor, {"number": who["work_case"]}),
        ),
        "Satisfacción (last 90 days)": screen(
            (reports.filter_choices, manager, {}),
            (reports.key_figures, manager, {"filters": last_90}),
            (reports.charts, manager, {"filters": last_90}),
            (reports.latest_comments, manager, {"filters": last_90}),
        ),
        "Register a case": register,
    }
    return {f"query: {name}": action for name, action in screens.items()}


def apptest_actions(engine: sa.Engine, who: dict) -> dict[str, Callable[[], object]]:
    """A full run of each page's script in Streamlit's AppTest, logged in as its user."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    # One live server-side session per user, as a login would leave it (app_pages/ui/session.py).
    logged_in = {}
    with unit_of_work(engine) as session:
        for role in {"requester", "advisor", "manager"}:
            user_id = users.load_actor(session=session, username=who[role]).id
            logged_in[role] = sessions.open_session(session=session, user_id=user_id, remember=False).handle

    pages = {
        "Inicio": ("requester", "app_pages/inicio.py", {}),
        "Verificar mis Casos": ("requester", "app_pages/verificar.py", {}),
        "Registrar un Caso": ("requester", "app_pages/registrar.py", {}),
        "Bandeja de casos": ("advisor", "app_pages/bandeja.py", {}),
        "A case's work view": ("advisor", "app_pages/bandeja.py", {"caso": str(who["work_case"])}),
        "Satisfacción": ("manager", "app_pages/satisfaccion.py", {}),
    }

    def page_run(role, script, params):  # params: the page's address (?caso=N)
        def run():
            st.cache_data.clear()  # Satisfacción keeps a filter 5 minutes: time the first visit
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
            at.session_state["mesa_session"] = logged_in[role]
            for key, value in params.items():
                at.query_params[key] = value
            at.switch_page(script).run()
            if at.exception:
                raise RuntimeError(f"{script}: {at.exception[0].value}")

        return run

    return {f"AppTest: {name}": page_run(*spec) for name, spec in pages.items()}


def interleaved_medians(
    actions: dict[int, dict[str, Callable[[], object]]], repeat: int, switch: Callable[[int], None] | None = None
) -> dict[int, dict[str, float]]:
    """Median ms of each action at each size, the sizes in turn within every round (common.interleaved_samples);
    the first round warms up and is not counted."""
    samples = interleaved_samples(
        {
            size: {name: lambda _round, a=action: a() for name, action in by_name.items()}
            for size, by_name in actions.items()
        },
        repeat,
        switch=switch,
    )
    return {size: {name: statistics.median(v) for name, v in by_name.items()} for size, by_name in samples.items()}


def point_app_at(engine: sa.Engine) -> None:
    """The app keeps its settings and one engine per process: aim them at this database."""
    import streamlit as st

    os.environ.update(_app_env(engine))
    st.cache_resource.clear()


def _app_env(engine: sa.Engine) -> dict[str, str]:
    data = OUT / "app-data"
    data.mkdir(parents=True, exist_ok=True)
    return {
        "MESA_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "MESA_DATA_DIR": str(data),
        "MESA_BACKGROUND_SENDER": "false",
        "MESA_COOKIE_KEY": COOKIE_KEY,
    }


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def server_memory(engine: sa.Engine, who: dict, count: int) -> tuple[float, float]:
    """RSS (MB) of a real app server after one session, then with `count` browser sessions open."""
    from playwright.sync_api import sync_playwright

    from services.settings import load_settings
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    port = 8600 + os.getpid() % 300
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MESA_")},
        **_app_env(engine),
        "MESA_APP_URL": f"http://127.0.0.1:{port}",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "server.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    config = load_settings(env)
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            tabs = []

            def open_session(username: str) -> None:
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                # A remembered login, as the browser holds it after the cookie route answered.
                with unit_of_work(engine) as session:
                    user_id = users.load_actor(session=session, username=username).id
                    grant = sessions.open_session(session=session, user_id=user_id, remember=True).grant
                    cookie = sessions.trade_grant(session=session, grant=grant, config=config, key=COOKIE_KEY)
                context.add_cookies([{"name": sessions.COOKIE_NAME, "value": cookie.value, "url": url}])
                tab = context.new_page()
                tab.goto(url)
                tab.get_by_text("Hola,").first.wait_for(timeout=60_000)
                tabs.append(tab)

            open_session(who["requester"])
            time.sleep(1)
            first = _rss_mb(server.pid)
            for username in who["employees"][: count - 1]:
                open_session(username)
            time.sleep(2)
            after = _rss_mb(server.pid)
            browser.close()
        return first, after
    finally:
        server.terminate()
        server.wait(timeout=20)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("MESA_BENCH_POSTGRES", DEFAULT_POSTGRES),
        help="a server URL whose database may CREATE DATABASE (default: %(default)s)",
    )
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=20, help="runs per query (AppTest: a quarter of it)")
    parser.add_argument("--sessions", type=int, default=20, help="browser sessions for the memory figure")
    parser.add_argument(
        "--search-runs", type=int, default=50, help="runs of each search (bench.bench_search); 0 leaves it out"
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB; "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
    for database in args.databases.split(","):
        memory: dict[int, tuple[float, float]] = {}
        engines, people = {}, {}
        for size in sizes:
            engines[size] = (
                filled_sqlite(size, args.users)
                if database == "sqlite"
                else filled_postgres(args.postgres, size, args.users)
            )
            people[size] = prepare(engines[size])
        if database == "postgresql":
            with engines[sizes[0]].connect() as conn:
                print(f"PostgreSQL {conn.exec_driver_sql('SHOW server_version').scalar()}")
        started = time.perf_counter()
        figures = interleaved_medians({s: query_actions(engines[s], people[s]) for s in sizes}, args.repeat)
        pages = interleaved_medians(
            {s: apptest_actions(engines[s], people[s]) for s in sizes},
            max(3, args.repeat // 4),
            switch=lambda s, e=engines: point_app_at(e[s]),
        )
        searches = None
        if args.search_runs:
            for engine in engines.values():
                bench_search.cut_off(engine, bench_search.LIMIT_S)
            searches = bench_search.measure(engines, people, args.search_runs)
        for size in sizes:
            figures[size].update(pages[size])
            if args.sessions:
                memory[size] = server_memory(engines[size], people[size], args.sessions)
            engines[size].dispose()
        print(f"  {database}: measured in {time.perf_counter() - started:.0f} s", flush=True)
        base = sizes[0]
        header = ["median ms", *(f"{s:,} cases" for s in sizes), *(f"ratio {s:,}" for s in sizes[1:])]
        rows = [
            [
                name,
                *(f"{figures[s][name]:.1f}" for s in sizes),
                *(f"{figures[s][name] / figures[base][name]:.2f}" for s in sizes[1:]),
            ]
            for name in figures[base]
        ]
        if memory:
            rows.append(
                [
                    f"server RSS MB, 1 session → {args.sessions} sessions",
                    *(f"{memory[s][0]:.0f} → {memory[s][1]:.0f}" for s in sizes),
                    *(f"{memory[s][1] / memory[base][1]:.2f}" for s in sizes[1:]),
                ]
            )
        worst = max(figures[sizes[-1]][n] / figures[base][n] for n in figures[base])
        print_table(
            f"{database}: median of {args.repeat} runs (AppTest: {max(3, args.repeat // 4)}); "
            f"worst ratio at {sizes[-1]:,}: {worst:.2f}",
            header,
            rows,
        )
        print(
            f"  (per session: {statistics.mean((memory[s][1] - memory[s][0]) / max(1, args.sessions - 1) for s in sizes):.1f} MB)"
            if memory
            else ""
        )
        if searches:
            bench_search.print_figures(database, searches, args.search_runs)


if __name__ == "__main__":
    main()
