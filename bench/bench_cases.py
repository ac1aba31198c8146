"""Median time of the service calls behind Verificar mis Casos and registration, small vs. big database.

    .venv/bin/python -m bench.bench_cases [--big 200000] [--users 2000] [--repeat 30]

The ratio big/small should stay near 1: the calls query only what the screen shows.
"""

from __future__ import annotations

import argparse
import platform
import uuid

import sqlalchemy as sa

from bench.common import OUT, filled_sqlite, median_ms, print_table
from models import Case, ServiceOption, User
from services import cases, inbox, users
from services.cases import Uploads
from services.db import unit_of_work
from services.storage import Storage

BENCH_USER = "bench.usuario"
BENCH_USER_CASES = 300


def _bench_user(engine) -> str:
    """The same person in both databases: a requester with 300 cases of every status."""
    with unit_of_work(engine) as session:
        if users.load_actor(session=session, username=BENCH_USER) is None:
            users.create_user(session=session, actor=users.Actor.system(), username=BENCH_USER,
                              full_name="Usuario de Medición", email="bench@example.org", role="employee",
                              password="Clave-de-medicion-1")
            actor = users.load_actor(session=session, username=BENCH_USER)
            picked = sa.select(Case.id).order_by(Case.id).limit(BENCH_USER_CASES).scalar_subquery()
            session.execute(sa.update(Case).where(Case.id.in_(picked)).values(requester_id=actor.id))
    return BENCH_USER


def measure(engine, repeat: int) -> dict[str, float]:
    username = _bench_user(engine)
    with unit_of_work(engine, write=False) as session:
        actor = users.load_actor(session=session, username=username)
        newest = cases.list_my_cases(session=session, actor=actor, include_closed=True, page_size=1).rows[0].number
        option_id = session.scalar(sa.select(ServiceOption.id).limit(1))
        owned = session.scalar(sa.select(sa.func.count()).select_from(Case).where(Case.requester_id == actor.id))
    uploads = Uploads(Storage(OUT / "attachments"), 10)

    def read(fn, **kw):
        def run():
            with unit_of_work(engine, write=False) as session:
                return fn(session=session, actor=actor, **kw)

        return run

    def register():
        with unit_of_work(engine) as session:
            cases.register_case(
                session=session,
                actor=actor,
                uploads=uploads,
                option_id=option_id,
                subject="Benchmark",
                description="Caso de medición",
                request_token=uuid.uuid4().hex,
            )

    with unit_of_work(engine, write=False) as session:
        advisor_name = session.scalar(sa.select(User.username).where(User.role == "advisor").order_by(User.id))
        manager_name = session.scalar(sa.select(User.username).where(User.role == "manager").order_by(User.id))
        advisor = users.load_actor(session=session, username=advisor_name)
        manager = users.load_actor(session=session, username=manager_name) if manager_name else None
        in_their_area = session.scalar(
            sa.select(Case.number).where(Case.area_id.in_(advisor.area_ids)).order_by(Case.id.desc()).limit(1))

    def staff(fn, who, **kw):
        def run():
            with unit_of_work(engine, write=False) as session:
                return fn(session=session, actor=who, **kw)
        return run

    results = {
        "Verificar: open cases, page 1": median_ms(read(cases.list_my_cases), repeat=repeat),
        "Verificar: with closed, page 1": median_ms(read(cases.list_my_cases, include_closed=True), repeat=repeat),
        "Verificar: search 'impresora'": median_ms(
            read(cases.list_my_cases, include_closed=True, search="impresora"), repeat=repeat
        ),
        "Verificar: open one case": median_ms(read(cases.get_case, number=newest), repeat=repeat),
        "Inicio: count my open cases": median_ms(read(cases.count_my_open_cases), repeat=repeat),
        "Registrar: register a case": median_ms(register, repeat=repeat),
        "Bandeja: key figures (advisor)": median_ms(staff(inbox.figures, advisor), repeat=repeat),
        "Bandeja: default list (advisor)": median_ms(staff(inbox.list_inbox, advisor), repeat=repeat),
        "Bandeja: text search (advisor)": median_ms(
            staff(inbox.list_inbox, advisor, filters=inbox.InboxFilters(text="impresora")), repeat=repeat),
        "Bandeja: work view of a case": median_ms(staff(cases.get_case, advisor, number=in_their_area), repeat=repeat),
    }
    if manager is not None:
        results["Bandeja: default list (manager)"] = median_ms(staff(inbox.list_inbox, manager), repeat=repeat)
    return results, owned


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--big", type=int, default=200_000)
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)
    print(
        f"Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"SQLite {sa.__version__ and __import__('sqlite3').sqlite_version}"
    )
    small_engine = filled_sqlite(args.small, args.users)
    big_engine = filled_sqlite(args.big, args.users)
    small, small_owned = measure(small_engine, args.repeat)
    big, big_owned = measure(big_engine, args.repeat)
    rows = [[name, f"{small[name]:.2f}", f"{big[name]:.2f}", f"{big[name] / small[name]:.2f}"] for name in small]
    print_table(
        f"Median ms over {args.repeat} runs; the measured requester owns {small_owned} / {big_owned} cases",
        ["service call", f"{args.small:,} cases", f"{args.big:,} cases", "ratio"],
        rows,
    )


if __name__ == "__main__":
    main()
