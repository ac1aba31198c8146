"""SLA figures: a case's due times, recomputing an area's open cases after a calendar edit, and the promise
made at registration.

    .venv/bin/python -m bench.bench_sla                      # quick: a 200,000-case desk (2.5 min on 2 cores)
    .venv/bin/python -m bench.bench_sla --cases 1000000      # the goal's desk (8 min, 7 of them generating it)
    .venv/bin/python -m bench.bench_sla --database-url postgresql+psycopg://mesa:mesa@127.0.0.1:5432/postgres

1. Due time: business_time.add_business over random starts and durations with the demo calendar
   (calendars.DEMO_WEEKLY, Colombian holidays), and sla._due_times (the four due times of one case).
   Goal: at most 50 µs per case.
2. The promise: on a synthetic desk (bench/generate.py, in a temporary folder, with the demo calendars),
   sla.estimate for random (area, option, urgency): median and p95 of 200 calls. Goal: at most 5 ms at
   1,000,000 cases, read from resolution_days (its query plans are printed: none reads cases).
3. A calendar edit: the same desk's most recent --open cases are made new, unassigned cases of its first
   area (an SQL UPDATE once 2 is measured: the generator leaves under 1 % of cases open), then
   sla.save_calendar saves that area's week (the demo's hours again, with the calendars' plan cache
   emptied as a new calendar finds it) in one unit of work, which schedules every one of them again.
   Goal: at most 30 s for 100,000 on SQLite.

With --database-url (a PostgreSQL server URL whose database may CREATE DATABASE), 2 and 3 run again on a
scratch database of that server, dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import shutil
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from bench import generate as generator
from bench.common import print_table
from models import Area, Case, ResolutionDay, ServiceOption
from models.cases import OPEN_STATUS_SQL
from models.enums import Status, Urgency
from services import business_time, calendars, catalogue, clock, report_days, sla, users
from services.catalogue import DEFAULT_SLA_HOURS
from services.db import make_engine, unit_of_work
from services.migrate import upgrade

DUE_GOAL_US = 50
RECOMPUTE_GOAL_S = 30
ESTIMATE_GOAL_MS = 5
ADMIN = "bench.sla.admin"


# --- 1. Due times ------------------------------------------------------------------------------------


def due_time_figures(calls: int, runs: int, seed: int) -> list[list[str]]:
    """µs per add_business call and per case (_due_times), median of `runs` passes over the same inputs."""
    rng = random.Random(seed)
    now = clock.now()
    calendar = business_time.Calendar(
        timezone="America/Bogota",
        weekly=tuple(business_time.parse_hours(text) for text in calendars.DEMO_WEEKLY),
        holidays=frozenset(business_time.national_holidays("CO", range(now.year - 3, now.year + 3))),
    )
    span = int(timedelta(days=3 * 365).total_seconds())
    starts = [now - timedelta(days=2 * 365) + timedelta(seconds=rng.randrange(span)) for _ in range(calls)]
    durations = [timedelta(minutes=rng.randint(1, 72 * 60)) for _ in range(calls)]
    goals = [
        sla.Targets(hours, max(1, hours // 4))  # the demo's first response target: a quarter of the resolution's
        for hours in (DEFAULT_SLA_HOURS[rng.choice(list(Urgency))] for _ in range(calls))
    ]
    paused = [rng.choice((0, 0, 0, rng.randint(60, 8 * 3600))) for _ in range(calls)]

    def per_call_us(one) -> float:
        samples = []
        for run in range(runs + 1):  # the first pass builds the calendar's plan and is not counted
            started = time.perf_counter()
            for i in range(calls):
                one(i)
            if run:
                samples.append((time.perf_counter() - started) / calls * 1e6)
        return statistics.median(samples)

    add = per_call_us(lambda i: business_time.add_business(starts[i], durations[i], calendar))
    case = per_call_us(lambda i: sla._due_times(starts[i], paused[i], goals[i], calendar))
    return [
        [f"business_time.add_business, {calls:,} random calls (µs per call)", f"{add:.1f}", ""],
        [
            f"sla._due_times, 4 due times of a case (µs per case, goal ≤ {DUE_GOAL_US})",
            f"{case:.1f}",
            _ok(case, DUE_GOAL_US),
        ],
    ]


# --- The desk ----------------------------------------------------------------------------------------


def make_desk(engine: sa.Engine, cases: int, users_count: int) -> tuple[list[list[str]], int]:
    """Migrate, seed the demo catalogue with the demo calendars, generate; rows of timings, admin id."""
    started = time.perf_counter()
    upgrade(engine)
    migrated = time.perf_counter() - started
    with unit_of_work(engine) as session:
        catalogue.seed_demo_catalogue(session=session)
        calendars.seed_demo(session=session)  # weekly hours, holidays, first response targets
        admin = users.create_user(
            session=session,
            actor=users.Actor.system(),
            username=ADMIN,
            full_name="Admin de Medición",
            email="admin.sla@example.org",
            role="admin",
            password="Clave-de-medicion-1",
        )
    rebuilt = []
    real_rebuild = report_days.rebuild

    def timed_rebuild(bind):
        if not isinstance(bind, sa.Engine):  # its own inner call, with the connection it opened
            return real_rebuild(bind)
        began = time.perf_counter()
        try:
            return real_rebuild(bind)
        finally:
            rebuilt.append(time.perf_counter() - began)

    generator.report_days.rebuild = timed_rebuild  # the same module object: time its share of generate
    started = time.perf_counter()
    try:
        generator.generate(engine, cases=cases, users=users_count)
    finally:
        generator.report_days.rebuild = real_rebuild
    generated = time.perf_counter() - started
    return [
        ["migrate the empty database (s)", f"{migrated:.1f}", ""],
        [f"generate {cases:,} cases / {users_count:,} users (s)", f"{generated:.1f}", ""],
        ["  of which report_days.rebuild (report_days + resolution_days) (s)", f"{sum(rebuilt):.1f}", ""],
    ], admin.id


# --- 2. The promise ----------------------------------------------------------------------------------


def estimate_figures(engine: sa.Engine, calls: int, seed: int) -> tuple[list[list[str]], list[tuple[str, list[str]]]]:
    rng = random.Random(seed)
    with unit_of_work(engine, write=False) as session:
        kinds = [
            (area_id, option_id, urgency.value)
            for area_id, option_id in session.execute(
                sa.select(ServiceOption.area_id, ServiceOption.id).order_by(ServiceOption.id)
            )
            for urgency in Urgency
        ]
        total_cases = session.scalar(sa.select(sa.func.count()).select_from(Case))
        rows = session.scalar(sa.select(sa.func.count()).select_from(ResolutionDay))
        recent = session.scalar(
            sa.select(sa.func.count())
            .select_from(ResolutionDay)
            .where(ResolutionDay.day >= clock.local_day(clock.now()) - timedelta(days=sla.HISTORY_DAYS))
        )
    picks = [rng.choice(kinds) for _ in range(calls)]

    def one(session, area_id, option_id, urgency):
        start = clock.now()
        due = start + timedelta(hours=DEFAULT_SLA_HOURS[Urgency(urgency)])
        return sla.estimate(session, area_id=area_id, option_id=option_id, urgency=urgency, start=start, due=due)

    samples, bases, shown = [], {"history": 0, "sla": 0}, picks[0]
    with unit_of_work(engine, write=False) as session:  # registration's own unit of work is already open
        for kind in picks[:10]:  # warm-up: the calendar's plan, the statement cache
            one(session, *kind)
        for kind in picks:
            started = time.perf_counter()
            made = one(session, *kind)
            samples.append((time.perf_counter() - started) * 1000)
            bases[made.basis] += 1
            if made.basis == "history":
                shown = kind  # the plans are shown for a call that reads a calendar too
    median, p95 = statistics.median(samples), statistics.quantiles(samples, n=20)[-1]
    figures = [
        ["cases on the desk", f"{total_cases:,}", ""],
        [f"resolution_days rows (all / last {sla.HISTORY_DAYS} days)", f"{rows:,} / {recent:,}", ""],
        [
            f"sla.estimate over {calls} random kinds, median ms (goal ≤ {ESTIMATE_GOAL_MS})",
            f"{median:.2f}",
            _ok(median, ESTIMATE_GOAL_MS),
        ],
        ["sla.estimate p95 ms", f"{p95:.2f}", _ok(p95, ESTIMATE_GOAL_MS)],
        ["  promises from history / from the SLA (too few like it)", f"{bases['history']} / {bases['sla']}", ""],
    ]
    return figures, query_plans(engine, lambda session: one(session, *shown))


def query_plans(engine: sa.Engine, action) -> list[tuple[str, list[str]]]:
    """Every statement `action` runs, with the database's plan for it."""
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    with unit_of_work(engine, write=False) as session:
        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            action(session)
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)
        conn = session.connection()
        explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
        plans = []
        for statement, parameters in seen:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue  # BEGIN and the like
            lines = conn.exec_driver_sql(explain + statement, parameters).all()
            plans.append(
                (
                    " ".join(statement.split()),
                    [str(line[-1]) for line in lines],  # SQLite: (id, parent, notused, detail); PostgreSQL: (text,)
                )
            )
    return plans


