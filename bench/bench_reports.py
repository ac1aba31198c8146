"""Median time of the Satisfacción queries (SQL aggregates) on a small and a big database.

    .venv/bin/python -m bench.bench_reports [--small 10000] [--big 1000000] [--repeat 10]
"""

from __future__ import annotations

import argparse
import platform
from datetime import timedelta

import sqlalchemy as sa

from bench.common import filled_sqlite, median_ms, print_table
from models import User
from services import clock, reports, users
from services.db import unit_of_work


def measure(engine, repeat: int) -> dict[str, float]:
    with unit_of_work(engine, write=False) as session:
        name = session.scalar(sa.select(User.username).where(User.role == "manager").order_by(User.id))
        manager = users.load_actor(session=session, username=name)
    today = clock.now().date()
    last_90 = reports.ReportFilters(start=today - timedelta(days=90), end=today)
    last_year = reports.ReportFilters(start=today - timedelta(days=365), end=today)

    def run(fn, filters):
        def call():
            with unit_of_work(engine, write=False) as session:
                return fn(session=session, actor=manager, filters=filters)
        return call

    return {
        "key figures, last 90 days": median_ms(run(reports.key_figures, last_90), repeat=repeat),
        "charts, last 90 days": median_ms(run(reports.charts, last_90), repeat=repeat),
        "latest comments": median_ms(run(reports.latest_comments, last_90), repeat=repeat),
        "key figures, last 365 days": median_ms(run(reports.key_figures, last_year), repeat=repeat),
        "charts, last 365 days": median_ms(run(reports.charts, last_year), repeat=repeat),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args(argv)
    print(f"Machine: {platform.machine()}, Python {platform.python_version()}, "
          f"SQLite {__import__('sqlite3').sqlite_version}")
    small = measure(filled_sqlite(args.small, args.users), args.repeat)
    big = measure(filled_sqlite(args.big, args.users), args.repeat)
    print_table(f"Satisfacción queries, median ms over {args.repeat} runs",
                ["query", f"{args.small:,} cases", f"{args.big:,} cases", "ratio"],
                [[k, f"{small[k]:.1f}", f"{big[k]:.1f}", f"{big[k] / small[k]:.2f}"] for k in small])


if __name__ == "__main__":
    main()
