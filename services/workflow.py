"""The life of a case after registration: assignment, status changes, SLA clock, resolution.

Allowed status changes are the one table STATUS_FLOW; what an actor may do to a case (and
the words it is refused in) is the one rule allowed() -> CaseActions, which every case
action here, in services.cases and in services.surveys requires first and every page
renders. Each action then checks the version of the case the actor saw (optimistic
locking), writes a timeline event and the notifications, or changes nothing at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.orm.exc import StaleDataError

from models import Area, Case, CaseEvent, ServiceOption, User, advisor_areas
from models.enums import AssignmentMode, Role, Status, Urgency
from services import clock, notifications, sla, text
from services.errors import Conflict, NotFound, PermissionDenied, ServiceError, ValidationFailed
from services.users import Actor

# status → the statuses it may go to. Assignment moves "new" to "assigned"; the requester's
# answer moves "resolved" to "in_progress" (No) or "closed" (Sí, or no answer in N days).
STATUS_FLOW: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.ASSIGNED}),
    Status.ASSIGNED: frozenset({Status.IN_PROGRESS, Status.WAITING, Status.RESOLVED}),
    Status.IN_PROGRESS: frozenset({Status.WAITING, Status.RESOLVED}),
    Status.WAITING: frozenset({Status.IN_PROGRESS, Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.IN_PROGRESS, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}
OPEN = (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING)
# The statuses an advisor picks by hand in the work view ("Resuelto" has its own form).
MANUAL_STATUSES = (Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING)
MAX_TEXT = 20_000


def case_number(raw: int | str | None) -> int:
    """The case number a user typed or a URL carried ("123", "#123"); anything else is "Caso no encontrado"."""
    digits = str(raw).strip().lstrip("#")
    if not (digits.isascii() and digits.isdecimal()) or len(digits) > 18:  # past 18 digits: no such case
        raise NotFound("case.not_found")
    return int(digits)


# --- Rights: the one rule every case action asks ------------------------------------------------
# Staff rights on a case: advisors read and act on their areas' cases, admins on every area's;
# managers (coordinadores) read every area's and act on none. A coordinator who also works cases is
# given the advisor role for the areas they work. A requester reads and talks on their own case,
# adds files to it and answers its survey, whatever their role.


def _advises(actor: Actor, case: Case) -> bool:
    return actor.role == Role.ADVISOR and case.area_id in actor.area_ids


def may_view(actor: Actor, case: Case) -> bool:
    """Read the case as staff: summary, timeline, conversation with internal notes, files."""
    return actor.role in (Role.MANAGER, Role.ADMIN) or _advises(actor, case)


def may_work(actor: Actor, case: Case) -> bool:
    """Act on the case as staff: take, reassign, status, reply, note, reclassify, resolve, attach."""
    return actor.role == Role.ADMIN or _advises(actor, case)


@dataclass(frozen=True)
class Refusal:
    """Why an action is refused: the error a service raises, built afresh each time."""

    error: type[ServiceError]
    key: str
    field: str | None = None
    params: tuple[tuple[str, object], ...] = ()

    def exception(self) -> ServiceError:
        return self.error(self.key, field=self.field, **dict(self.params))


@dataclass(frozen=True)
class CaseActions:
    """What one actor may do to one case. Services require these flags; pages render them and decide nothing."""

    own_case: bool  # the actor is the requester: they see and talk on it from the requester's side
    view: bool  # open the case
    see_internal: bool  # the staff's side: internal notes and files
    work: bool  # act on it as staff (a manager reads only)
    take: bool  # Tomar
    reassign: bool
    moves: tuple[str, ...]  # the statuses "Cambiar estado" may pick, in MANUAL_STATUSES order
    reply: bool  # a message to the requester, as staff
    note: bool  # an internal note
    attach: bool  # Adjuntar
    reclassify: bool
    resolve: bool
    message_as_requester: bool
    answer_survey: bool  # "¿Su solicitud fue resuelta?" for this resolution
    rate: bool  # the stars after a Sí
    refusals: dict[str, Refusal] = field(default_factory=dict, repr=False, compare=False)

    def refusal(self, action: str) -> ServiceError | None:
        """The error `action` ("take", "note", "move:waiting", …) is refused with, or None if it is allowed."""
        refused = self.refusals.get(action)
        return refused.exception() if refused else None

    def require(self, action: str) -> None:
        if error := self.refusal(action):
            raise error

    def require_move(self, to: str) -> None:
        self.require(f"move:{to}")


_NOT_FOUND = Refusal(NotFound, "case.not_found")
_FORBIDDEN = Refusal(PermissionDenied, "error.forbidden")
_READ_ONLY = Refusal(PermissionDenied, "workflow.read_only")
_FINISHED = Refusal(ValidationFailed, "workflow.case_finished")


def _first(*rules: tuple[bool, Refusal]) -> Refusal | None:
    """The refusal of the first rule broken, in the order the rules are given."""
    return next((refusal for broken, refusal in rules if broken), None)


def allowed(actor: Actor, case: Case) -> CaseActions:
    """The one rule of what `actor` may do to `case`, and why not: every case action asks it first.

    Each action lists its rules in the order they are checked; the first one broken is its refusal.
    """
    own = case.requester_id == actor.id
    staff_reads, staff_works = may_view(actor, case), may_work(actor, case)
    finished = case.status in (Status.RESOLVED, Status.CLOSED)
    is_closed = case.status == Status.CLOSED
    case_closed = Refusal(ValidationFailed, "case.closed", params=(("number", case.number),))

    def refused_move(to: str) -> Refusal:
        return Refusal(
            ValidationFailed,
            "workflow.transition_refused",
            field="status",
            params=(("source", case.status), ("target", to)),
        )

    hidden = (not own and not staff_reads, _NOT_FOUND)  # a case one may not read "does not exist"
    staff = (hidden, (not staff_reads, _FORBIDDEN), (not staff_works, _READ_ONLY))  # its requester: "forbidden"
    staff_writes = (hidden, (own, _FORBIDDEN), (not staff_works, _READ_ONLY), (is_closed, case_closed))
    refusals = {
        "view": _first(hidden),
        "work": _first(*staff),
        "take": _first(
            *staff,
            (not _advises(actor, case), Refusal(PermissionDenied, "workflow.only_area_advisors_take")),
            (finished, _FINISHED),
            (case.assignee_id == actor.id, Refusal(ValidationFailed, "workflow.already_yours")),
        ),
        "reassign": _first(*staff, (finished, _FINISHED)),
        "reclassify": _first(*staff, (is_closed, _FINISHED)),
        "resolve": _first(*staff, (Status.RESOLVED not in STATUS_FLOW[case.status], refused_move(Status.RESOLVED))),
        # The conversation and the files: the requester's side, or the staff who work the case.
        "reply": _first(*staff_writes),
        "note": _first(*staff_writes),
        "message_as_requester": _first(hidden, (not own, _FORBIDDEN), (is_closed, case_closed)),
        "attach": _first(hidden, (not own and not staff_works, _READ_ONLY), (is_closed, case_closed)),
        # The survey: the requester's, once per resolution; stars only after a Sí (not after the auto-close).
        "answer_survey": _first(
            (not own, _NOT_FOUND),
            (
                case.status != Status.RESOLVED,
                Refusal(Conflict, "survey.already_answered", params=(("number", case.number),)),
            ),
        ),
        "rate": _first((not own or case.status != Status.CLOSED or case.closed_without_answer, _NOT_FOUND)),
    }
    for to in Status:
        # By hand an advisor never reopens a resolved case: only the requester's answer does (and counts it).
        wrong = to not in MANUAL_STATUSES or case.status == Status.RESOLVED or to not in STATUS_FLOW[case.status]
        refusals[f"move:{to}"] = _first(
            *staff,
            (wrong, refused_move(to)),
            (case.assignee_id is None, Refusal(ValidationFailed, "workflow.needs_assignee")),
        )
    refusals = {action: why for action, why in refusals.items() if why is not None}
    flags = {
        action: action not in refusals
        for action in (
            "view",
            "work",
            "take",
            "reassign",
            "reply",
            "note",
            "attach",
            "reclassify",
            "resolve",
            "message_as_requester",
            "answer_survey",
            "rate",
        )
    }
    return CaseActions(
        own_case=own,
        see_internal=staff_reads and not own,
        moves=tuple(to for to in MANUAL_STATUSES if f"move:{to}" not in refusals),
        refusals=refusals,
        **flags,
    )


def find_case(session: so.Session, number: int | str | None, *, lock: bool = False, options=()) -> Case:
    """The case with this number, loaded with `options`; locked for this transaction when the caller will change it."""
    query = sa.select(Case).where(Case.number == case_number(number)).options(*options)
    case = session.scalar(query.with_for_update() if lock else query)
    if case is None:
        raise NotFound("case.not_found")
    return case


def _case_to_work(
    session: so.Session, actor: Actor, number: int | str, expected_version: int | None, options=()
) -> tuple[Case, CaseActions]:
    # Locked for this transaction: a second advisor acting at once waits, then finds a new version.
    case, actions = _case_for_staff(session, actor, number, lock=True, options=options)
    _check_version(case, expected_version)  # rights first, then the version the actor saw, then the action's rule
    return case, actions


def _case_for_staff(
    session: so.Session, actor: Actor, number: int | str, *, lock: bool = False, options=()
) -> tuple[Case, CaseActions]:
    case = find_case(session, number, lock=lock, options=options)
    actions = allowed(actor, case)
    actions.require("work")
    return case, actions


def _check_version(case: Case, expected_version: int | None) -> None:
    if expected_version is not None and case.version != expected_version:
        raise Conflict("case.stale")


def _flush(session: so.Session) -> None:
    try:
        session.flush()
    except StaleDataError:
        # Someone else committed a change to this case between our read and our write.
        raise Conflict("case.stale") from None


def _event(
    session: so.Session, case: Case, actor: Actor | None, kind: str, now: datetime, *, internal=False, **detail
) -> None:
    session.add(
        CaseEvent(
            case_id=case.id,
            actor_id=actor.id if actor else None,
            kind=kind,
            detail=detail,
            internal=internal,
            created_at=now,
        )
    )


def set_status_now(session: so.Session, case: Case, to: str, now: datetime) -> None:
    """Move the status and keep the SLA clock right: it stops while "En espera" and starts again after."""
    if case.status == Status.WAITING and to != Status.WAITING and case.waiting_since is not None:
        if case.due_at is not None:
            sla.end_pause(session, case, now)  # the business time it waited pushes the due time back
        case.waiting_since = None
    if to == Status.WAITING and case.status != Status.WAITING:
        case.waiting_since = now
    case.status = to
    case.status_changed_at = now
    case.last_activity_at = now


def time_left(case_due: datetime | None, waiting_since: datetime | None, now: datetime) -> timedelta | None:
    """Wall time until the SLA due time; frozen while the case waits on the requester (sla.left: business time)."""
    if case_due is None:
        return None
    return case_due - (waiting_since or now)


def _area_advisor_ids(session: so.Session, area_id: int) -> list[int]:
    return notifications.area_advisors(session, area_id)


def _previous_to_tell(case: Case, advisor: User, actor: Actor | None) -> int | None:
    """The advisor a hand-off takes the case from, who is told: nobody when the case was nobody's or the
    actor's own, or when it stays with whom has it."""
    previous = case.assignee_id
    if previous is None or previous == advisor.id or (actor is not None and previous == actor.id):
        return None
    return previous


