"""Business time figures: how long add_business takes, and whether it agrees with the minute-by-minute reference.

.venv/bin/python -m bench.bench_business_time [--cases 10000] [--runs 7] [--examples 10000] [--jobs 2]

Speed: 10,000 random typical cases (America/Bogota, Mon-Fri 07:00-12:00 and 14:00-18:00, Sat 08:00-12:00,
the Colombian holidays of 2025-2027 and a few days of the organisation's own; starts anywhere in 2026 with
microseconds; 0 to 49 business hours, about a week; one case in five with one or two pauses), timed as a
batch; the figure is the median over --runs batches of the time per call, against the goal of 50 µs.

Agreement: --examples random cases drawn like the property test's (random weekly hours with breaks and
empty days, holidays, extra days, pauses, eight zones with and without summer time, half the starts just
before a clock change) checked against the reference of tests/test_business_time.py, which walks the
minutes one by one. 10,000 by default (about half a minute on two idle cores); --examples 100000 for the full
check (about four minutes).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime, timedelta

from bench.common import print_table
from services.business_time import Calendar, add_business, business_between, national_holidays, parse_hours
from tests.test_business_time import CAP_MINUTES, CLOCK_CHANGES, ZONES, reference_walk

GOAL_US = 50
MINUTE = timedelta(minutes=1)


# --- Speed ----------------------------------------------------------------------------------------


def typical_calendar() -> Calendar:
    own = {date(2026, 12, 24): (), date(2026, 12, 31): (), date(2026, 12, 19): parse_hours("08:00-12:00")}
    return Calendar(
        timezone="America/Bogota",
        weekly=(parse_hours("07:00-12:00, 14:00-18:00"),) * 5 + (parse_hours("08:00-12:00"), ()),
        holidays=frozenset(national_holidays("CO", [2025, 2026, 2027])) | {date(2026, 4, 1)},
        extra=own,
    )


def typical_cases(count: int, rng: random.Random) -> list[tuple]:
    first = datetime(2026, 1, 1, 5)
    cases = []
    for _ in range(count):
        start = first + timedelta(microseconds=rng.randrange(365 * 86_400_000_000))
        duration = timedelta(seconds=rng.randrange(49 * 3600 + 1))
        pauses = ()
        if rng.random() < 0.2:
            pauses = tuple(
                (at, at + timedelta(minutes=rng.randrange(1, 3000)))
                for at in (start + timedelta(minutes=rng.randrange(-600, 6000)) for _ in range(rng.randint(1, 2)))
            )
        cases.append((start, duration, pauses))
    return cases


def time_calls(calendar: Calendar, cases: list[tuple], runs: int) -> dict[str, float]:
    for start, duration, pauses in cases:  # the plan covers the year from now on; the figures are for warm calls
        add_business(start, duration, calendar, pauses)
    per_call = []
    for _ in range(runs):
        began = time.perf_counter()
        for start, duration, pauses in cases:
            add_business(start, duration, calendar, pauses)
        per_call.append((time.perf_counter() - began) / len(cases) * 1e6)
    plain = [(s, d) for s, d, p in cases if not p]
    between = []
    for _ in range(runs):
        ends = [s + d for s, d in plain]
        began = time.perf_counter()
        for (start, _), end in zip(plain, ends, strict=True):
            business_between(start, end, calendar)
        between.append((time.perf_counter() - began) / len(plain) * 1e6)
    singles = []
    for start, duration, pauses in cases:
        began = time.perf_counter()
        add_business(start, duration, calendar, pauses)
        singles.append((time.perf_counter() - began) * 1e6)
    singles.sort()
    return {
        "median": statistics.median(per_call),
        "p50": singles[len(singles) // 2],
        "p99": singles[len(singles) * 99 // 100],
        "max": singles[-1],
        "between": statistics.median(between),
    }


def cold_costs(cases: list[tuple]) -> dict[str, float]:
    """A first call on a calendar never seen (builds its plan), and a call on a new Calendar object equal to a
    known one, built from its rows as services/sla.py does (what a caller that rebuilds it each time pays)."""
    start, duration, _ = cases[0]
    began = time.perf_counter()
    known = typical_calendar()
    add_business(start, duration, known)
    first = (time.perf_counter() - began) * 1e6
    rows = [[list(block) for block in day] for day in known.weekly]
    extra_rows = [(day, [list(block) for block in hours]) for day, hours in known.extra.items()]
    samples = []
    for _ in range(200):
        began = time.perf_counter()
        calendar = Calendar(
            timezone="America/Bogota",
            weekly=tuple(tuple((int(s), int(e)) for s, e in day) for day in rows),
            holidays=known.holidays,
            extra={day: tuple((int(s), int(e)) for s, e in hours) for day, hours in extra_rows},
        )
        add_business(start, duration, calendar)
        samples.append((time.perf_counter() - began) * 1e6)
    return {"first": first, "equal": statistics.median(samples)}


# --- Agreement with the reference -----------------------------------------------------------------


def _hours(rng: random.Random) -> tuple:
    choice = rng.randrange(10)
    if choice == 0:
        return ((0, 1440),)
    if choice == 1:
        return ((0, 600), (600, 1440))
    points = set()
    for _ in range(rng.randint(0, 6)):
        points.add(rng.randint(0, 1440) if rng.random() < 0.5 else 60 * rng.randint(0, 24))
    points = sorted(points)[: len(points) // 2 * 2]
    return tuple(zip(points[::2], points[1::2], strict=True))


def random_case(rng: random.Random) -> tuple:
    zone = rng.choice(ZONES)
    if CLOCK_CHANGES[zone] and rng.random() < 0.5:
        day = rng.choice(CLOCK_CHANGES[zone]) + timedelta(days=rng.randint(-3, 0))
    else:
        day = date(2024, 1, 1) + timedelta(days=rng.randrange(4 * 365))
    start = datetime.combine(day, datetime.min.time()) + rng.randrange(1440) * MINUTE
    near = [day + timedelta(days=rng.randint(-2, 30)) for _ in range(10)]
    calendar = Calendar(
        timezone=zone,
        weekly=tuple(_hours(rng) for _ in range(7)),
        holidays=frozenset(near[: rng.randint(0, 6)]),
        extra={near[-1 - k]: _hours(rng) for k in range(rng.randint(0, 4))},
    )
    minutes = rng.randint(0, 3600) if rng.random() < 0.5 else rng.randint(0, 120)
    pauses = []
    for _ in range(rng.randint(0, 4)):
        at = rng.randint(-600, 15000)
        pauses.append((start + at * MINUTE, start + (at + rng.randint(0, 3000)) * MINUTE))
    warm_up = rng.randint(-24 * 40, 24 * 20)
    return calendar, start, minutes, pauses, warm_up


def check_case(case: tuple) -> str | None:
    """None when add_business and business_between agree with the reference, else what differs."""
    calendar, start, minutes, pauses, warm_up = case
    business_between(start + warm_up * timedelta(hours=1), start + warm_up * timedelta(hours=1) + MINUTE, calendar)
    expected, counts = reference_walk(start, minutes, calendar, pauses)
    duration = minutes * MINUTE
    try:
        due = add_business(start, duration, calendar, pauses)
    except ValueError as error:
        if expected is not None or any(calendar.weekly):
            return f"raised {error}"
        due = None
    if expected is not None and due != expected:
        return f"due {due}, reference {expected}"
    if expected is None and due is not None and due <= start + CAP_MINUTES * MINUTE:
        return f"due {due} inside the walk, which never reached {minutes} min"
    if expected is not None and minutes and business_between(start, expected, calendar, pauses) != duration:
        return "business_between(start, due) != duration"
    k = len(counts) - 1
    if business_between(start, start + k * MINUTE, calendar, pauses) != counts[k] * MINUTE:
        return f"business_between over {k} min != {counts[k]} min"
    return None


def check_chunk(seed_and_count: tuple[int, int]) -> tuple[int, list[str]]:
    seed, count = seed_and_count
    rng = random.Random(seed)
    mismatches = []
    for _ in range(count):
        case = random_case(rng)
        problem = check_case(case)
        if problem:
            calendar, start, minutes, pauses, _ = case
            mismatches.append(f"{problem}: {calendar} start={start} minutes={minutes} pauses={pauses}")
    return count, mismatches


def check_agreement(examples: int, jobs: int, seed: int) -> tuple[int, list[str], float]:
    chunk = 500
    work = [(seed * 1_000_003 + i, min(chunk, examples - i * chunk)) for i in range((examples + chunk - 1) // chunk)]
    began = time.perf_counter()
    checked, mismatches = 0, []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for count, found in pool.map(check_chunk, work):
            checked += count
            mismatches += found
    return checked, mismatches, time.perf_counter() - began


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=10_000, help="timed cases (default 10,000)")
    parser.add_argument("--runs", type=int, default=7, help="timed batches; the median is reported")
    parser.add_argument("--examples", type=int, default=10_000, help="cases checked against the reference")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes for the check")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    calendar = typical_calendar()
    cases = typical_cases(args.cases, rng)
    speed = time_calls(calendar, cases, args.runs)
    cold = cold_costs(cases)
    checked, mismatches, took = check_agreement(args.examples, args.jobs, args.seed)
    print_table(
        "Business time (services/business_time.py)",
        ["figure", "value"],
        [
            [
                f"add_business, µs per call (median of {args.runs} runs over {args.cases:,} cases; goal {GOAL_US})",
                f"{speed['median']:.2f}",
            ],
            [
                "add_business, single calls timed one by one: p50 / p99 / max µs",
                f"{speed['p50']:.2f} / {speed['p99']:.2f} / {speed['max']:.1f}",
            ],
            ["business_between, µs per call (median of runs)", f"{speed['between']:.2f}"],
            ["first call on a new calendar (builds its plan), µs", f"{cold['first']:.0f}"],
            ["a new Calendar equal to a known one, built from rows, + add_business, µs", f"{cold['equal']:.1f}"],
            [f"random cases checked against the minute reference ({args.jobs} processes)", f"{checked:,}"],
            ["mismatches", f"{len(mismatches)}"],
            ["check time, s", f"{took:.1f}"],
        ],
    )
    for line in mismatches[:10]:
        print(" ", line)
    verdict = "meets" if speed["median"] <= GOAL_US else "misses"
    print(f"\nadd_business {verdict} the {GOAL_US} µs goal; {len(mismatches)} mismatches in {checked:,} cases.")
    if mismatches:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
