"""The SLA in business time: when each case is due, warnings and breaches told once, and the calendars.

Every due time is an absolute instant computed by one pure function (services/business_time.py) from
the case's registration, its targets (first response and resolution, business hours per urgency and
area) and its area's calendar (weekly hours with breaks in MESA_TIMEZONE, the national holidays of
MESA_HOLIDAY_COUNTRY, the area's own exceptions). Business time spent "En espera" is added to the
resolution target when the wait ends. An area without a calendar works every hour of every day, so
its business time is wall time (what the desk did before calendars).

Because due times are instants, the inbox's SQL (overdue, due today, the order) needs no calendar;
only "quedan 3 h 20 min hábiles" and the escalation read one. Editing a calendar or a target
recomputes the area's open cases in the same transaction.

The escalation (a job of every sender, services/jobs.py) tells the assignee at 75 % of a target and
the assignee and the area's managers at the breach, in the app and by e-mail, once per case, target
and level (the sla_alerts key), and only inside the area's business hours: a breach at night is told
at the next opening.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.exc
import sqlalchemy.orm as so

from models import (
    Area,
    AreaCalendar,
    CalendarException,
    Case,
    CaseEvent,
    ResolutionDay,
    SlaAlert,
    SlaPolicy,
    User,
    advisor_areas,
)
from models.cases import OPEN_STATUS_SQL
from models.enums import Role, Status, Urgency
from models.reports import HOUR_BOUNDS, HOUR_COLUMNS
from services import business_time, clock, i18n, notifications
from services.audit import audit, require_admin
from services.business_time import Calendar
from services.calendars import Calendars, calendar_for, national_holidays
from services.catalogue import DEFAULT_SLA_HOURS
from services.db import unit_of_work
from services.errors import NotFound, ValidationFailed
from services.users import Actor

WARN_SHARE = 0.75
URGENCY_LADDER = (Urgency.VERY_LOW, Urgency.LOW, Urgency.MEDIUM, Urgency.HIGH, Urgency.VERY_HIGH)
RECOMPUTE_BATCH = 1000
Progress = Callable[[int, int], None]


# --- Due times --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Targets:
    resolution_hours: int
    first_response_hours: int | None


def targets(session: so.Session, area_id: int, urgency: str) -> Targets:
    row = session.get(SlaPolicy, (area_id, urgency))
    if row is None:
        return Targets(DEFAULT_SLA_HOURS[Urgency(urgency)], None)
    return Targets(row.hours, row.first_response_hours)


def schedule(session: so.Session, case: Case, *, calendar: Calendar | None = None) -> None:
    """Set the case's due and warning times from its registration, targets, calendar and time paused."""
    _schedule(case, targets(session, case.area_id, case.urgency), calendar or calendar_for(session, case.area_id))


def _schedule(case: Case, goal: Targets, calendar: Calendar) -> None:
    for name, value in _due_times(case.created_at, case.paused_seconds or 0, goal, calendar).items():
        setattr(case, name, value)


def _due_times(start: datetime, paused_seconds: int, goal: Targets, calendar: Calendar) -> dict[str, datetime | None]:
    add = business_time.add_business
    resolution, paused = timedelta(hours=goal.resolution_hours), timedelta(seconds=paused_seconds)
    times = {
        "due_at": add(start, resolution + paused, calendar),
        "warn_at": add(start, resolution * WARN_SHARE + paused, calendar),
        "first_response_due_at": None,
        "first_response_warn_at": None,
    }
    if goal.first_response_hours:
        first = timedelta(hours=goal.first_response_hours)
        times["first_response_due_at"] = add(start, first, calendar)
        times["first_response_warn_at"] = add(start, first * WARN_SHARE, calendar)
    return times


def first_response_on(session: so.Session, area_id: int) -> str:
    """What counts as the area's first response: "reply" (the first reply to the requester) or "take"."""
    row = session.get(AreaCalendar, area_id)
    return row.first_response_on if row else "reply"