def _assign(session: so.Session, case: Case, advisor: User, actor: Actor | None, now: datetime) -> None:
    previous = case.assignee_id
    told = _previous_to_tell(case, advisor, actor)
    case.assignee_id = advisor.id
    advisor.last_assigned_at = now
    if case.status == Status.NEW:
        set_status_now(session, case, Status.ASSIGNED, now)
    case.last_activity_at = now
    _event(session, case, actor, "assigned", now, to=advisor.full_name, previous=previous)
    notifications.notify(
        session=session,
        kind="case_assigned",
        case=case,
        recipient_ids=[advisor.id],
        actor=actor,
        quote=case.description,
    )
    if told is not None:
        # Who had it hears who took it (Tomar) or who moved it to whom (reassignment), once per hand-off.
        taken = actor is not None and actor.id == advisor.id
        notifications.notify(
            session=session,
            kind="case_taken" if taken else "case_reassigned",
            case=case,
            recipient_ids=[told],
            actor=actor,
            extra={"to": advisor.full_name},
        )


def auto_assign(session: so.Session, case: Case, now: datetime) -> User | None:
    """On registration: the active advisor of the area with the fewest open cases (ties: who waited longest)."""
    area = session.get(Area, case.area_id)
    if area.assignment_mode != AssignmentMode.AUTOMATIC:
        return None
    open_count = (
        sa.select(sa.func.count())
        .select_from(Case)
        .where(Case.assignee_id == User.id, Case.status.in_(OPEN))
        .correlate(User)
        .scalar_subquery()
    )
    advisor = session.scalars(
        sa.select(User)
        .join(advisor_areas, advisor_areas.c.user_id == User.id)
        .where(advisor_areas.c.area_id == case.area_id, User.active.is_(True), User.role == Role.ADVISOR)
        .order_by(open_count, User.last_assigned_at.is_not(None), User.last_assigned_at, User.id)
        .limit(1)
    ).first()
    if advisor is not None:
        _assign(session, case, advisor, None, now)
    return advisor