def print_plans(database: str, plans: list[tuple[str, list[str]]]) -> None:
    print(f"\n{database}: what one sla.estimate call runs, and its plan\n")
    for statement, lines in plans:
        sums = re.findall(r"coalesce\(sum\(resolution_days\.\w+\), \S+\) AS \w+", statement)
        short = (
            statement.replace(", ".join(sums), f"<coalesce(sum(...)) of its {len(sums)} hour buckets>")
            if sums
            else statement
        )
        print(f"  {short}")
        for line in lines:
            print(f"    -> {line}")
    touches_cases = any(re.search(r"\bcases\b", s) or any(re.search(r"\bcases\b", x) for x in p) for s, p in plans)
    print(f"  reads the cases table: {'YES' if touches_cases else 'no'}")


# --- 3. A calendar edit ------------------------------------------------------------------------------


def open_cases(engine: sa.Engine, count: int) -> tuple[int, str, int]:
    """The `count` most recent cases made new, unassigned, open cases of the first area (spread over its
    options), as a desk with that queue would hold them; returns the area's id and name and its open cases."""
    with unit_of_work(engine) as session:
        area = session.scalar(sa.select(Area).order_by(Area.id))
        options = session.scalars(
            sa.select(ServiceOption.id).where(ServiceOption.area_id == area.id).order_by(ServiceOption.id)
        ).all()
        recent = sa.select(Case.id).order_by(Case.created_at.desc()).limit(count).scalar_subquery()
        session.execute(
            sa.update(Case)
            .where(Case.id.in_(recent))
            .values(
                area_id=area.id,
                option_id=sa.case(*((Case.id % len(options) == i, o) for i, o in enumerate(options))),
                status=Status.NEW,
                assignee_id=None,
                first_response_at=None,
                resolved_at=None,
                closed_at=None,
                solution=None,
                closed_without_answer=False,
            ),
            execution_options={"synchronize_session": False},
        )
        open_here = session.scalar(
            sa.select(sa.func.count()).select_from(Case).where(Case.area_id == area.id, sa.text(OPEN_STATUS_SQL))
        )
        area_id, name = area.id, area.name
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(("VACUUM " if engine.dialect.name == "postgresql" else "") + "ANALYZE cases")
    return area_id, name, open_here