def end_pause(session: so.Session, case: Case, now: datetime) -> None:
    """A wait on the requester ended: its business time pushes the resolution target back."""
    calendar = calendar_for(session, case.area_id)
    waited = business_time.business_between(case.waiting_since, now, calendar)
    case.paused_seconds = (case.paused_seconds or 0) + int(waited.total_seconds())
    schedule(session, case, calendar=calendar)


def reopen(session: so.Session, case: Case, now: datetime) -> None:
    """A "No" sent the case back: the business time it sat resolved pushes its targets back (as a wait
    does), and its resolution may be warned and told again."""
    if case.resolved_at is not None:
        waited = business_time.business_between(case.resolved_at, now, calendar_for(session, case.area_id))
        case.paused_seconds = (case.paused_seconds or 0) + int(waited.total_seconds())
    schedule(session, case)
    session.execute(sa.delete(SlaAlert).where(SlaAlert.case_id == case.id, SlaAlert.target == "resolution"))


def left(due: datetime | None, waiting_since: datetime | None, now: datetime, calendar: Calendar) -> timedelta | None:
    """Business time until `due` (negative once past); frozen at the moment a wait began."""
    if due is None:
        return None
    moment = waiting_since or now
    if due >= moment:
        return business_time.business_between(moment, due, calendar)
    return -business_time.business_between(due, moment, calendar)


def _rescheduled(row, goal: Targets, calendar: Calendar) -> dict[str, datetime | None]:
    """A row's new due times; a first response already given keeps the target it was measured against."""
    times = _due_times(row.created_at, row.paused_seconds or 0, goal, calendar)
    if row.first_response_at is not None:
        times["first_response_due_at"] = row.first_response_due_at
        times["first_response_warn_at"] = row.first_response_warn_at
    return times


def recompute(session: so.Session, area_id: int, progress: Progress | None = None) -> int:
    """Every open case of the area scheduled again (after a calendar or target edit), in this transaction."""
    calendar = calendar_for(session, area_id)
    goals = {u.value: targets(session, area_id, u.value) for u in Urgency}
    open_here = sa.and_(Case.area_id == area_id, sa.text(OPEN_STATUS_SQL))
    total = session.scalar(sa.select(sa.func.count()).select_from(Case).where(open_here))
    done, after = 0, 0
    while True:
        rows = session.execute(
            sa.select(
                Case.id,
                Case.created_at,
                Case.urgency,
                Case.paused_seconds,
                Case.first_response_at,
                Case.first_response_due_at,
                Case.first_response_warn_at,
            )
            .where(open_here, Case.id > after)
            .order_by(Case.id)
            .limit(RECOMPUTE_BATCH)
        ).all()
        if not rows:
            break
        values = [{"case_id": r.id, **_rescheduled(r, goals[r.urgency], calendar)} for r in rows]
        # Core UPDATE by primary key: due times are the desk's, not a person's edit, so no version bump
        # turns an advisor's open form stale. The daily figures (services/report_days.py, which sees only
        # the ORM's changes) count none of these: an open case has no resolution (a "No" clears it), and a
        # first response already given keeps its target.
        session.connection().execute(
            sa.update(Case.__table__)
            .where(Case.__table__.c.id == sa.bindparam("case_id"))
            .values({name: sa.bindparam(name) for name in values[0] if name != "case_id"}),
            values,
        )
        done, after = done + len(rows), rows[-1].id
        if progress:
            progress(done, total)
    session.expire_all()
    return done


# --- The promise ------------------------------------------------------------------------------------

HISTORY_DAYS = 90
MIN_HISTORY = 20  # first resolutions of cases like it in HISTORY_DAYS; with fewer, the promise is the SLA
PROMISE_SHARE = 0.9


@dataclass(frozen=True)
class Promise:
    by: datetime
    basis: str  # "history" (the desk's own) or "sla" (too little history: the target)
    sample: int  # cases like it resolved in the last HISTORY_DAYS days