def _taker(session: so.Session, actor: Actor, actions: CaseActions) -> User:
    actions.require("take")
    return session.get(User, actor.id)


def _new_assignee(session: so.Session, case: Case, actions: CaseActions, advisor_username: str | None) -> User:
    actions.require("reassign")
    advisor = session.scalar(sa.select(User).where(User.username == (advisor_username or "").strip().lower()))
    if advisor is None or advisor.id not in _area_advisor_ids(session, case.area_id):
        raise ValidationFailed("workflow.not_an_area_advisor", field="advisor")
    if advisor.id == case.assignee_id:
        raise ValidationFailed("workflow.already_assigned", name=advisor.full_name)
    return advisor


@dataclass(frozen=True)
class Holder:
    """The colleague a hand-off would take the case from, and tell: the page asks before it goes ahead."""

    id: int
    name: str


def _holder(session: so.Session, case: Case, advisor: User, actor: Actor) -> Holder | None:
    previous = _previous_to_tell(case, advisor, actor)
    return None if previous is None else Holder(previous, session.get(User, previous).full_name)


def take_case(
    *, session: so.Session, actor: Actor, number: int | str, expected_version: int | None, ask_first: bool = False
) -> Holder | None:
    """**Tomar**: assign the case to oneself (an advisor of its area); a colleague who had it is told.

    With `ask_first`, a case a colleague has stays as it is and that colleague is returned (the page asks
    the advisor first, then calls again without it): the question and the hand-off are one transaction each,
    checked as the hand-off itself is.
    """
    case, actions = _case_to_work(session, actor, number, expected_version)
    taker = _taker(session, actor, actions)
    if ask_first and (holder := _holder(session, case, taker, actor)) is not None:
        return holder
    now = clock.now()
    _assign(session, case, taker, actor, now)
    if case.first_response_at is None and sla.first_response_on(session, case.area_id) == "take":
        case.first_response_at = now  # this area counts Tomar as the first response
    _flush(session)
    return None