def recompute_figures(engine: sa.Engine, admin_id: int, count: int) -> list[list[str]]:
    started = time.perf_counter()
    area_id, area, open_here = open_cases(engine, count)
    prepared = time.perf_counter() - started
    with unit_of_work(engine, write=False) as session:
        admin = users.load_actor(session=session, username=ADMIN)
    assert admin is not None and admin.id == admin_id and admin.is_admin
    # The same hours saved again: empty the plans' cache, so the recompute builds its calendar's plan as
    # it does after a real edit (a new calendar has none).
    business_time._PLANS.clear()
    started = time.perf_counter()
    with unit_of_work(engine) as session:
        done = sla.save_calendar(
            session=session, actor=admin, area_id=area_id, weekly=list(calendars.DEMO_WEEKLY), national_holidays=True
        )
    elapsed = time.perf_counter() - started
    assert done == open_here, (done, open_here)
    return [
        [f"make the {count:,} most recent cases open cases of {area} (SQL UPDATE + ANALYZE, s)", f"{prepared:.1f}", ""],
        [
            f"sla.save_calendar recomputing {done:,} open cases, committed (s, goal ≤ {RECOMPUTE_GOAL_S})",
            f"{elapsed:.1f}",
            _ok(elapsed, RECOMPUTE_GOAL_S),
        ],
        ["  cases per second", f"{done / elapsed:,.0f}", ""],
    ]


