"""Does the promise hold? A desk whose resolution times follow known distributions, run through the services.

`python -m bench.bench_promise` builds a SQLite desk in a temporary folder with the demo's areas and
business hours, lets N cases per kind (area, option, urgency) be registered and resolved with business
resolution times drawn from a log-normal distribution of that kind (the history), then registers N more
of each kind — each promised "9 de cada 10 … antes del …" from that history by services/sla.py — and
resolves them by the same distributions. It prints, per kind and in all, the share of promises kept: the
calibration the issue asks to land at 85–95 % for a promised 90 %. The clock is the one fake here.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

os.environ.setdefault("MESA_BCRYPT_ROUNDS", "4")  # before services.security is imported

import sqlalchemy as sa  # noqa: E402

from models import Area, Case, ServiceOption  # noqa: E402
from services import business_time, calendars, cases, catalogue, clock, users, workflow  # noqa: E402
from services.cases import Uploads  # noqa: E402
from services.db import make_engine, unit_of_work  # noqa: E402
from services.migrate import upgrade  # noqa: E402
from services.storage import Storage  # noqa: E402

PASSWORD = "Clave-de-banco-9"
# Kinds of case and the median business hours they take (log-normal, spread sigma).
KINDS = (
    ("Impresoras", "medium", 6.0, 0.6),
    ("Soporte de equipos", "high", 3.0, 0.5),
    ("Aseo", "low", 14.0, 0.7),
)


def _desk(folder: Path):
    os.environ["MESA_DATA_DIR"] = str(folder)
    engine = make_engine(f"sqlite:///{folder / 'mesa.db'}")
    upgrade(engine)
    with unit_of_work(engine) as session:
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
        calendars.seed_demo(session=session)
        for username, role, areas in (
            ("ana.perez", "employee", ()),
            ("laura.rios", "advisor", ("Gestión Tecnológica",)),
            ("jorge.diaz", "advisor", ("Servicios Generales",)),
        ):
            users.create_user(
                session=session,
                actor=users.Actor.system(),
                username=username,
                full_name=username.replace(".", " ").title(),
                email=f"{username}@example.org",
                role=role,
                password=PASSWORD,
                area_names=areas,
            )
    return engine


def run(per_kind: int, seed: int) -> None:
    draw = random.Random(seed)
    now = {"t": datetime(2026, 6, 1, 13, 0)}
    clock.now = lambda: now["t"]  # the one fake: the clock
    with tempfile.TemporaryDirectory(prefix="mesa-promise-") as tmp:
        engine = _desk(Path(tmp))
        uploads = Uploads(Storage(Path(tmp) / "attachments"), 5)
        with unit_of_work(engine, write=False) as session:
            options = dict(session.execute(sa.select(ServiceOption.name, ServiceOption.id)).all())
            ana = users.load_actor(session=session, username="ana.perez")
            gt = session.scalar(sa.select(Area.id).where(Area.name == "Gestión Tecnológica"))

        def register(option: str, urgency: str, at: datetime) -> Case:
            now["t"] = at
            with unit_of_work(engine) as session:
                number = cases.register_case(
                    session=session,
                    actor=ana,
                    uploads=uploads,
                    option_id=options[option],
                    subject="Caso de prueba",
                    description="Detalle.",
                    urgency=urgency,
                ).number
                return session.scalar(sa.select(Case).where(Case.number == number))

        def resolve(case: Case, at: datetime) -> None:
            now["t"] = at
            with unit_of_work(engine) as session:
                name = "laura.rios" if case.area_id == gt else "jorge.diaz"
                advisor = users.load_actor(session=session, username=name)
                workflow.resolve_case(
                    session=session, actor=advisor, number=case.number, solution="Listo.", expected_version=None
                )

        started = time.perf_counter()
        results = {}
        for option, urgency, median, sigma in KINDS:
            with unit_of_work(engine, write=False) as session:
                calendar = calendars.calendar_for(session, session.get(ServiceOption, options[option]).area_id)

            def took(start: datetime, median=median, sigma=sigma, calendar=calendar) -> datetime:
                hours = min(draw.lognormvariate(0, sigma) * median, 400.0)
                return business_time.add_business(start, timedelta(hours=hours), calendar)

            for phase in ("history", "promised"):
                base = datetime(2026, 6, 1, 13, 0) + timedelta(days=0 if phase == "history" else 60)
                made = []
                for i in range(per_kind):
                    start = base + timedelta(minutes=37 * i)
                    case = register(option, urgency, start)
                    made.append((case, took(start)))
                for case, at in sorted(made, key=lambda m: m[1]):
                    resolve(case, at)
                if phase == "promised":
                    with unit_of_work(engine, write=False) as session:
                        rows = session.execute(
                            sa.select(Case.promise_basis, Case.resolved_at <= Case.promised_at).where(
                                Case.id.in_([c.id for c, _ in made])
                            )
                        ).all()
                    results[(option, urgency)] = (
                        sum(basis == "history" for basis, _ in rows),
                        sum(bool(kept) for _, kept in rows),
                        len(rows),
                    )
        elapsed = time.perf_counter() - started

    print(f"Promise calibration: {per_kind} cases of history and {per_kind} promised per kind, seed {seed}")
    print()
    print("| kind (option, urgency, median business h) | promised from history | kept | share kept |")
    print("|---|---|---|---|")
    kept_all = total_all = 0
    for option, urgency, median, _ in KINDS:
        history, kept, total = results[(option, urgency)]
        kept_all, total_all = kept_all + kept, total_all + total
        print(f"| {option}, {urgency}, {median:g} h | {history}/{total} | {kept} | {kept / total:.1%} |")
    share = kept_all / total_all
    print(f"| all | | {kept_all}/{total_all} | {share:.1%} |")
    print()
    verdict = "met" if 0.85 <= share <= 0.95 else "not met"
    print(f"goal: 85–95 % kept for a promised 90 %: {verdict} ({share:.1%}); {elapsed:.0f} s through the services")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-kind", type=int, default=300, help="cases of history, and promised, per kind")
    parser.add_argument("--seed", type=int, default=20261130)
    args = parser.parse_args()
    run(args.per_kind, args.seed)


if __name__ == "__main__":
    main()