def hours_for_share(counts: list[int], share: float = PROMISE_SHARE) -> float | None:
    """The business hours within which `share` of the resolutions in these HOUR_BOUNDS buckets fell,
    interpolated inside its bucket (the buckets are counts; the last one is open-ended)."""
    total = sum(counts)
    if not total:
        return None
    needed, seen = share * total, 0
    for index, count in enumerate(counts):
        if count and seen + count >= needed:
            lower = HOUR_BOUNDS[index - 1] if index else 0.0
            upper = HOUR_BOUNDS[index] if index < len(HOUR_BOUNDS) else HOUR_BOUNDS[-1] * 2
            return lower + (upper - lower) * (needed - seen) / count
        seen += count
    return float(HOUR_BOUNDS[-1] * 2)


def estimate(
    session: so.Session, *, area_id: int, option_id: int, urgency: str, start: datetime, due: datetime | None
) -> Promise:
    """When 9 of 10 cases like this one (area, option, urgency) were resolved, in business time from `start`,
    read from resolution_days (at most HISTORY_DAYS rows), never from the cases themselves."""
    since = clock.local_day(start) - timedelta(days=HISTORY_DAYS)
    counts = [
        int(v)
        for v in session.execute(
            sa.select(*(sa.func.coalesce(sa.func.sum(getattr(ResolutionDay, c)), 0) for c in HOUR_COLUMNS)).where(
                ResolutionDay.area_id == area_id,
                ResolutionDay.option_id == option_id,
                ResolutionDay.urgency == urgency,
                ResolutionDay.day >= since,
            )
        ).one()
    ]
    sample = sum(counts)
    if sample < MIN_HISTORY or due is None:
        return Promise(due or start, "sla", sample)
    hours = hours_for_share(counts)
    by = business_time.add_business(start, timedelta(hours=hours), calendar_for(session, area_id))
    return Promise(by, "history", sample)


def promise(session: so.Session, case: Case) -> None:
    """The promise made to the requester at registration, kept on the case (Informes checks it holds)."""
    made = estimate(
        session,
        area_id=case.area_id,
        option_id=case.option_id,
        urgency=case.urgency,
        start=case.created_at,
        due=case.due_at,
    )
    case.promised_at, case.promise_basis = made.by, made.basis


def queue_position(session: so.Session, case: Case) -> int | None:
    """Where an open case stands in its area's queue (the Bandeja's order: due time, then number)."""
    if case.status not in (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING) or case.due_at is None:
        return None
    ahead = session.scalar(
        sa.select(sa.func.count())
        .select_from(Case)
        .where(
            Case.area_id == case.area_id,
            sa.text(OPEN_STATUS_SQL),  # the partial index of open cases answers this
            sa.or_(Case.due_at < case.due_at, sa.and_(Case.due_at == case.due_at, Case.number < case.number)),
        )
    )
    return ahead + 1


# --- Escalation -------------------------------------------------------------------------------------


def _managers_of(session: so.Session, area_id: int) -> list[int]:
    """The area's coordinators: managers attached to it, or every manager when none is."""
    managers = sa.select(User.id).where(User.role == Role.MANAGER, User.active.is_(True))
    attached = session.scalars(
        managers.join(advisor_areas, advisor_areas.c.user_id == User.id).where(advisor_areas.c.area_id == area_id)
    ).all()
    return list(attached) or list(session.scalars(managers))


_CHECKS = (
    # (target, level, the case's moment column, only while no first response)
    ("first_response", "breach", Case.first_response_due_at, True),
    ("first_response", "warning", Case.first_response_warn_at, True),
    ("resolution", "breach", Case.due_at, False),
    ("resolution", "warning", Case.warn_at, False),
)


