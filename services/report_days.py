"""Keeping report_days true (see models.reports): Satisfacción adds up days, never cases.

Every unit of work that writes is tracked: when it commits a change to a case's resolution,
closing, dates, urgency or dimensions, or to a survey answer, the rows of the local days it
touched (the old dates and the new ones) are recomputed from the cases inside the same
transaction. Writes that bypass the ORM (bench.generate's bulk inserts, a hand-made UPDATE)
call rebuild() or refresh_days() themselves; so does `python cli.py rebuild-reports` after a
change of MESA_TIMEZONE.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from datetime import date, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import Case, ReportDay, ResolutionDay, SurveyAnswer
from models.enums import Status
from models.reports import HOUR_BOUNDS, HOUR_COLUMNS
from services import business_time, calendars, clock

_WATCHED = (
    "resolved_at",
    "closed_at",
    "status",
    "created_at",
    "due_at",
    "urgency",
    "reopen_count",
    "closed_without_answer",
    "area_id",
    "option_id",
    "assignee_id",
    "first_response_at",
    "promised_at",
)
_DIMENSIONS = ("area_id", "option_id", "assignee_id")
_PENDING = "report_days_pending"
_LOCK_KEY = 7_270_001  # PostgreSQL advisory lock: one refresh of report_days at a time
_KEY_NAMES = ("grain", "day", "area_id", "option_id", "advisor_id")
GRAINS = ("area", "option", "advisor")  # models.reports: ReportDay's check
_ZEROS = {c.name: 0 for c in ReportDay.__table__.columns if c.name not in _KEY_NAMES}


def track(session_class: type[so.Session]) -> None:
    """Sessions of this class recompute the days they touched when they commit (listened to once)."""
    sa.event.listen(session_class, "before_flush", _collect)
    sa.event.listen(session_class, "before_commit", _refresh_pending)


# What a change of a case can move: its dates always; its area, option or advisor the rows it is counted
# in (any of its dates); its status, reopenings and unanswered closing only the closed rows; its creation,
# target, urgency and promise only the resolved rows.
_STAMPS = ("resolved_at", "closed_at", "first_response_at")
_CLOSED_ROWS = ("status", "reopen_count", "closed_without_answer")
_RESOLVED_ROWS = ("created_at", "due_at", "urgency", "promised_at", "reopen_count")


def _moves_figures(case: Case, histories: dict) -> bool:
    """Whether this change of an existing case can change a row of report_days. An open case's status
    changes and SLA pauses cannot, nor can Tomar of a case not answered yet: the day's recount would write
    the same rows again (15–25 ms at 200,000 cases)."""
    changed = {name for name, history in histories.items() if history.has_changes()}

    def had(name: str) -> bool:  # before or after the change
        return getattr(case, name) is not None or any(v is not None for v in histories[name].deleted)

    return bool(
        changed.intersection(_STAMPS)
        or (changed.intersection(_DIMENSIONS) and any(had(name) for name in _STAMPS))
        or (changed.intersection(_CLOSED_ROWS) and had("closed_at"))
        or (changed.intersection(_RESOLVED_ROWS) and had("resolved_at"))
    )


def _collect(session: so.Session, _context, _instances) -> None:
    """Before the values change: remember the dates a change moves away from, and what changed."""
    pending = session.info.setdefault(_PENDING, {"stamps": set(), "cases": set(), "objects": set()})
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Case):
            histories = {name: so.attributes.get_history(obj, name) for name in _WATCHED}
            if obj not in session.new and obj not in session.deleted and not _moves_figures(obj, histories):
                continue
            for name in _STAMPS:
                pending["stamps"].update(v for v in histories[name].deleted if v)
            if obj.id is not None and any(histories[name].has_changes() for name in _DIMENSIONS):
                pending["cases"].add(obj.id)  # its answers now count under other dimensions
            pending["objects"].add(obj)
        elif isinstance(obj, SurveyAnswer):
            pending["stamps"].update(v for v in so.attributes.get_history(obj, "created_at").deleted if v)
            pending["objects"].add(obj)


def _refresh_pending(session: so.Session) -> None:
    session.flush()  # changes not flushed yet pass through _collect now
    if not session.info.get(_PENDING):
        return
    pending = session.info.pop(_PENDING)
    stamps = set(pending["stamps"])
    for obj in pending["objects"]:
        if isinstance(obj, Case):
            stamps.update(v for v in (getattr(obj, name) for name in _STAMPS) if v)
        elif obj.created_at:
            stamps.add(obj.created_at)
    if pending["cases"]:
        stamps.update(
            session.scalars(sa.select(SurveyAnswer.created_at).where(SurveyAnswer.case_id.in_(pending["cases"])))
        )
    if stamps:
        zone = clock.tz()
        refresh_days(session, {clock.local_day(s, zone) for s in stamps})


def refresh_days(bind: so.Session | sa.Connection, days: set[date]) -> None:
    """Recompute the report_days rows of these local days from the cases (consecutive days in one read)."""
    _lock(bind)
    ordered = sorted(days)
    start = 0
    for index, day in enumerate(ordered):
        if index + 1 == len(ordered) or ordered[index + 1] != day + timedelta(days=1):
            _refresh_range(bind, ordered[start], day)
            start = index + 1


def _lock(bind: so.Session | sa.Connection) -> None:
    """On PostgreSQL, one recompute at a time: two transactions recomputing a day would each miss the
    other's change (SQLite's writers are one at a time already)."""
    dialect = (bind.get_bind() if isinstance(bind, so.Session) else bind).dialect.name
    if dialect == "postgresql":
        bind.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})


def rebuild(bind: so.Session | sa.Connection | sa.Engine) -> int:
    """Recompute every row of report_days; returns how many rows it holds now.

    About a minute per million cases, holding the write lock: on SQLite run it with the desk stopped."""
    if isinstance(bind, sa.Engine):
        # services.db's write flag: BEGIN IMMEDIATE on SQLite, so no reader turns writer halfway.
        with bind.execution_options(mesa_write=True).begin() as conn:
            return rebuild(conn)
    _lock(bind)
    stamps = (Case.resolved_at, Case.closed_at, Case.first_response_at, SurveyAnswer.created_at)
    earliest = [v for v in (bind.scalar(sa.select(sa.func.min(c))) for c in stamps) if v]
    latest = [v for v in (bind.scalar(sa.select(sa.func.max(c))) for c in stamps) if v]
    bind.execute(sa.delete(ReportDay))
    bind.execute(sa.delete(ResolutionDay))
    if not earliest:
        return 0
    zone = clock.tz()
    day, end = clock.local_day(min(earliest), zone), clock.local_day(max(latest), zone)
    while day <= end:
        last = min(day + timedelta(days=30), end)
        _refresh_range(bind, day, last)
        day = last + timedelta(days=1)
    return bind.scalar(sa.select(sa.func.count()).select_from(ReportDay))


def _refresh_range(bind, first: date, last: date) -> None:
    zone = clock.tz()

    start, end = clock.utc_start_of(first, zone), clock.utc_start_of(last + timedelta(days=1), zone)
    rows: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(int))

    def add(moment, area_id, option_id, assignee_id, **counts):
        day = clock.local_day(moment, zone)
        for key in (
            ("area", day, area_id, 0, 0),
            ("option", day, area_id, option_id, 0),
            ("advisor", day, area_id, 0, assignee_id or 0),
        ):
            row = rows[key]
            for name, value in counts.items():
                row[name] += value

    dims = (Case.area_id, Case.option_id, Case.assignee_id)
    for at, resolved, rating, *where in bind.execute(
        sa.select(SurveyAnswer.created_at, SurveyAnswer.resolved, SurveyAnswer.rating, *dims)
        .join(Case, Case.id == SurveyAnswer.case_id)
        .where(SurveyAnswer.created_at >= start, SurveyAnswer.created_at < end)
    ):
        add(at, *where, answered=1, said_no=int(not resolved), **({f"stars_{rating}": 1} if rating else {}))
    # The days' closed cases by closed_at alone, their status read from the same index and kept here: with
    # `status = 'closed'` in the statement, SQLite without statistics walked every closed case of the desk
    # by ix_cases_status_due (~0.5 s per first reply at 200,000 cases, tests/test_case_queries.py).
    for at, status, reopens, unanswered, *where in bind.execute(
        sa.select(Case.closed_at, Case.status, Case.reopen_count, Case.closed_without_answer, *dims).where(
            Case.closed_at >= start, Case.closed_at < end
        )
    ):
        if status != Status.CLOSED:
            continue
        add(at, *where, closed=1, closed_never_reopened=int(reopens == 0), closed_without_answer=int(unanswered))
    resolutions: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    known: dict[int, business_time.Calendar] = {}
    for at, created, due, urgency, promised_at, reopens, *where in bind.execute(
        sa.select(
            Case.resolved_at,
            Case.created_at,
            Case.due_at,
            Case.urgency,
            Case.promised_at,
            Case.reopen_count,
            *dims,
        ).where(Case.resolved_at >= start, Case.resolved_at < end)
    ):
        hours = (at - created).total_seconds() / 3600
        once = reopens == 0  # the promise and its history are about the first resolution
        add(
            at,
            *where,
            resolved=1,
            resolved_on_time=int(due is not None and at <= due),
            promised=int(once and promised_at is not None),
            promise_kept=int(once and promised_at is not None and at <= promised_at),
            **{
                f"resolved_{urgency}": 1,
                f"hours_{urgency}": hours,
                HOUR_COLUMNS[bisect.bisect_left(HOUR_BOUNDS, hours)]: 1,
            },
        )
        if once:
            area_id, option_id = where[0], where[1]
            if area_id not in known:
                known[area_id] = calendars.calendar_for(bind, area_id)
            # Waits included: the promise is about when the requester has it, whatever the case waited on.
            business = business_time.business_between(created, at, known[area_id]).total_seconds()
            bucket = HOUR_COLUMNS[bisect.bisect_left(HOUR_BOUNDS, max(business, 0) / 3600)]
            resolutions[(area_id, option_id, urgency, clock.local_day(at, zone))][bucket] += 1
    for at, due, *where in bind.execute(
        sa.select(Case.first_response_at, Case.first_response_due_at, *dims).where(
            Case.first_response_at >= start, Case.first_response_at < end, Case.first_response_due_at.is_not(None)
        )
    ):
        add(at, *where, first_responded=1, first_response_on_time=int(at <= due))
    bind.execute(sa.delete(ResolutionDay).where(ResolutionDay.day >= first, ResolutionDay.day <= last))
    if resolutions:
        bind.execute(
            sa.insert(ResolutionDay),
            [
                {**dict.fromkeys(HOUR_COLUMNS, 0), **counts, "area_id": a, "option_id": o, "urgency": u, "day": d}
                for (a, o, u, d), counts in resolutions.items()
            ],
        )
    # Each grain named, so that its key (grain, day, …) finds the days' rows: by day alone, the whole table.
    bind.execute(sa.delete(ReportDay).where(ReportDay.grain.in_(GRAINS), ReportDay.day >= first, ReportDay.day <= last))
    if rows:
        bind.execute(
            sa.insert(ReportDay),
            [
                {
                    **_ZEROS,
                    **counts,
                    "grain": grain,
                    "day": day,
                    "area_id": area,
                    "option_id": option,
                    "advisor_id": advisor,
                }
                for (grain, day, area, option, advisor), counts in rows.items()
            ],
        )