def assign_case(
    *,
    session: so.Session,
    actor: Actor,
    number: int | str,
    advisor_username: str,
    expected_version: int | None,
    ask_first: bool = False,
) -> Holder | None:
    """Reassign the case to another active advisor of its area; a colleague who had it is told (asked first
    with `ask_first`, as take_case)."""
    case, actions = _case_to_work(session, actor, number, expected_version)
    advisor = _new_assignee(session, case, actions, advisor_username)
    if ask_first and (holder := _holder(session, case, advisor, actor)) is not None:
        return holder
    _assign(session, case, advisor, actor, clock.now())
    _flush(session)
    return None


def change_status(
    *, session: so.Session, actor: Actor, number: int | str, to: str, expected_version: int | None
) -> None:
    """Asignado, En atención or En espera (which stops the SLA clock until the case moves again)."""
    case, actions = _case_to_work(session, actor, number, expected_version)
    if not to:
        raise ValidationFailed("workflow.pick_status", field="status")
    if to not in STATUS_FLOW:  # not a status at all
        raise ValidationFailed("workflow.transition_refused", field="status", source=case.status, target=to)
    actions.require_move(to)
    now = clock.now()
    previous = case.status
    set_status_now(session, case, to, now)
    _event(session, case, actor, "status_changed", now, source=previous, target=to)
    _flush(session)


