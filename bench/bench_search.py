"""The search at scale: the words people type, on desks of 1,000 / 100,000 / 1,000,000 cases with 10,000
knowledge-base articles, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.bench_search                                   # every size, both databases
    .venv/bin/python -m bench.bench_search --sizes 1000,100000 --databases sqlite

For each database and size (the databases of bench.run, generated once and kept: bench/out/*.db,
mesa_bench_* on the server) it times, as the screens call them, each in its own read-only unit of work:
an employee's search of their own cases (Verificar, 300 cases of their own, closed ones shown), the
Bandeja's search by an advisor (their areas) and by a manager (every area; both with every status and the
staff's notes, then both again among the open cases, as the Bandeja opens; each ranking the first window of
services.search.WINDOWS, and the advisor's once more widened to the last, as "Buscar entre los 1.000 más
recientes" asks), the knowledge base's search and the suggestions shown while a subject is typed
(Registrar). The words change from run to run: common and rare ones, with and without accents, plurals,
two words, half-typed subjects. It prints p50 and p95 of --runs runs after a warm-up, the sizes taken in
turn within every round, and their ratio to the smallest size; then how much each word finds. Goals
(issue 19): p95 at most 50 ms (suggestions 100 ms) and the largest size at most 1.5 times the smallest.
A statement that runs longer than --limit seconds is cancelled and that search is reported as over the
limit at that size, not run again: a search that needs minutes must not keep the bench for hours.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sqlite3
import time
from collections.abc import Callable

import sqlalchemy as sa

from bench.common import (
    DEFAULT_POSTGRES,
    filled_postgres,
    filled_sqlite,
    interleaved_samples,
    percentile,
    prepare,
    print_table,
)
from models import ServiceOption
from services import cases, inbox, knowledge, search, users
from services.db import unit_of_work

GOAL_P95_MS = 50
GOAL_SUGGESTIONS_P95_MS = 100
GOAL_RATIO = 1.5
WIDER = f"Bandeja widened to {search.CAP:,} (a click), every status: "
LIMIT_S = 10  # a statement running longer is cancelled (cut_off)
# What people look for, by kind (the generator's vocabulary: bench/generate.py TOPICS).
WORDS = {
    "common": ("impresora", "correo", "computador", "internet", "silla"),
    "rare": ("SPSS", "Visio", "AutoCAD", "espaciadora", "rebota"),  # 0.4 % to 1 % of the cases
    "accented": ("contraseña", "tóner", "batería", "extensión", "cafeteria"),
    "plural": ("impresoras", "contraseñas", "redes", "sillas", "licencias"),
    "two words": ("impresora atascada", "aire acondicionado", "pantalla azul", "buzón lleno", "cable dañado"),
}
SEARCHES = tuple(words for kind in WORDS.values() for words in kind)
# A subject as it is being typed (the last word often half-written), with the option chosen before it or none.
TYPED = (
    ("impre", "Impresoras"),
    ("La impresora no imp", "Impresoras"),
    ("Impresoras atascadas", None),
    ("tóner", None),
    ("No me llegan los correos", "Correo electrónico"),
    ("buzón llen", None),
    ("contraseña bloqueada", "Acceso a sistemas"),
    ("olvide mi contrasena", None),
    ("vpn", None),
    ("Wi-Fi lento en la sala", "Red e internet"),
    ("sin internet", None),
    ("Necesito instalar AutoCAD", "Software y licencias"),
    ("Teléfono sin tono", None),
    ("el computador no enciende", "Soporte de equipos"),
    ("pantalla azul", None),
    ("aire acondicionado no enfría", "Mantenimiento locativo"),
    ("fuga de agua en el baño", None),
    ("Silla rota", "Mobiliario"),
    ("cafeteria para reunion", None),
    ("Solicitud de vehículo para el viernes", "Transporte"),
)


def cut_off(engine: sa.Engine, seconds: float) -> None:
    """Cancel every statement of this engine that runs longer than `seconds` (SQLite: a progress handler;
    PostgreSQL: statement_timeout). The pooled connections are made again, with the limit."""
    engine.dispose()
    if engine.dialect.name == "postgresql":

        @sa.event.listens_for(engine, "connect")
        def limit(dbapi_connection, _record) -> None:
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f"SET statement_timeout = {int(seconds * 1000)}")
            dbapi_connection.commit()  # a setting made inside a transaction would end with it

        return
    deadline = [math.inf]

    @sa.event.listens_for(engine, "before_cursor_execute")
    def start(*_args) -> None:
        deadline[0] = time.perf_counter() + seconds

    @sa.event.listens_for(engine, "connect")
    def watch(dbapi_connection, _record) -> None:
        dbapi_connection.set_progress_handler(lambda: time.perf_counter() > deadline[0], 10_000)


def _cancelled(exc: sa.exc.OperationalError) -> bool:
    return "interrupted" in str(exc.orig) or "statement timeout" in str(exc.orig)


def _until_too_slow(action: Callable[[int], object], too_slow: set, key: tuple) -> Callable[[int], object]:
    """The action, until one of its statements is cancelled for passing the limit: from then on, nothing
    (its `key` is in `too_slow`)."""

    def run(round_: int):
        if key in too_slow:
            return None
        try:
            return action(round_)
        except sa.exc.OperationalError as exc:
            if not _cancelled(exc):
                raise
            too_slow.add(key)
            return None

    return run


def search_actions(engine: sa.Engine, who: dict) -> dict[str, Callable[[int], object]]:
    """The searches each screen makes, each run in its own read-only unit of work; run n asks the n-th words."""
    with unit_of_work(engine, write=False) as session:
        requester, advisor, manager = (
            users.load_actor(session=session, username=who[k]) for k in ("requester", "advisor", "manager")
        )
        option_ids = dict(session.execute(sa.select(ServiceOption.name, ServiceOption.id)).all())

    def searching(fn, actor, arguments: Callable[[str], dict]):
        def run(round_: int):
            with unit_of_work(engine, write=False) as session:
                return fn(session=session, actor=actor, **arguments(SEARCHES[round_ % len(SEARCHES)]))

        return run

    def suggesting(round_: int):
        subject, option = TYPED[round_ % len(TYPED)]
        with unit_of_work(engine, write=False) as session:
            return knowledge.suggestions(
                session=session, actor=requester, subject=subject, option_id=option_ids.get(option)
            )

    def in_inbox(words: str) -> dict:
        return {"filters": inbox.InboxFilters(text=words, statuses=())}

    def in_open_inbox(words: str) -> dict:  # the Bandeja as it opens: the open cases
        return {"filters": inbox.InboxFilters(text=words)}

    def in_wider_inbox(words: str) -> dict:  # "Buscar entre los 1.000 más recientes" clicked
        return {"filters": inbox.InboxFilters(text=words, statuses=(), window=search.CAP)}

    return {
        "Verificar: an employee's own cases": searching(
            cases.list_my_cases, requester, lambda words: {"search": words, "include_closed": True}
        ),
        "Bandeja: an advisor (their areas)": searching(inbox.list_inbox, advisor, in_inbox),
        "Bandeja: a manager (every area)": searching(inbox.list_inbox, manager, in_inbox),
        "Bandeja, open cases (its default): an advisor": searching(inbox.list_inbox, advisor, in_open_inbox),
        "Bandeja, open cases (its default): a manager": searching(inbox.list_inbox, manager, in_open_inbox),
        WIDER + "an advisor": searching(inbox.list_inbox, advisor, in_wider_inbox),
        "Base de conocimiento: search": searching(
            knowledge.list_articles, requester, lambda words: {"words": words, "record": False}
        ),
        "Registrar: suggestions while typing": suggesting,
    }


def found_counts(engine: sa.Engine, who: dict) -> dict[str, tuple[int | None, ...]]:
    """What each search finds here: (the employee's cases, the manager's cases, articles); None for a kind
    of search once one of them passed the limit."""
    with unit_of_work(engine, write=False) as session:
        requester, manager = (users.load_actor(session=session, username=who[k]) for k in ("requester", "manager"))
    searches = {
        "employee": lambda session, words: cases.list_my_cases(
            session=session, actor=requester, search=words, include_closed=True
        ),
        "manager": lambda session, words: inbox.list_inbox(
            session=session, actor=manager, filters=inbox.InboxFilters(text=words, statuses=())
        ),
        "articles": lambda session, words: knowledge.list_articles(
            session=session, actor=requester, words=words, record=False
        ),
    }
    too_slow: set = set()

    def counting(name: str, search: Callable) -> Callable[[int], int]:
        def run(round_: int) -> int:
            with unit_of_work(engine, write=False) as session:
                return search(session, SEARCHES[round_]).total

        return _until_too_slow(run, too_slow, name)

    counters = [counting(name, search) for name, search in searches.items()]
    return {words: tuple(count(i) for count in counters) for i, words in enumerate(SEARCHES)}


def measure(engines: dict[int, sa.Engine], people: dict[int, dict], runs: int) -> dict[int, dict[str, list[float]]]:
    """Milliseconds of every search at every size: `runs` runs each, the sizes in turn within each round;
    [inf] for a search cancelled at the engine's limit (cut_off)."""
    too_slow: set = set()
    actions = {
        size: {
            name: _until_too_slow(action, too_slow, (size, name))
            for name, action in search_actions(engine, people[size]).items()
        }
        for size, engine in engines.items()
    }
    samples = interleaved_samples(actions, runs, warmup=3)
    for size, name in too_slow:
        samples[size][name] = [math.inf]
    return samples


