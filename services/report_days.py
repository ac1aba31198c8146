"""Keeping report_days true (see models.reports): Satisfacción adds up days, never cases.

Every unit of work that writes is tracked: when it commits, each case and survey answer it changed
moves the rows it counts in, inside the same transaction: what it counted before (its values as the
database held them before the first flush) is taken out, what it counts now is put in. A write never
reads the other cases of its day, so its cost does not grow with a desk's daily volume. Writes that
bypass the ORM (bench.generate's bulk inserts, a hand-made UPDATE) call rebuild() or refresh_days(),
which recount days from their cases; so does `python cli.py rebuild-reports` after a change of
MESA_TIMEZONE.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from datetime import date, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from models import Case, ReportDay, ResolutionDay, SurveyAnswer
from models.enums import Status
from models.reports import HOUR_BOUNDS, HOUR_COLUMNS, URGENCY_COLUMNS
from services import business_time, calendars, clock

# What a case's rows are computed from (a survey answer's: its date, Sí or No, its stars, and its case's three
# dimensions).
_CASE_FIELDS = (
    "resolved_at",
    "closed_at",
    "status",
    "reopen_count",
    "closed_without_answer",
    "created_at",
    "due_at",
    "urgency",
    "promised_at",
    "first_response_at",
    "first_response_due_at",
    "area_id",
    "option_id",
    "assignee_id",
)
_ANSWER_FIELDS = ("created_at", "resolved", "rating", "case_id")
_DIMENSIONS = ("area_id", "option_id", "assignee_id")
_PENDING = "report_days_pending"
_LOCK_KEY = 7_270_001  # PostgreSQL advisory lock: one recount of report_days at a time
_KEY_NAMES = ("grain", "day", "area_id", "option_id", "advisor_id")
_RESOLUTION_KEY = ("area_id", "option_id", "urgency", "day")
GRAINS = ("area", "option", "advisor")  # models.reports: ReportDay's check


def track(session_class: type[so.Session]) -> None:
    """Sessions of this class move the rows their changes touch when they commit (listened to once)."""
    sa.event.listen(session_class, "before_flush", _collect)
    sa.event.listen(session_class, "before_commit", _refresh_pending)
    sa.event.listen(session_class, "after_soft_rollback", _forget)


def _forget(session: so.Session, transaction: so.SessionTransaction) -> None:
    """A transaction rolled back counts nothing: what it noted goes with it. A savepoint's rollback keeps the
    notes (of changes made before it too): what it undid is read back as it was, and moves nothing."""
    if transaction.parent is None and not transaction.nested:
        session.info.pop(_PENDING, None)


def _collect(session: so.Session, _context, _instances) -> None:
    """Before a flush writes them: each case and answer whose counted values changed, as the database holds
    it now (read by id, so a value never loaded is still known). The first flush of a transaction that
    changes one keeps it; a change of nothing it counts by (a message, its version) is left out."""
    pending = session.info.setdefault(_PENDING, {Case: {}, SurveyAnswer: {}})
    for model, fields in ((Case, _CASE_FIELDS), (SurveyAnswer, _ANSWER_FIELDS)):
        seen = pending[model]
        stored = []
        for obj in (*session.new, *session.dirty, *session.deleted):
            if not isinstance(obj, model) or obj in seen:
                continue
            if obj in session.new:
                seen[obj] = None  # nothing counted before
            elif obj in session.deleted or (_changed(obj, fields) and not _counts_nothing(obj, model)):
                seen[obj] = None
                stored.append(obj)
        if stored:
            columns = [getattr(model, name) for name in fields]
            by_id = {
                row[0]: dict(zip(fields, row[1:], strict=True))
                for row in session.connection().execute(
                    sa.select(model.id, *columns).where(model.id.in_([obj.id for obj in stored]))
                )
            }
            for obj in stored:
                seen[obj] = by_id.get(obj.id)


def _changed(obj, fields: tuple[str, ...]) -> bool:
    """Whether a value it counts by changed (else it counts as it did, and is left out)."""
    state = sa.inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in fields)


# A case counts in no row while it has none of these, and has no answers while it was never resolved.
_COUNTED_IF = ("resolved_at", "closed_at", "first_response_at", "reopen_count")


def _counts_nothing(obj, model: type) -> bool:
    """A case that counted nowhere before this change and counts nowhere after it (Tomar of a new case, its
    status, a pause): nothing to read. Known only from values the session holds, before and after."""
    if model is not Case:
        return False
    state = sa.inspect(obj)
    for name in _COUNTED_IF:
        history = state.attrs[name].history
        if history.unchanged:
            values = history.unchanged
        elif history.added and history.deleted:
            values = [*history.added, *history.deleted]
        else:
            return False  # its old value never loaded: unknown
        if any(values):
            return False
    return True


def _refresh_pending(session: so.Session) -> None:
    """What the transaction changed moves its own rows: the old values' share taken out, the new ones' put in.
    A write reads no other case (a day's recount read every case of the day: 15–30 ms per write at
    200,000 cases, growing with a desk's daily volume)."""
    session.flush()  # changes not flushed yet pass through _collect now
    pending = session.info.pop(_PENDING, None)
    if not pending or not (pending[Case] or pending[SurveyAnswer]):
        return
    sums = _Sums(session)
    before_dims: dict[int, tuple] = {}
    moved: set[int] = set()  # cases whose dimensions changed: their answers move with them
    for case, before in pending[Case].items():
        now = None if _gone(session, case) else {name: getattr(case, name) for name in _CASE_FIELDS}
        if before:
            sums.case(before, -1)
            before_dims[case.id] = tuple(before[name] for name in _DIMENSIONS)
        if now:
            sums.case(now, +1)
        if before and now and before_dims[case.id] != tuple(now[name] for name in _DIMENSIONS):
            moved.add(case.id)
    answers: dict[int, tuple[dict | None, dict | None]] = {}
    for answer, before in pending[SurveyAnswer].items():
        now = None if _gone(session, answer) else {name: getattr(answer, name) for name in _ANSWER_FIELDS}
        answers[answer.id] = (before, now)
    if moved:  # the other answers of those cases: the same values, under their case's old and new dimensions
        for row in session.execute(
            sa.select(SurveyAnswer.id, *(getattr(SurveyAnswer, n) for n in _ANSWER_FIELDS)).where(
                SurveyAnswer.case_id.in_(moved)
            )
        ):
            if row[0] not in answers:
                values = dict(zip(_ANSWER_FIELDS, row[1:], strict=True))
                answers[row[0]] = (values, values)
    if answers:
        case_ids = {v["case_id"] for pair in answers.values() for v in pair if v}
        dims = {
            row[0]: tuple(row[1:])
            for row in session.execute(
                sa.select(Case.id, *(getattr(Case, n) for n in _DIMENSIONS)).where(Case.id.in_(case_ids))
            )
        }
        for before, now in answers.values():
            if before:
                sums.answer(before, before_dims.get(before["case_id"], dims.get(before["case_id"])), -1)
            if now:
                sums.answer(now, dims[now["case_id"]], +1)
    sums.apply()


def _gone(session: so.Session, obj) -> bool:
    return obj in session.deleted or so.object_session(obj) is None or sa.inspect(obj).was_deleted


class _Sums:
    """The rows of report_days and resolution_days that cases and answers add up to, each counted with a sign:
    a day's recount adds its cases; a write takes out what a case counted before and puts in what it counts
    now. Every figure is a count or a sum of one case's own values, so the two ways give the same rows."""

    def __init__(self, bind: so.Session | sa.Connection):
        self.bind = bind
        self.zone = clock.tz()
        self.rows: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(int))
        self.resolutions: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self._calendars: dict[int, business_time.Calendar] = {}

    def add(self, moment, dims: tuple, sign: int, **counts) -> None:
        area_id, option_id, assignee_id = dims
        day = clock.local_day(moment, self.zone)
        for key in (
            ("area", day, area_id, 0, 0),
            ("option", day, area_id, option_id, 0),
            ("advisor", day, area_id, 0, assignee_id or 0),
        ):
            row = self.rows[key]
            for name, value in counts.items():
                row[name] += sign * value

    def answer(self, a: dict, dims: tuple, sign: int) -> None:
        if a["created_at"] is None:
            return
        rating = a["rating"]
        stars = {f"stars_{rating}": 1} if rating else {}
        self.add(a["created_at"], dims, sign, answered=1, said_no=int(not a["resolved"]), **stars)

    def closed(self, at, status, reopens, unanswered, dims: tuple, sign: int) -> None:
        if status != Status.CLOSED:
            return
        self.add(
            at, dims, sign, closed=1, closed_never_reopened=int(reopens == 0), closed_without_answer=int(unanswered)
        )

    def resolved(self, at, created, due, urgency, promised_at, reopens, dims: tuple, sign: int) -> None:
        hours = (at - created).total_seconds() / 3600
        once = reopens == 0  # the promise and its history are about the first resolution
        self.add(
            at,
            dims,
            sign,
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
            area_id, option_id = dims[0], dims[1]
            if area_id not in self._calendars:
                self._calendars[area_id] = calendars.calendar_for(self.bind, area_id)
            # Waits included: the promise is about when the requester has it, whatever the case waited on.
            business = business_time.business_between(created, at, self._calendars[area_id]).total_seconds()
            bucket = HOUR_COLUMNS[bisect.bisect_left(HOUR_BOUNDS, max(business, 0) / 3600)]
            self.resolutions[(area_id, option_id, urgency, clock.local_day(at, self.zone))][bucket] += sign

    def first_response(self, at, due, dims: tuple, sign: int) -> None:
        self.add(at, dims, sign, first_responded=1, first_response_on_time=int(at <= due))

    def case(self, c: dict, sign: int) -> None:
        """Everything one case counts in: its closing, its latest resolution, its first response."""
        dims = tuple(c[name] for name in _DIMENSIONS)
        if c["closed_at"] is not None:
            self.closed(c["closed_at"], c["status"], c["reopen_count"], c["closed_without_answer"], dims, sign)
        if c["resolved_at"] is not None:
            self.resolved(
                c["resolved_at"], c["created_at"], c["due_at"], c["urgency"], c["promised_at"], c["reopen_count"],
                dims, sign,
            )  # fmt: skip
        if c["first_response_at"] is not None and c["first_response_due_at"] is not None:
            self.first_response(c["first_response_at"], c["first_response_due_at"], dims, sign)

    def apply(self) -> None:
        """Each row moved by what changed, in one statement per table (a row found adds to itself, a row
        missing is made); a row left at nothing goes, as a recount would not have made it."""
        rows = {k: v for k, v in self.rows.items() if any(v.values())}
        resolutions = {k: v for k, v in self.resolutions.items() if any(v.values())}
        if rows:
            _move(self.bind, ReportDay.__table__, _KEY_NAMES, sorted(rows.items()))
        if resolutions:
            _move(self.bind, ResolutionDay.__table__, _RESOLUTION_KEY, sorted(resolutions.items()))


def _values(table: sa.Table, keys: tuple[str, ...], rows) -> list[dict]:
    """The rows to write: (key, amounts) as the table's columns, every figure not given at 0."""
    zeros = {c.name: 0 for c in table.columns if c.name not in keys}
    return [{**zeros, **dict(amounts), **dict(zip(keys, key, strict=True))} for key, amounts in rows]


def _move(bind: so.Session | sa.Connection, table: sa.Table, keys: tuple[str, ...], rows: list[tuple]) -> None:
    """Add these signed amounts to the rows of `table` (in key order: two writers on PostgreSQL never wait on
    each other in a circle), then delete the ones left empty. An hour sum goes to exactly 0 with its count;
    a bucket of resolution_days never goes under 0 (an area's calendar changed since the case counted)."""
    dialect = (bind.get_bind() if isinstance(bind, so.Session) else bind).dialect.name
    insert = sqlite_insert(table) if dialect == "sqlite" else postgresql_insert(table)
    counts = [c.name for c in table.columns if c.name not in keys and not isinstance(c.type, sa.Float)]
    update = {}
    for name in counts:
        total = table.c[name] + insert.excluded[name]
        update[name] = sa.case((total < 0, 0), else_=total) if table is ResolutionDay.__table__ else total
    for urgency in URGENCY_COLUMNS if table is ReportDay.__table__ else ():
        left = table.c[f"resolved_{urgency}"] + insert.excluded[f"resolved_{urgency}"]
        hours = f"hours_{urgency}"
        update[hours] = sa.case((left == 0, 0.0), else_=table.c[hours] + insert.excluded[hours])
    bind.execute(insert.on_conflict_do_update(index_elements=list(keys), set_=update), _values(table, keys, rows))
    bind.execute(
        sa.delete(table).where(
            *(table.c[k] == sa.bindparam(f"key_{k}") for k in keys), *(table.c[name] == 0 for name in counts)
        ),
        [{f"key_{k}": v for k, v in zip(keys, key, strict=True)} for key, _ in rows],
    )


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
    """Replace the rows of these days by what their cases and answers add up to (refresh_days, rebuild)."""
    zone = clock.tz()
    start, end = clock.utc_start_of(first, zone), clock.utc_start_of(last + timedelta(days=1), zone)
    sums = _Sums(bind)
    dims = (Case.area_id, Case.option_id, Case.assignee_id)
    for at, resolved, rating, *where in bind.execute(
        sa.select(SurveyAnswer.created_at, SurveyAnswer.resolved, SurveyAnswer.rating, *dims)
        .join(Case, Case.id == SurveyAnswer.case_id)
        .where(SurveyAnswer.created_at >= start, SurveyAnswer.created_at < end)
    ):
        sums.answer({"created_at": at, "resolved": resolved, "rating": rating}, tuple(where), +1)
    # The days' closed cases by closed_at alone, their status read from the same index and kept in _Sums:
    # with `status = 'closed'` in the statement, SQLite without statistics walked every closed case of the
    # desk by ix_cases_status_due (tests/test_case_queries.py).
    for at, status, reopens, unanswered, *where in bind.execute(
        sa.select(Case.closed_at, Case.status, Case.reopen_count, Case.closed_without_answer, *dims).where(
            Case.closed_at >= start, Case.closed_at < end
        )
    ):
        sums.closed(at, status, reopens, unanswered, tuple(where), +1)
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
        sums.resolved(at, created, due, urgency, promised_at, reopens, tuple(where), +1)
    for at, due, *where in bind.execute(
        sa.select(Case.first_response_at, Case.first_response_due_at, *dims).where(
            Case.first_response_at >= start, Case.first_response_at < end, Case.first_response_due_at.is_not(None)
        )
    ):
        sums.first_response(at, due, tuple(where), +1)
    bind.execute(sa.delete(ResolutionDay).where(ResolutionDay.day >= first, ResolutionDay.day <= last))
    if sums.resolutions:
        bind.execute(
            sa.insert(ResolutionDay), _values(ResolutionDay.__table__, _RESOLUTION_KEY, sums.resolutions.items())
        )
    # Each grain named, so that its key (grain, day, …) finds the days' rows: by day alone, the whole table.
    bind.execute(sa.delete(ReportDay).where(ReportDay.grain.in_(GRAINS), ReportDay.day >= first, ReportDay.day <= last))
    if sums.rows:
        bind.execute(sa.insert(ReportDay), _values(ReportDay.__table__, _KEY_NAMES, sums.rows.items()))