def resolve_case(
    *, session: so.Session, actor: Actor, number: int | str, solution: str, expected_version: int | None
) -> None:
    """**Resolver** with the solution the requester will read (and be asked about)."""
    case, actions = _case_to_work(session, actor, number, expected_version)
    actions.require("resolve")
    solution = text.clean(solution)
    if not solution:
        raise ValidationFailed("workflow.solution_required", field="solution")
    if len(solution) > MAX_TEXT:
        raise ValidationFailed("workflow.solution_too_long", field="solution", max=MAX_TEXT)
    now = clock.now()
    set_status_now(session, case, Status.RESOLVED, now)
    case.solution = solution
    case.resolved_at = now
    if case.first_response_at is None:
        case.first_response_at = now
    _event(session, case, actor, "resolved", now)
    notifications.notify(
        session=session, kind="case_resolved", case=case, recipient_ids=[case.requester_id], actor=actor, quote=solution
    )
    _flush(session)


def reclassify(
    *,
    session: so.Session,
    actor: Actor,
    number: int | str,
    urgency: str,
    option_id: int,
    reason: str,
    expected_version: int | None,
) -> None:
    """Change urgency, option or area, with a reason on the timeline; the SLA due time follows the urgency."""
    case, actions = _case_to_work(
        session, actor, number, expected_version, options=(so.selectinload(Case.area), so.selectinload(Case.option))
    )
    actions.require("reclassify")
    reason = text.clean(reason)
    if not reason:
        raise ValidationFailed("workflow.reason_required", field="reason")
    if urgency not in set(Urgency):
        raise ValidationFailed("case.urgency_invalid", field="urgency")
    option = session.get(ServiceOption, option_id) if option_id else None
    if option is None or not option.active or not option.area.active or option.mail_only:
        raise ValidationFailed("case.option_invalid", field="option")
    if urgency == case.urgency and option.id == case.option_id:
        raise ValidationFailed("workflow.nothing_changed")
    now = clock.now()
    before = {"urgency": case.urgency, "option": case.option.name, "area": case.area.name}
    moved_area = option.area_id != case.area_id
    case.urgency, case.option_id, case.area_id = urgency, option.id, option.area_id
    sla.schedule(session, case)  # the targets of the new urgency and area, in that area's business time
    case.last_activity_at = now
    after = {"urgency": urgency, "option": option.name, "area": option.area.name}
    _event(session, case, actor, "reclassified", now, before=before, after=after, reason=reason)
    if moved_area and case.status not in (Status.RESOLVED, Status.CLOSED):
        # Another area's queue: its own advisors take it from the start.
        case.assignee_id = None
        set_status_now(session, case, Status.NEW, now)
        notifications.notify(
            session=session,
            kind="case_queued",
            case=case,
            actor=actor,
            quote=case.description,
            recipient_ids=_area_advisor_ids(session, case.area_id),
            extra={"area": option.area.name},
        )
        auto_assign(session, case, now)
    _flush(session)


def on_public_message(session: so.Session, case: Case, actor: Actor, staff: bool, now: datetime) -> None:
    """What a public message changes: the first response time, and a requester's reply ends "En espera"."""
    if staff and case.first_response_at is None:
        case.first_response_at = now
    if not staff and case.status == Status.WAITING:
        set_status_now(session, case, Status.IN_PROGRESS, now)
        _event(session, case, actor, "status_changed", now, source=Status.WAITING, target=Status.IN_PROGRESS)


def advisors_of_area(*, session: so.Session, actor: Actor, number: int | str) -> list[tuple[str, str]]:
    """(username, name) of the advisors the actor may reassign the case to (none for who may not reassign it)."""
    case = find_case(session, number)
    actions = allowed(actor, case)
    actions.require("view")
    if not actions.reassign:
        return []
    advisors = sa.select(User.username, User.full_name).where(User.id.in_(_area_advisor_ids(session, case.area_id)))
    return [tuple(row) for row in session.execute(advisors.order_by(User.full_name))]