def _ms(value: float) -> str:
    return f"{value:.1f}" if math.isfinite(value) else "over limit"


def _ratio(top: float, base: float) -> str:
    return f"{top / base:.2f}" if math.isfinite(top) and math.isfinite(base) else "–"


def print_figures(database: str, samples: dict[int, dict[str, list[float]]], runs: int) -> None:
    sizes = list(samples)
    base, top = sizes[0], sizes[-1]
    p50 = {s: {name: percentile(v, 0.5) for name, v in by_name.items()} for s, by_name in samples.items()}
    p95 = {s: {name: percentile(v, 0.95) for name, v in by_name.items()} for s, by_name in samples.items()}
    rows = []
    for name in samples[base]:
        goal = GOAL_SUGGESTIONS_P95_MS if name.startswith("Registrar") else GOAL_P95_MS
        ratio = p95[top][name] / p95[base][name] if math.isfinite(p95[base][name]) else math.nan
        missed = [f"p95 > {goal} ms"] if max(p95[s][name] for s in sizes) > goal else []
        # A search widened by a click ranks up to search.CAP cases where the desk has them: slower at a million
        # than at a thousand, by design (services/search.py WINDOWS); its p95 goal stands.
        ratio_goal = len(sizes) > 1 and not name.startswith(WIDER)
        missed += [f"ratio > {GOAL_RATIO}"] if ratio_goal and ratio > GOAL_RATIO else []
        rows.append(
            [
                name,
                *(f"{_ms(p50[s][name])} / {_ms(p95[s][name])}" for s in sizes),
                *(
                    f"{_ratio(p50[s][name], p50[base][name])} / {_ratio(p95[s][name], p95[base][name])}"
                    for s in sizes[1:]
                ),
                f"p95 ≤ {goal} ms: " + ("; ".join(missed) if missed else "met"),
            ]
        )
    print_table(
        f"{database}: search, p50 / p95 ms of {runs} runs (words varied), ratios to {base:,} cases",
        ["p50 / p95 ms", *(f"{s:,} cases" for s in sizes), *(f"ratio {s:,}" for s in sizes[1:]), "goal"],
        rows,
    )