def escalate(engine: sa.Engine, *, now: datetime | None = None, limit: int = 200) -> int:
    """Tell what has come due, once; returns how many alerts were told now."""
    now = now or clock.now()
    told = 0
    with unit_of_work(engine) as session:
        # Only areas at work now: a breach at night is told at the area's next opening. Chosen in SQL, so a
        # pile of closed areas' cases never fills the batch ahead of an open area's.
        areas = Calendars(session)
        working = [a for a in session.scalars(sa.select(Area.id)) if business_time.is_business_time(now, areas(a))]
        if not working:
            return 0
        for target, level, moment, before_first_response in _CHECKS:
            already = sa.exists().where(SlaAlert.case_id == Case.id, SlaAlert.target == target, SlaAlert.level == level)
            query = (
                sa.select(Case)
                .where(
                    sa.text(OPEN_STATUS_SQL),
                    Case.status != Status.WAITING,
                    moment <= now,
                    Case.area_id.in_(working),
                    ~already,
                )
                .order_by(moment)
                .limit(limit)
            )
            if before_first_response:
                query = query.where(Case.first_response_at.is_(None))
            for case in session.scalars(query).all():
                if _tell(session, case, target, level, now):
                    told += 1
    return told


def _record(session: so.Session, case: Case, target: str, level: str, now: datetime) -> bool:
    """The alert's row, once: another sender that wrote it first wins (its key), and this one skips."""
    try:
        with session.begin_nested():
            session.add(SlaAlert(case_id=case.id, target=target, level=level, created_at=now))
            session.flush()
    except sqlalchemy.exc.IntegrityError:
        return False
    return True


def _tell(session: so.Session, case: Case, target: str, level: str, now: datetime) -> bool:
    if not _record(session, case, target, level, now):
        return False
    if level == "breach":
        _record(session, case, target, "warning", now)  # a warning after the breach would say less, later
    due = case.first_response_due_at if target == "first_response" else case.due_at
    staff = [case.assignee_id] if case.assignee_id else notifications.area_advisors(session, case.area_id)
    recipients = staff + (_managers_of(session, case.area_id) if level == "breach" else [])
    notifications.notify(
        session=session,
        kind=f"sla_{level}",
        case=case,
        recipient_ids=list(dict.fromkeys(recipients)),
        actor=None,
        # Words kept in the desk's language: the notification is written once for every reader.
        extra={"target": target, "target_label": i18n.t(f"sla.target.{target}"), "due": clock.spoken(due)},
    )
    if level == "breach" and target == "resolution":
        _breach_action(session, case, now)
    return True


def _breach_action(session: so.Session, case: Case, now: datetime) -> None:
    """The area's optional step on a resolution breach: one urgency up, or back to the unassigned queue."""
    row = session.get(AreaCalendar, case.area_id)
    action = row.breach_action if row else "none"
    if action == "raise" and case.urgency != Urgency.VERY_HIGH:
        before = case.urgency
        case.urgency = URGENCY_LADDER[URGENCY_LADDER.index(Urgency(case.urgency)) + 1]
        _escalated(session, case, now, action="raise", before=before, after=case.urgency)
    elif action == "unassign" and case.assignee_id is not None:
        case.assignee_id, case.status, case.status_changed_at, case.last_activity_at = None, Status.NEW, now, now
        _escalated(session, case, now, action="unassign")
        notifications.notify(
            session=session,
            kind="case_queued",
            case=case,
            actor=None,
            quote=case.description,
            recipient_ids=notifications.area_advisors(session, case.area_id),
            extra={"area": session.get(Area, case.area_id).name},
        )


def _escalated(session: so.Session, case: Case, now: datetime, **detail) -> None:
    session.add(CaseEvent(case_id=case.id, actor_id=None, kind="escalated", created_at=now, detail=detail))


class Escalation:
    """The periodic job the senders run: the escalation once a minute."""

    def __init__(self, every: float = 60.0):
        self.every, self.next_run = every, 0.0

    def __call__(self, engine: sa.Engine) -> None:
        if time.monotonic() < self.next_run:
            return
        self.next_run = time.monotonic() + self.every
        escalate(engine)


# --- Administración → Acuerdos de servicio ----------------------------------------------------------