# --- Running it --------------------------------------------------------------------------------------


def _ok(value: float, goal: float) -> str:
    return "met" if value <= goal else "MISSED"


def desk_figures(engine: sa.Engine, database: str, args) -> None:
    timings, admin_id = make_desk(engine, args.cases, args.users)
    estimate, plans = estimate_figures(engine, args.calls, args.seed)
    recompute = recompute_figures(engine, admin_id, args.open)
    print_table(
        f"{database}: a synthetic desk of {args.cases:,} cases",
        ["figure", "value", "goal"],
        [*timings, *estimate, *recompute],
    )
    print_plans(database, plans)


def scratch_postgres(server_url: str) -> tuple[sa.Engine, Callable[[], None]]:
    """A new database on that server (as tests/conftest.py makes them) and how to drop it."""
    name = f"mesa_bench_sla_{uuid.uuid4().hex[:8]}"
    server = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = make_engine(sa.make_url(server_url).set(database=name).render_as_string(hide_password=False))

    def drop():
        engine.dispose()
        with server.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.dispose()

    return engine, drop


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--cases", type=int, default=200_000, help="the desk's cases (default: %(default)s, a quick run)"
    )
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--open", type=int, default=100_000, help="open cases the calendar edit recomputes")
    parser.add_argument("--calls", type=int, default=200, help="sla.estimate calls timed")
    parser.add_argument("--due-calls", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5, help="passes over the due-time calls (median)")
    parser.add_argument("--database-url", help="also on PostgreSQL: a server URL that may CREATE DATABASE")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.open > args.cases:
        parser.error("--open cannot exceed --cases")
    folder = Path(tempfile.mkdtemp(prefix="mesa-bench-sla-"))
    os.environ["MESA_DATA_DIR"] = str(folder)
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; "
        f"{datetime.now():%Y-%m-%d %H:%M}"
    )
    try:
        print_table(
            f"Due times (demo calendar, Colombian holidays): median of {args.runs} passes",
            ["figure", "value", "goal"],
            due_time_figures(args.due_calls, args.runs, args.seed),
        )
        engine = make_engine(f"sqlite:///{folder / 'mesa.db'}")
        desk_figures(engine, "SQLite", args)
        engine.dispose()
        if args.database_url:
            engine, drop = scratch_postgres(args.database_url)
            try:
                with engine.connect() as conn:
                    version = conn.exec_driver_sql("SHOW server_version").scalar()
                desk_figures(engine, f"PostgreSQL {version}", args)
            finally:
                drop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