def print_counts(database: str, counts: dict[int, dict[str, tuple[int | None, ...]]]) -> None:
    sizes = list(counts)
    kinds = {words: kind for kind, all_words in WORDS.items() for words in all_words}
    print_table(
        f"{database}: what each search finds (employee's own cases / manager's cases / articles; ?: over the limit)",
        ["words", "kind", *(f"{s:,} cases" for s in sizes)],
        [
            [
                words,
                kinds[words],
                *(" / ".join("?" if n is None else f"{n:,}" for n in counts[s][words]) for s in sizes),
            ]
            for words in SEARCHES
        ],
    )


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
    parser.add_argument("--runs", type=int, default=50, help="timed runs of each search at each size (p95 needs 40+)")
    parser.add_argument(
        "--limit", type=float, default=LIMIT_S, help="seconds a statement may run (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores; "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
    for database in args.databases.split(","):
        engines = {
            size: filled_sqlite(size, args.users)
            if database == "sqlite"
            else filled_postgres(args.postgres, size, args.users)
            for size in sizes
        }
        people = {size: prepare(engine) for size, engine in engines.items()}
        for engine in engines.values():
            cut_off(engine, args.limit)
        if database == "postgresql":
            with engines[sizes[0]].connect() as conn:
                print(f"PostgreSQL {conn.exec_driver_sql('SHOW server_version').scalar()}")
        started = time.perf_counter()
        counts = {size: found_counts(engine, people[size]) for size, engine in engines.items()}
        samples = measure(engines, people, args.runs)
        print(f"  {database}: measured in {time.perf_counter() - started:.0f} s", flush=True)
        print_figures(database, samples, args.runs)
        print_counts(database, counts)
        for engine in engines.values():
            engine.dispose()


if __name__ == "__main__":
    main()
