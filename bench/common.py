"""Helpers for the benchmarks: timing by median, databases filled once and kept between runs."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from bench.generate import generate
from models import Case
from services.db import make_engine
from services.migrate import upgrade

OUT = Path(__file__).resolve().parent / "out"


def median_ms(action: Callable[[], object], *, repeat: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def filled_sqlite(cases: int, users: int) -> sa.Engine:
    """A SQLite file with that many synthetic cases, made once under bench/out/ and reused."""
    OUT.mkdir(exist_ok=True)
    return _filled(make_engine(f"sqlite:///{OUT / f'sqlite-{cases}-{users}.db'}"), cases, users)


def filled_postgres(server_url: str, cases: int, users: int) -> sa.Engine:
    """A PostgreSQL database mesa_bench_<cases>_<users> on that server, made once and reused.

    server_url names a database to connect to for CREATE DATABASE (postgres, say)."""
    name = f"mesa_bench_{cases}_{users}"
    server = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    server.dispose()
    url = sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    return _filled(make_engine(url), cases, users)


def _filled(engine: sa.Engine, cases: int, users: int) -> sa.Engine:
    started = time.perf_counter()
    upgrade(engine)
    if time.perf_counter() - started > 5:
        print(f"  migrated {engine.url.database} in {time.perf_counter() - started:.1f} s")
    with engine.connect() as conn:
        present = conn.scalar(sa.select(sa.func.count()).select_from(Case))
    if present < cases:
        started = time.perf_counter()
        generate(engine, cases=cases - present, users=users if present == 0 else 0, quiet=bool(os.environ.get("CI")))
        print(f"  generated {cases:,} cases / {users:,} users in {time.perf_counter() - started:.1f} s")
    return engine


def print_table(title: str, columns: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(columns, *rows, strict=True)]
    line = " | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    print(f"\n{title}\n")
    print(f"| {line} |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