@dataclass(frozen=True)
class ExceptionView:
    id: int
    day: date
    hours: str  # "" = day off
    note: str


@dataclass(frozen=True)
class CalendarView:
    area_id: int
    area: str
    configured: bool  # False: every hour of every day
    weekly: tuple[str, ...]  # seven "07:00-12:00, 14:00-18:00", Monday first
    national_holidays: bool
    first_response_on: str
    breach_action: str
    exceptions: tuple[ExceptionView, ...]
    resolution_hours: dict[str, int]
    first_response_hours: dict[str, int | None]


def calendar_view(*, session: so.Session, actor: Actor, area_id: int) -> CalendarView:
    require_admin(actor)
    area = _area(session, area_id)
    row = session.get(AreaCalendar, area_id)
    exceptions = session.scalars(
        sa.select(CalendarException).where(CalendarException.area_id == area_id).order_by(CalendarException.day)
    )
    goals = {u.value: targets(session, area_id, u.value) for u in Urgency}
    return CalendarView(
        area_id=area.id,
        area=area.name,
        configured=row is not None,
        weekly=tuple(business_time.format_hours(tuple(map(tuple, d))) for d in row.weekly) if row else ("",) * 7,
        national_holidays=row.national_holidays if row else True,
        first_response_on=row.first_response_on if row else "reply",
        breach_action=row.breach_action if row else "none",
        exceptions=tuple(
            ExceptionView(e.id, e.day, business_time.format_hours(tuple(map(tuple, e.hours))), e.note)
            for e in exceptions
        ),
        resolution_hours={u: g.resolution_hours for u, g in goals.items()},
        first_response_hours={u: g.first_response_hours for u, g in goals.items()},
    )


def _area(session: so.Session, area_id: int) -> Area:
    area = session.get(Area, area_id) if area_id else None
    if area is None:
        raise NotFound("admin.area_not_found")
    return area


def _parse(text: str, field: str, label: str) -> list[list[int]]:
    try:
        return [list(i) for i in business_time.parse_hours(text or "")]
    except ValueError as exc:
        raise ValidationFailed("sla.hours_invalid", field=field, day=label, detail=str(exc)) from None


def save_calendar(
    *,
    session: so.Session,
    actor: Actor,
    area_id: int,
    weekly: list[str] | None,
    national_holidays: bool = True,
    first_response_on: str = "reply",
    breach_action: str = "none",
    progress: Progress | None = None,
) -> int:
    """The area's week (None: every hour of every day again) and SLA options; its open cases follow.
    Returns how many open cases were scheduled again."""
    require_admin(actor)
    area = _area(session, area_id)
    if first_response_on not in ("reply", "take") or breach_action not in ("none", "raise", "unassign"):
        raise ValidationFailed("sla.option_invalid")
    row = session.get(AreaCalendar, area.id)
    before = None if row is None else {"weekly": row.weekly, "holidays": row.national_holidays}
    if weekly is None:
        if row is not None:
            session.delete(row)
        # Its special days go with its hours: saved again later, a week starts without old exceptions.
        session.execute(sa.delete(CalendarException).where(CalendarException.area_id == area.id))
    else:
        days = [_parse(text, f"day_{i}", i18n.t(f"weekday.{i}", actor.language)) for i, text in enumerate(weekly)]
        if len(days) != 7 or not any(days):
            raise ValidationFailed("sla.no_working_time", field="day_0")
        if row is None:
            row = AreaCalendar(area_id=area.id)
            session.add(row)
        row.weekly, row.national_holidays = days, bool(national_holidays)
        row.first_response_on, row.breach_action, row.updated_at = first_response_on, breach_action, clock.now()
    session.flush()
    audit(
        session,
        actor,
        "area.calendar",
        area.name,
        before=before,
        after={"weekly": weekly, "holidays": national_holidays},
    )
    return recompute(session, area.id, progress)


