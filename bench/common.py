"""Helpers for the benchmarks: databases filled once and kept between runs, the people the screens are
measured for, timing (each size in turn within every round), tables."""

from __future__ import annotations

import gc
import math
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from alembic.migration import MigrationContext

from bench.generate import VERSION, generate
from models import Article, Case, ServiceOption, SetupMarker, User
from services import search, users
from services.db import make_engine, unit_of_work
from services.migrate import upgrade

OUT = Path(__file__).resolve().parent / "out"
DEFAULT_POSTGRES = "postgresql+psycopg://mesa:mesa@127.0.0.1:5432/postgres"  # the CI's server
ARTICLES = 10_000  # the knowledge base of every bench desk, whatever its number of cases
REQUESTER = "bench.usuario"
REQUESTER_CASES = 300


def median_ms(action: Callable[[], object], *, repeat: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def percentile(samples: list[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest sample with at least `fraction` of them at or below it."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def interleaved_samples(
    actions: dict[int, dict[str, Callable[[int], object]]],
    repeat: int,
    *,
    warmup: int = 1,
    switch: Callable[[int], None] | None = None,
) -> dict[int, dict[str, list[float]]]:
    """Milliseconds of each action at each size, `repeat` runs after `warmup` untimed rounds. Every round
    takes the sizes in turn, so a slow moment of the machine falls on all of them alike and the ratios
    compare like with like; `switch(size)` runs (untimed) before a size's turn; an action is given the
    number of its round (from 0, warm-up included), to vary what it asks."""
    samples = {size: {name: [] for name in by_name} for size, by_name in actions.items()}
    # As the desk's server does once started (server.py): what is loaded and set up by now is left out
    # of the garbage collector's full passes. Without it a full pass over this process's heap (three
    # engines, the generator's imports) fell inside a timed search now and then: 80-100 ms p95 at a
    # million cases where the searches take 20-30.
    gc.collect()
    gc.freeze()
    for round_ in range(warmup + repeat):
        for size, by_name in actions.items():
            if switch:
                switch(size)
            for name, action in by_name.items():
                started = time.perf_counter()
                action(round_)
                if round_ >= warmup:
                    samples[size][name].append((time.perf_counter() - started) * 1000)
    return samples


def filled_sqlite(cases: int, users: int) -> sa.Engine:
    """A SQLite file with that many synthetic cases, made once under bench/out/ and reused."""
    OUT.mkdir(exist_ok=True)
    return _filled(make_engine(f"sqlite:///{OUT / f'sqlite-v{VERSION}-{cases}-{users}.db'}"), cases, users)


def filled_postgres(server_url: str, cases: int, users: int) -> sa.Engine:
    """A PostgreSQL database mesa_bench_v<version>_<cases>_<users> on that server, made once and reused.

    server_url names a database to connect to for CREATE DATABASE (postgres, say)."""
    name = f"mesa_bench_v{VERSION}_{cases}_{users}"
    server = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    server.dispose()
    url = sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    return _filled(make_engine(url), cases, users)


def _revision(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _filled(engine: sa.Engine, cases: int, users: int) -> sa.Engine:
    started = time.perf_counter()
    before = _revision(engine)
    upgrade(engine)
    if before is not None and _revision(engine) != before:  # a migration changed a kept desk: fresh statistics,
        # as generate leaves them (an index made again has none, and the planner would guess)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE")
        print(f"  migrated {engine.url.database} in {time.perf_counter() - started:.1f} s")
    with engine.connect() as conn:
        present = conn.scalar(sa.select(sa.func.count()).select_from(Case))
        articles = conn.scalar(sa.select(sa.func.count()).select_from(Article))
    if present < cases or articles < ARTICLES:
        started = time.perf_counter()
        generate(
            engine,
            cases=max(0, cases - present),
            users=users if present == 0 else 0,
            articles=max(0, ARTICLES - articles),
            quiet=bool(os.environ.get("CI")),
        )
        print(
            f"  generated {cases:,} cases / {users:,} users / {ARTICLES:,} articles "
            f"in {time.perf_counter() - started:.1f} s"
        )
    return engine


def prepare(engine: sa.Engine) -> dict:
    """The people the screens are measured for: a requester owning 300 cases, an advisor, a manager."""
    with unit_of_work(engine) as session:
        if session.get(SetupMarker, 1) is None:  # as if the one-time setup had run
            admin = users.create_user(
                session=session,
                actor=users.Actor.system(),
                username="bench.admin",
                full_name="Admin de Medición",
                email="admin@example.org",
                role="admin",
                password="Clave-de-medicion-1",
            )
            session.add(SetupMarker(id=1, admin_id=admin.id))
        if users.load_actor(session=session, username=REQUESTER) is None:
            users.create_user(
                session=session,
                actor=users.Actor.system(),
                username=REQUESTER,
                full_name="Usuario de Medición",
                email="bench@example.org",
                role="employee",
                password="Clave-de-medicion-1",
            )
            me = users.load_actor(session=session, username=REQUESTER)
            picked = session.scalars(sa.select(Case.id).order_by(Case.id).limit(REQUESTER_CASES)).all()
            session.execute(sa.update(Case).where(Case.id.in_(picked)).values(requester_id=me.id))
            # An UPDATE statement passes by the session events that keep the search documents.
            search.reindex(session.connection(), picked)
    with unit_of_work(engine, write=False) as session:
        advisor = session.scalar(sa.select(User.username).where(User.role == "advisor").order_by(User.id))
        manager = session.scalar(sa.select(User.username).where(User.role == "manager").order_by(User.id))
        advisor_actor = users.load_actor(session=session, username=advisor)
        return {
            "requester": REQUESTER,
            "advisor": advisor,
            "manager": manager,
            "work_case": session.scalar(
                sa.select(Case.number).where(Case.area_id.in_(advisor_actor.area_ids)).order_by(Case.id.desc()).limit(1)
            ),
            "option_id": session.scalar(sa.select(ServiceOption.id).order_by(ServiceOption.id).limit(1)),
            "employees": session.scalars(
                sa.select(User.username).where(User.role == "employee").order_by(User.id).limit(200)
            ).all(),
        }


def print_table(title: str, columns: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(columns, *rows, strict=True)]
    line = " | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    print(f"\n{title}\n")
    print(f"| {line} |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