def add_exception(
    *,
    session: so.Session,
    actor: Actor,
    area_id: int,
    day: date | None,
    hours: str = "",
    note: str = "",
    progress: Progress | None = None,
) -> int:
    """A day off (no hours) or an extra working day (its hours) for the area; its open cases follow."""
    require_admin(actor)
    area = _area(session, area_id)
    if day is None:
        raise ValidationFailed("sla.day_required", field="day")
    intervals = _parse(hours, "hours", day.isoformat())
    if session.get(AreaCalendar, area.id) is None:
        raise ValidationFailed("sla.calendar_first", field="day")
    existing = session.scalar(
        sa.select(CalendarException).where(CalendarException.area_id == area.id, CalendarException.day == day)
    )
    if existing is None:
        existing = CalendarException(area_id=area.id, day=day)
        session.add(existing)
    existing.hours, existing.note = intervals, " ".join((note or "").split())[:120]
    session.flush()
    audit(session, actor, "area.calendar_exception", area.name, after={"day": day.isoformat(), "hours": hours})
    return recompute(session, area.id, progress)


def remove_exception(*, session: so.Session, actor: Actor, exception_id: int, progress: Progress | None = None) -> int:
    require_admin(actor)
    row = session.get(CalendarException, exception_id)
    if row is None:
        raise NotFound("sla.exception_not_found")
    area_id = row.area_id
    audit(session, actor, "area.calendar_exception_removed", str(area_id), before={"day": row.day.isoformat()})
    session.delete(row)
    session.flush()
    return recompute(session, area_id, progress)


def set_targets(
    *,
    session: so.Session,
    actor: Actor,
    area_id: int,
    resolution_hours: dict[str, int],
    first_response_hours: dict[str, int | None],
    progress: Progress | None = None,
) -> int:
    """Both targets per urgency, in business hours; the area's open cases follow."""
    require_admin(actor)
    area = _area(session, area_id)
    before = {
        "resolution": {u.value: targets(session, area.id, u.value).resolution_hours for u in Urgency},
        "first_response": {u.value: targets(session, area.id, u.value).first_response_hours for u in Urgency},
    }
    for urgency in Urgency:
        resolution = resolution_hours.get(urgency.value)
        first = first_response_hours.get(urgency.value)
        if not isinstance(resolution, int) or not 1 <= resolution <= 24 * 90:
            raise ValidationFailed("admin.sla_hours", field="hours", max=24 * 90)
        if first is not None and (not isinstance(first, int) or not 1 <= first <= resolution):
            raise ValidationFailed("sla.first_response_hours", field="first_response", max=resolution)
        row = session.get(SlaPolicy, (area.id, urgency.value))
        if row is None:
            row = SlaPolicy(area_id=area.id, urgency=urgency.value, hours=resolution)
            session.add(row)
        row.hours, row.first_response_hours, row.updated_at = resolution, first, clock.now()
    session.flush()
    audit(
        session,
        actor,
        "area.sla",
        area.name,
        before=before,
        after={"resolution": resolution_hours, "first_response": first_response_hours},
    )
    return recompute(session, area.id, progress)


@dataclass(frozen=True)
class PreviewDay:
    day: date
    hours: str  # "" when nothing is worked
    why: str  # "" (the weekly hours), a holiday's name, or the exception's note


def preview(*, session: so.Session, actor: Actor, area_id: int, days: int = 30) -> list[PreviewDay]:
    """The next `days` local days as the area works them."""
    require_admin(actor)
    _area(session, area_id)
    calendar = calendar_for(session, area_id)
    names = national_holidays() if calendar.holidays else {}
    notes = dict(
        session.execute(
            sa.select(CalendarException.day, CalendarException.note).where(CalendarException.area_id == area_id)
        ).all()
    )
    today = clock.local_now().date()
    result = []
    for offset in range(days):
        day = today + timedelta(days=offset)
        hours = business_time.format_hours(business_time.hours_on(calendar, day))
        why = notes.get(day) or (names.get(day, "") if day in calendar.holidays and day not in calendar.extra else "")
        result.append(PreviewDay(day, hours, why))
    return result
