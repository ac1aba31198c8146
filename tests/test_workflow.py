"""The life of a case after registration, on a real SQLite file with a clock the tests move.

Assignment, status changes, rights, the SLA clock, resolution, optimistic locking, internal
notes and the advisors' inbox (services/workflow.py, services/inbox.py, services/cases.py).
"""

import threading
from collections import Counter
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from models import Area, Case, CaseEvent, Notification, OutboxEmail, ServiceOption, User
from services import cases, clock, inbox, users, workflow
from services.cases import NewFile, Uploads
from services.db import unit_of_work
from services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from services.inbox import InboxFilters
from services.storage import Storage
from tests.conftest import make_user

GT = "Gestión Tecnológica"
SG = "Servicios Generales"
T0 = datetime(2025, 3, 10, 14, 0)  # a Monday, 09:00 in Bogotá (UTC-5)
H = timedelta(hours=1)


# --- fixtures and helpers ---------------------------------------------------------------------


class FakeClock:
    """What services.clock.now answers; a test sets or moves it."""

    def __init__(self, start: datetime):
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def set(self, when: datetime) -> datetime:
        self.current = when
        return when


@pytest.fixture(autouse=True)
def now(monkeypatch):
    fake = FakeClock(T0)
    monkeypatch.setattr(clock, "now", fake)
    return fake


@pytest.fixture
def uploads(tmp_path):
    return Uploads(Storage(tmp_path / "files"), 5)


PEOPLE = {
    "ana": ("ana.perez", "Ana Pérez", "employee", ()),
    "carlos": ("carlos.gomez", "Carlos Gómez", "employee", ()),
    "laura": ("laura.rios", "Laura Ríos", "advisor", (GT,)),
    "mario": ("mario.ruiz", "Mario Ruiz", "advisor", (GT,)),
    "jorge": ("jorge.diaz", "Jorge Díaz", "advisor", (SG,)),
    "marta": ("marta.luna", "Marta Luna", "manager", ()),
}


def _actor(engine, username):
    with unit_of_work(engine, write=False) as session:
        return users.load_actor(session=session, username=username)


@pytest.fixture
def people(desk):
    """Two employees, two advisors of Gestión Tecnológica, one of Servicios Generales, a manager."""
    for username, full_name, role, areas in PEOPLE.values():
        make_user(desk, username, role=role, areas=areas, full_name=full_name)
    with unit_of_work(desk, write=False) as session:
        return {key: users.load_actor(session=session, username=spec[0]) for key, spec in PEOPLE.items()}


def _option_id(engine, name):
    with unit_of_work(engine, write=False) as session:
        return session.scalar(sa.select(ServiceOption.id).where(ServiceOption.name == name))


def _area_id(engine, name):
    with unit_of_work(engine, write=False) as session:
        return session.scalar(sa.select(Area.id).where(Area.name == name))


def _set_mode(engine, mode, *area_names):
    with unit_of_work(engine) as session:
        query = sa.update(Area).values(assignment_mode=mode)
        if area_names:
            query = query.where(Area.name.in_(area_names))
        session.execute(query)


def _register(
    engine,
    actor,
    uploads,
    option="Impresoras",
    subject="La impresora no imprime",
    urgency="medium",
    description="Sale un error al imprimir.",
):
    with unit_of_work(engine) as session:
        option_id = session.scalar(sa.select(ServiceOption.id).where(ServiceOption.name == option))
        return cases.register_case(
            session=session,
            actor=actor,
            uploads=uploads,
            option_id=option_id,
            subject=subject,
            description=description,
            urgency=urgency,
        ).number


def _case(engine, number) -> Case:
    with unit_of_work(engine, write=False) as session:
        return session.scalar(sa.select(Case).where(Case.number == number))


def _put(engine, number, **values):
    """Test setup: write columns of a case straight through the ORM."""
    with unit_of_work(engine) as session:
        case = session.scalar(sa.select(Case).where(Case.number == number))
        for name, value in values.items():
            setattr(case, name, value)


def _put_user(engine, username, **values):
    with unit_of_work(engine) as session:
        user = session.scalar(sa.select(User).where(User.username == username))
        for name, value in values.items():
            setattr(user, name, value)


def _events(engine, number):
    with unit_of_work(engine, write=False) as session:
        return session.execute(
            sa.select(CaseEvent.kind, CaseEvent.actor_id, CaseEvent.detail)
            .join(Case, Case.id == CaseEvent.case_id)
            .where(Case.number == number)
            .order_by(CaseEvent.id)
        ).all()


def _kinds(engine, number):
    return [kind for kind, _, _ in _events(engine, number)]


def _count(engine, model, *where):
    with unit_of_work(engine, write=False) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _act(engine, service, actor, number, **kwargs):
    with unit_of_work(engine) as session:
        return service(session=session, actor=actor, number=number, **kwargs)


def _snapshot(engine, number):
    """What an action must leave alone when it is refused."""
    case = _case(engine, number)
    return (
        case.status,
        case.assignee_id,
        case.version,
        case.urgency,
        case.option_id,
        case.due_at,
        case.solution,
        case.resolved_at,
        len(_events(engine, number)),
        _count(engine, Notification),
        _count(engine, OutboxEmail),
    )


def _post(engine, actor, uploads, number, body, **kwargs):
    with unit_of_work(engine) as session:
        return cases.post_message(session=session, actor=actor, uploads=uploads, number=number, body=body, **kwargs)


def _inbox(engine, actor, page=1, page_size=50, **filters):
    with unit_of_work(engine, write=False) as session:
        return inbox.list_inbox(
            session=session, actor=actor, filters=InboxFilters(**filters), page=page, page_size=page_size
        )


def _numbers(engine, actor, **filters):
    return [row.number for row in _inbox(engine, actor, **filters).rows]


def _figures(engine, actor):
    with unit_of_work(engine, write=False) as session:
        return inbox.figures(session=session, actor=actor)


# --- 1. every allowed and refused transition --------------------------------------------------

STATUSES = ("new", "assigned", "in_progress", "waiting", "resolved", "closed")
# The agreed table, written out here so a change to STATUS_FLOW has to change this test too.
EXPECTED_FLOW = {
    "new": {"assigned"},
    "assigned": {"in_progress", "waiting", "resolved"},
    "in_progress": {"waiting", "resolved"},
    "waiting": {"in_progress", "resolved"},
    "resolved": {"in_progress", "closed"},
    "closed": set(),
}
TARGETS = ("assigned", "in_progress", "waiting", "resolved")  # "resolved" goes through resolve_case
PAIRS = [(source, target) for source in STATUSES for target in TARGETS]


def test_the_status_flow_table_and_the_manual_statuses_are_the_agreed_ones():
    assert {source: set(targets) for source, targets in workflow.STATUS_FLOW.items()} == EXPECTED_FLOW
    assert tuple(workflow.MANUAL_STATUSES) == ("assigned", "in_progress", "waiting")
    assert set(workflow.OPEN) == {"new", "assigned", "in_progress", "waiting"}


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{s}-to-{t}" for s, t in PAIRS])
def test_a_status_change_happens_exactly_when_the_status_flow_allows_it(desk, people, uploads, now, source, target):
    laura = people["laura"]
    number = _register(desk, people["ana"], uploads)
    _put(desk, number, status=source, assignee_id=laura.id)
    before = _case(desk, number)
    events_before = _events(desk, number)
    now.set(T0 + H)

    def act():
        if target == "resolved":
            _act(
                desk,
                workflow.resolve_case,
                laura,
                number,
                solution="Se cambió el tóner.",
                expected_version=before.version,
            )
        else:
            _act(desk, workflow.change_status, laura, number, to=target, expected_version=before.version)

    # By hand an advisor never reopens a resolved case: only the requester's "No" does.
    if target in EXPECTED_FLOW[source] and not (source == "resolved" and target != "resolved"):
        act()
        after = _case(desk, number)
        assert after.status == target
        assert after.version > before.version
        assert after.status_changed_at == T0 + H
        new_events = [(kind, detail) for kind, _, detail in _events(desk, number)[len(events_before) :]]
        if target == "resolved":
            assert new_events == [("resolved", {})]
        else:
            assert new_events == [("status_changed", {"source": source, "target": target})]
    else:
        with pytest.raises(ValidationFailed) as refused:
            act()
        assert refused.value.key == "workflow.transition_refused"
        assert refused.value.params == {"source": source, "target": target}
        after = _case(desk, number)
        assert (after.status, after.version, after.status_changed_at) == (
            source,
            before.version,
            before.status_changed_at,
        )
        assert after.solution is None and after.resolved_at is None
        assert _events(desk, number) == events_before


def test_a_status_change_needs_an_assignee_and_a_status_the_advisor_may_pick(desk, people, uploads):
    _set_mode(desk, "manual")
    laura = people["laura"]
    number = _register(desk, people["ana"], uploads)
    assert (_case(desk, number).status, _case(desk, number).assignee_id) == ("new", None)
    before = _snapshot(desk, number)
    with pytest.raises(ValidationFailed) as unassigned:
        _act(desk, workflow.change_status, laura, number, to="assigned", expected_version=None)
    assert unassigned.value.key == "workflow.needs_assignee"
    assert _snapshot(desk, number) == before
    _put(desk, number, status="assigned")  # assigned, but to nobody
    before = _snapshot(desk, number)
    with pytest.raises(ValidationFailed) as still_unassigned:
        _act(desk, workflow.change_status, laura, number, to="in_progress", expected_version=None)
    assert still_unassigned.value.key == "workflow.needs_assignee"
    assert _snapshot(desk, number) == before

    _put(desk, number, assignee_id=laura.id)
    before = _snapshot(desk, number)
    for to, key in [
        ("", "workflow.pick_status"),
        (None, "workflow.pick_status"),
        ("resolved", "workflow.transition_refused"),
        ("closed", "workflow.transition_refused"),
        ("new", "workflow.transition_refused"),
        ("EN ESPERA", "workflow.transition_refused"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            _act(desk, workflow.change_status, laura, number, to=to, expected_version=None)
        assert refused.value.key == key, to
    assert _snapshot(desk, number) == before


def test_an_advisor_moving_a_resolved_case_back_to_in_progress_leaves_no_half_resolved_case(desk, people, uploads, now):
    laura = people["laura"]
    number = _register(desk, people["ana"], uploads)
    now.set(T0 + H)
    _act(desk, workflow.resolve_case, laura, number, solution="Se cambió el tóner.", expected_version=None)
    now.set(T0 + 2 * H)
    try:
        _act(desk, workflow.change_status, laura, number, to="in_progress", expected_version=None)
    except ValidationFailed:  # one acceptable fix: only the requester's answer reopens a case
        assert _case(desk, number).status == "resolved"
        return
    case = _case(desk, number)  # the other: a hand-made reopening is a real one
    assert (case.status, case.resolved_at, case.reopen_count) == ("in_progress", None, 1)


# --- 2. rights ----------------------------------------------------------------------------------


def _every_action(option_id):
    """Each staff action on a case, as (name, service, arguments)."""
    return [
        ("take", workflow.take_case, {}),
        ("assign", workflow.assign_case, {"advisor_username": "mario.ruiz"}),
        ("status", workflow.change_status, {"to": "in_progress"}),
        ("resolve", workflow.resolve_case, {"solution": "Listo."}),
        ("reclassify", workflow.reclassify, {"urgency": "high", "option_id": option_id, "reason": "Porque sí"}),
    ]


def test_an_advisor_of_the_other_area_is_told_the_case_does_not_exist_and_changes_nothing(desk, people, uploads):
    number = _register(desk, people["ana"], uploads)
    before = _snapshot(desk, number)
    version = _case(desk, number).version
    for name, service, kwargs in _every_action(_option_id(desk, "Aseo")):
        with pytest.raises(NotFound) as hidden:
            _act(desk, service, people["jorge"], number, expected_version=version, **kwargs)
        assert hidden.value.key == "case.not_found", name
    with pytest.raises(NotFound):
        _act(desk, workflow.advisors_of_area, people["jorge"], number)
    assert _snapshot(desk, number) == before


def test_the_requester_and_other_employees_cannot_work_a_case(desk, people, uploads):
    number = _register(desk, people["ana"], uploads)
    before = _snapshot(desk, number)
    version = _case(desk, number).version
    for name, service, kwargs in _every_action(_option_id(desk, "Correo electrónico")):
        with pytest.raises((PermissionDenied, NotFound)):
            _act(desk, service, people["ana"], number, expected_version=version, **kwargs)
        with pytest.raises(NotFound) as stranger:
            _act(desk, service, people["carlos"], number, expected_version=version, **kwargs)
        assert stranger.value.key == "case.not_found", name
    assert _snapshot(desk, number) == before


def test_an_admin_can_reassign_a_case_but_cannot_take_it_and_a_manager_can_do_neither(desk, people, uploads, now):
    laura, mario, marta = people["laura"], people["mario"], people["marta"]
    admin = _actor(desk, "admin.mesa")
    number = _register(desk, people["ana"], uploads)
    assert _case(desk, number).assignee_id == laura.id  # first advisor of the area by id, nobody waited longer
    before = _snapshot(desk, number)
    with pytest.raises(PermissionDenied) as refused:
        _act(desk, workflow.take_case, admin, number, expected_version=_case(desk, number).version)
    assert refused.value.key == "workflow.only_area_advisors_take"
    for service, kwargs in ((workflow.take_case, {}), (workflow.assign_case, {"advisor_username": "mario.ruiz"})):
        with pytest.raises(PermissionDenied) as read_only:
            _act(desk, service, marta, number, expected_version=_case(desk, number).version, **kwargs)
        assert read_only.value.key == "workflow.read_only"
    assert _snapshot(desk, number) == before

    now.set(T0 + H)
    _act(
        desk,
        workflow.assign_case,
        admin,
        number,
        advisor_username="mario.ruiz",
        expected_version=_case(desk, number).version,
    )
    case = _case(desk, number)
    assert (case.assignee_id, case.status) == (mario.id, "assigned")
    assert _events(desk, number)[-1] == ("assigned", admin.id, {"to": "Mario Ruiz", "previous": laura.id})
    assert _count(desk, Notification, Notification.user_id == mario.id, Notification.kind == "case_assigned") == 1
    # An area advisor may take it back.
    _act(desk, workflow.take_case, laura, number, expected_version=case.version)
    assert _case(desk, number).assignee_id == laura.id


def test_a_hand_off_asked_first_returns_the_colleague_and_changes_nothing_until_asked_again(desk, people, uploads):
    laura, mario = people["laura"], people["mario"]
    admin = _actor(desk, "admin.mesa")
    number = _register(desk, people["ana"], uploads)  # Laura's, the first advisor of the area
    before = _snapshot(desk, number)
    version = _case(desk, number).version
    asks = (
        (workflow.take_case, mario, {}),
        (workflow.assign_case, admin, {"advisor_username": "mario.ruiz"}),
    )
    for service, actor, kwargs in asks:
        holder = _act(desk, service, actor, number, expected_version=version, ask_first=True, **kwargs)
        assert holder == workflow.Holder(laura.id, "Laura Ríos")
    assert _snapshot(desk, number) == before  # no assignee, event, notice or new version from a question
    assert _count(desk, Notification, Notification.user_id == laura.id, Notification.kind == "case_taken") == 0
    # The question is checked as the hand-off is: a stale view or a refusal answers before any question.
    with pytest.raises(Conflict):
        _act(desk, workflow.take_case, mario, number, expected_version=version - 1, ask_first=True)
    with pytest.raises(ValidationFailed) as own:
        _act(desk, workflow.take_case, laura, number, expected_version=version, ask_first=True)
    assert own.value.key == "workflow.already_yours"
    # Laura's own case handed on: nobody to ask, done at once; asked about a case nobody has, taken at once.
    assert (
        _act(
            desk,
            workflow.assign_case,
            laura,
            number,
            expected_version=version,
            ask_first=True,
            advisor_username="mario.ruiz",
        )
        is None
    )
    assert _case(desk, number).assignee_id == mario.id
    assert (
        _count(
            desk,
            Notification,
            Notification.user_id == laura.id,
            Notification.kind.in_(("case_taken", "case_reassigned")),
        )
        == 0
    )
    _put(desk, number, assignee_id=None)
    assert (
        _act(desk, workflow.take_case, laura, number, expected_version=_case(desk, number).version, ask_first=True)
        is None
    )
    assert _case(desk, number).assignee_id == laura.id


# --- 3. automatic assignment --------------------------------------------------------------------


def test_thirty_cases_are_shared_ten_each_among_three_advisors_and_each_is_assigned(desk, people, uploads, now):
    make_user(desk, "pedro.sanchez", role="advisor", areas=[GT], full_name="Pedro Sánchez")
    pedro = _actor(desk, "pedro.sanchez")
    for i in range(30):
        now.set(T0 + timedelta(minutes=i))
        _register(desk, people["ana"], uploads, subject=f"Caso {i}")
    with unit_of_work(desk, write=False) as session:
        rows = session.execute(sa.select(Case.number, Case.status, Case.assignee_id).order_by(Case.number)).all()
        assigned_events = Counter(
            session.scalars(
                sa.select(Case.number).join(CaseEvent, CaseEvent.case_id == Case.id).where(CaseEvent.kind == "assigned")
            )
        )
    assert Counter(assignee for _, _, assignee in rows) == {
        people["laura"].id: 10,
        people["mario"].id: 10,
        pedro.id: 10,
    }
    assert {status for _, status, _ in rows} == {"assigned"}
    assert assigned_events == {number: 1 for number, _, _ in rows}
    # Round after round, each advisor gets one before anyone gets a second.
    for start in range(0, 30, 3):
        assert len({assignee for _, _, assignee in rows[start : start + 3]}) == 3


def test_on_a_tie_the_advisor_who_waited_longest_gets_the_case(desk, people, uploads, now):
    make_user(desk, "pedro.sanchez", role="advisor", areas=[GT], full_name="Pedro Sánchez")
    laura, mario, pedro = people["laura"], people["mario"], _actor(desk, "pedro.sanchez")
    _put_user(desk, "laura.rios", last_assigned_at=T0 - H)
    _put_user(desk, "mario.ruiz", last_assigned_at=T0 - 3 * H)  # pedro: never assigned (None)
    got = []
    for minute in range(1, 5):
        now.set(T0 + timedelta(minutes=minute))
        got.append(_case(desk, _register(desk, people["ana"], uploads)).assignee_id)
    # Never assigned first, then the oldest; the fourth (all tied at one open case) goes round again.
    assert got == [pedro.id, mario.id, laura.id, pedro.id]
    with unit_of_work(desk, write=False) as session:
        stamps = dict(
            session.execute(sa.select(User.username, User.last_assigned_at).where(User.role == "advisor")).all()
        )
    assert stamps["pedro.sanchez"] == T0 + timedelta(minutes=4)
    assert stamps["mario.ruiz"] == T0 + timedelta(minutes=2)
    assert stamps["laura.rios"] == T0 + timedelta(minutes=3)


def test_an_inactive_advisor_gets_no_cases(desk, people, uploads):
    make_user(desk, "pedro.sanchez", role="advisor", areas=[GT], full_name="Pedro Sánchez")
    _put_user(desk, "laura.rios", active=False)
    for _ in range(4):
        _register(desk, people["ana"], uploads)
    with unit_of_work(desk, write=False) as session:
        counts = Counter(session.scalars(sa.select(Case.assignee_id)))
    assert counts == {people["mario"].id: 2, _actor(desk, "pedro.sanchez").id: 2}
    assert _count(desk, Notification, Notification.user_id == people["laura"].id) == 0


def test_in_manual_mode_a_new_case_stays_new_and_unassigned(desk, people, uploads):
    _set_mode(desk, "manual", GT)
    numbers = [_register(desk, people["ana"], uploads) for _ in range(3)]
    for number in numbers:
        case = _case(desk, number)
        assert (case.status, case.assignee_id) == ("new", None)
        assert _kinds(desk, number) == ["registered"]
    # The other area is still automatic.
    other = _case(desk, _register(desk, people["ana"], uploads, option="Aseo"))
    assert (other.status, other.assignee_id) == ("assigned", people["jorge"].id)


def test_resolved_and_closed_cases_do_not_count_as_open_for_the_balance(desk, people, uploads, now):
    laura, mario = people["laura"], people["mario"]
    _set_mode(desk, "manual", GT)
    numbers = [_register(desk, people["ana"], uploads) for _ in range(4)]
    _put(desk, numbers[0], status="resolved", assignee_id=laura.id)
    _put(desk, numbers[1], status="resolved", assignee_id=laura.id)
    _put(desk, numbers[2], status="closed", assignee_id=laura.id)
    _put(desk, numbers[3], status="in_progress", assignee_id=mario.id)
    _put_user(desk, "laura.rios", last_assigned_at=T0 - H)
    _put_user(desk, "mario.ruiz", last_assigned_at=T0 - 2 * H)
    _set_mode(desk, "automatic", GT)
    now.set(T0 + H)
    # Laura has no open case, Mario has one: Laura gets it although Mario waited longer.
    assert _case(desk, _register(desk, people["ana"], uploads)).assignee_id == laura.id
    now.set(T0 + 2 * H)
    # One open case each: now the one who waited longest.
    assert _case(desk, _register(desk, people["ana"], uploads)).assignee_id == mario.id


# --- 4. SLA arithmetic --------------------------------------------------------------------------


def test_waiting_stops_the_sla_clock_and_moving_on_pushes_the_due_time_by_the_time_waited(desk, people, uploads, now):
    laura = people["laura"]
    number = _register(desk, people["ana"], uploads)
    case = _case(desk, number)
    assert (case.created_at, case.due_at) == (T0, T0 + 24 * H)

    now.set(T0 + 2 * H)
    _act(desk, workflow.change_status, laura, number, to="waiting", expected_version=case.version)
    case = _case(desk, number)
    assert (case.status, case.waiting_since, case.due_at) == ("waiting", T0 + 2 * H, T0 + 24 * H)
    for later in (T0 + 2 * H, T0 + 3 * H, T0 + 4 * H + timedelta(minutes=59), T0 + 30 * H):
        assert workflow.time_left(case.due_at, case.waiting_since, later) == 22 * H

    now.set(T0 + 5 * H)
    _act(desk, workflow.change_status, laura, number, to="in_progress", expected_version=case.version)
    case = _case(desk, number)
    assert (case.status, case.waiting_since) == ("in_progress", None)
    assert case.due_at == T0 + 27 * H  # exactly the 3 hours spent waiting
    assert workflow.time_left(case.due_at, case.waiting_since, T0 + 5 * H) == 22 * H
    assert workflow.time_left(case.due_at, case.waiting_since, T0 + 6 * H) == 21 * H
    assert workflow.time_left(None, None, T0) is None


def test_resolving_a_waiting_case_also_gives_back_the_time_waited(desk, people, uploads, now):
    laura = people["laura"]
    number = _register(desk, people["ana"], uploads)
    now.set(T0 + 2 * H)
    _act(desk, workflow.change_status, laura, number, to="waiting", expected_version=None)
    now.set(T0 + 7 * H)
    _act(desk, workflow.resolve_case, laura, number, solution="Se reinició el equipo.", expected_version=None)
    case = _case(desk, number)
    assert (case.status, case.waiting_since, case.resolved_at) == ("resolved", None, T0 + 7 * H)
    assert case.due_at == T0 + 29 * H


def test_raising_the_urgency_to_very_high_moves_the_due_time_20_hours_earlier_with_a_reason(desk, people, uploads, now):
    laura = people["laura"]
    number = _register(desk, people["ana"], uploads)
    option = _option_id(desk, "Impresoras")
    before = _snapshot(desk, number)
    with pytest.raises(ValidationFailed) as no_reason:
        _act(
            desk,
            workflow.reclassify,
            laura,
            number,
            urgency="very_high",
            option_id=option,
            reason="  \n ",
            expected_version=None,
        )
    assert no_reason.value.key == "workflow.reason_required"
    assert _snapshot(desk, number) == before

    now.set(T0 + 3 * H)
    _act(
        desk,
        workflow.reclassify,
        laura,
        number,
        urgency="very_high",
        option_id=option,
        reason="  Toda la sede sin impresión ",
        expected_version=_case(desk, number).version,
    )
    case = _case(desk, number)
    assert (case.urgency, case.due_at, case.status, case.assignee_id) == ("very_high", T0 + 4 * H, "assigned", laura.id)
    assert _events(desk, number)[-1] == (
        "reclassified",
        laura.id,
        {
            "before": {"urgency": "medium", "option": "Impresoras", "area": GT},
            "after": {"urgency": "very_high", "option": "Impresoras", "area": GT},
            "reason": "Toda la sede sin impresión",
        },
    )


def test_moving_a_case_to_the_other_areas_option_requeues_it_there_and_assigns_an_advisor_of_that_area(
    desk, people, uploads, now
):
    laura, jorge = people["laura"], people["jorge"]
    number = _register(desk, people["ana"], uploads)
    now.set(T0 + H)
    _act(desk, workflow.change_status, laura, number, to="in_progress", expected_version=None)
    now.set(T0 + 2 * H)
    _act(
        desk,
        workflow.reclassify,
        laura,
        number,
        urgency="high",
        option_id=_option_id(desk, "Aseo"),
        reason="Es un tema de aseo",
        expected_version=None,
    )
    case = _case(desk, number)
    assert (case.area_id, case.assignee_id, case.status) == (_area_id(desk, SG), jorge.id, "assigned")
    assert case.due_at == T0 + 8 * H  # Servicios Generales, high: 8 hours from registration
    kinds = _kinds(desk, number)
    assert kinds[-2:] == ["reclassified", "assigned"]
    assert _events(desk, number)[-2][2]["after"] == {"urgency": "high", "option": "Aseo", "area": SG}
    # Laura no longer sees it; Jorge does.
    with pytest.raises(NotFound):
        _act(desk, cases.get_case, laura, number)
    assert _act(desk, cases.get_case, jorge, number).assignee == "Jorge Díaz"


def test_moving_a_case_to_an_area_without_automatic_assignment_leaves_it_new_and_unassigned(desk, people, uploads, now):
    laura = people["laura"]
    _set_mode(desk, "manual", SG)
    number = _register(desk, people["ana"], uploads)
    _act(desk, workflow.change_status, laura, number, to="waiting", expected_version=None)
    now.set(T0 + 2 * H)
    _act(
        desk,
        workflow.reclassify,
        laura,
        number,
        urgency="medium",
        option_id=_option_id(desk, "Aseo"),
        reason="Es un tema de aseo",
        expected_version=None,
    )
    case = _case(desk, number)
    assert (case.assignee_id, case.status, case.waiting_since) == (None, "new", None)
    assert case.due_at == T0 + 26 * H  # same hours in both areas, plus the 2 hours it waited
    assert _kinds(desk, number)[-1] == "reclassified"
    queued = _count(desk, Notification, Notification.kind == "case_queued", Notification.user_id == people["jorge"].id)
    assert queued == 1  # told once, now that the case is in his area's queue


def test_a_case_cannot_be_moved_to_an_option_of_an_inactive_area(desk, people, uploads):
    laura = people["laura"]
    number = _register(desk, people["ana"], uploads)
    with unit_of_work(desk) as session:  # the admin closes Servicios Generales while Laura has the form open
        session.execute(sa.update(Area).where(Area.name == SG).values(active=False))
    before = _snapshot(desk, number)
    with pytest.raises(ValidationFailed) as refused:
        _act(
            desk,
            workflow.reclassify,
            laura,
            number,
            urgency="medium",
            option_id=_option_id(desk, "Aseo"),
            reason="Es un tema de aseo",
            expected_version=None,
        )
    assert (refused.value.key, refused.value.field) == ("case.option_invalid", "option")
    assert _snapshot(desk, number) == before


# --- 5. first response ----------------------------------------------------------------------


def test_first_response_is_the_first_public_reply_of_the_staff(desk, people, uploads, now):
    ana, laura = people["ana"], people["laura"]
    number = _register(desk, ana, uploads)
    now.set(T0 + H)
    _post(desk, ana, uploads, number, "¿Alguna novedad?")
    assert _case(desk, number).first_response_at is None
    now.set(T0 + 2 * H)
    _post(desk, laura, uploads, number, "Revisar la bandeja 2.", internal=True)
    assert _case(desk, number).first_response_at is None
    now.set(T0 + 3 * H)
    _post(desk, laura, uploads, number, "Voy para allá.")
    assert _case(desk, number).first_response_at == T0 + 3 * H
    now.set(T0 + 4 * H)
    _post(desk, laura, uploads, number, "Ya llegué.")
    assert _case(desk, number).first_response_at == T0 + 3 * H


# --- 6. a requester's reply ends "En espera" ---------------------------------------------------


def test_a_requesters_reply_to_a_waiting_case_moves_it_back_to_in_progress(desk, people, uploads, now):
    ana, laura = people["ana"], people["laura"]
    number = _register(desk, ana, uploads)
    now.set(T0 + 2 * H)
    _act(desk, workflow.change_status, laura, number, to="waiting", expected_version=None)
    now.set(T0 + 3 * H)
    _post(desk, laura, uploads, number, "Esperamos la foto del error.", internal=True)
    case = _case(desk, number)
    assert (case.status, case.waiting_since, case.due_at) == ("waiting", T0 + 2 * H, T0 + 24 * H)

    now.set(T0 + 5 * H)
    _post(desk, ana, uploads, number, "Ya envié la foto.")
    case = _case(desk, number)
    assert (case.status, case.waiting_since, case.status_changed_at) == ("in_progress", None, T0 + 5 * H)
    assert case.due_at == T0 + 27 * H
    assert ("status_changed", ana.id, {"source": "waiting", "target": "in_progress"}) in _events(desk, number)


# --- 7. optimistic locking --------------------------------------------------------------------


def test_a_stale_resolve_after_another_advisors_change_is_refused_and_applies_nothing(desk, people, uploads):
    laura, mario = people["laura"], people["mario"]
    number = _register(desk, people["ana"], uploads)
    seen_by_a = _act(desk, cases.get_case, laura, number).version
    seen_by_b = _act(desk, cases.get_case, mario, number).version
    assert seen_by_a == seen_by_b

    _act(desk, workflow.change_status, laura, number, to="in_progress", expected_version=seen_by_a)
    before = _snapshot(desk, number)
    with pytest.raises(Conflict) as stale:
        _act(desk, workflow.resolve_case, mario, number, solution="Cambié el tóner.", expected_version=seen_by_b)
    assert stale.value.key == "case.stale"
    assert _snapshot(desk, number) == before
    case = _case(desk, number)
    assert (case.status, case.solution, case.resolved_at) == ("in_progress", None, None)
    assert "resolved" not in _kinds(desk, number)
    assert _count(desk, Notification, Notification.kind == "case_resolved") == 0
    assert _count(desk, OutboxEmail, OutboxEmail.body_text.contains("Cambié el tóner.")) == 0

    # With the version they now see, the same resolve goes through.
    _act(desk, workflow.resolve_case, mario, number, solution="Cambié el tóner.", expected_version=case.version)
    assert _case(desk, number).status == "resolved"


def _race(engine, *contenders):
    """Run each (name, call) in its own thread and unit of work at the same moment; name → "ok" or error key."""
    results = {}
    start = threading.Barrier(len(contenders))

    def run(name, call):
        start.wait()
        try:
            with unit_of_work(engine) as session:
                call(session)
            results[name] = "ok"
        except Conflict as exc:
            results[name] = exc.key
        except Exception as exc:  # anything else fails the test below
            results[name] = repr(exc)

    threads = [threading.Thread(target=run, args=contender) for contender in contenders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_racing_actions_on_the_same_version_let_exactly_one_through(desk, people, uploads):
    laura, mario, admin = people["laura"], people["mario"], _actor(desk, "admin.mesa")
    _set_mode(desk, "manual", GT)
    for rival in ("mario takes", "the admin assigns to mario"):
        number = _register(desk, people["ana"], uploads)
        version = _case(desk, number).version

        def rival_call(session, rival=rival, number=number, version=version):
            if rival == "mario takes":
                workflow.take_case(session=session, actor=mario, number=number, expected_version=version)
            else:
                workflow.assign_case(
                    session=session, actor=admin, number=number, advisor_username="mario.ruiz", expected_version=version
                )

        results = _race(
            desk,
            (
                "laura takes",
                lambda session, n=number, v=version: workflow.take_case(
                    session=session, actor=laura, number=n, expected_version=v
                ),
            ),
            (rival, rival_call),
        )
        assert sorted(results.values()) == ["case.stale", "ok"], results
        winner = laura.id if results["laura takes"] == "ok" else mario.id
        case = _case(desk, number)
        assert (case.assignee_id, case.status, case.version) == (winner, "assigned", version + 1)
        assert _kinds(desk, number).count("assigned") == 1


# --- 8. resolving ----------------------------------------------------------------------------


def test_resolving_needs_a_solution_and_tells_the_requester_with_a_link_to_answer(desk, people, uploads, now):
    laura = people["laura"]
    number = _register(desk, people["ana"], uploads)
    before = _snapshot(desk, number)
    for blank in ("", "  \n\t ", None):
        with pytest.raises(ValidationFailed) as refused:
            _act(desk, workflow.resolve_case, laura, number, solution=blank, expected_version=None)
        assert (refused.value.key, refused.value.field) == ("workflow.solution_required", "solution")
    assert _snapshot(desk, number) == before

    now.set(T0 + 4 * H)
    _act(
        desk,
        workflow.resolve_case,
        laura,
        number,
        solution="  Se cambió el cartucho de tóner.  ",
        expected_version=_case(desk, number).version,
    )
    case = _case(desk, number)
    assert (case.status, case.resolved_at, case.solution) == ("resolved", T0 + 4 * H, "Se cambió el cartucho de tóner.")
    assert _kinds(desk, number)[-1] == "resolved"
    ana_id = people["ana"].id
    assert _count(desk, Notification, Notification.user_id == ana_id, Notification.kind == "case_resolved") == 1
    with unit_of_work(desk, write=False) as session:
        mails = session.scalars(
            sa.select(OutboxEmail.body_text).where(
                OutboxEmail.to_address == "ana.perez@example.org",
                OutboxEmail.body_text.contains("Se cambió el cartucho de tóner."),
            )
        ).all()
    assert len(mails) == 1
    assert f"verificar?caso={number}&responder=1" in mails[0]


# --- 9. internal notes never reach the requester --------------------------------------------------


def test_an_internal_note_never_reaches_the_requester(desk, people, uploads, now):
    ana, laura = people["ana"], people["laura"]
    number = _register(desk, ana, uploads)
    now.set(T0 + H)
    _post(desk, laura, uploads, number, "Visible para todos.")
    notifications_before = _count(desk, Notification, Notification.user_id == ana.id)
    mails_before = _count(desk, OutboxEmail, OutboxEmail.to_address == "ana.perez@example.org")
    activity_before = _case(desk, number).last_activity_at

    now.set(T0 + 2 * H)
    secret = "Nota-secreta: el jefe de Ana pidió no priorizar"
    _post(desk, laura, uploads, number, secret, internal=True, files=[NewFile("diagnostico.txt", b"interno")])

    seen = _act(desk, cases.get_case, ana, number)
    assert [m.body for m in seen.messages] == ["Visible para todos."]
    assert not any(e.internal for e in seen.events) and "note" not in [e.kind for e in seen.events]
    assert [a.name for a in seen.attachments] == []
    assert secret not in repr(seen) and "diagnostico.txt" not in repr(seen)
    assert seen.last_activity_at == activity_before
    assert _count(desk, Notification, Notification.user_id == ana.id) == notifications_before
    assert _count(desk, OutboxEmail, OutboxEmail.to_address == "ana.perez@example.org") == mails_before
    assert _count(desk, OutboxEmail, OutboxEmail.body_text.contains("Nota-secreta")) == 0
    assert _count(desk, OutboxEmail, OutboxEmail.body_html.contains("Nota-secreta")) == 0
    # The staff see it.
    staff_view = _act(desk, cases.get_case, laura, number)
    assert [(m.body, m.internal) for m in staff_view.messages][-1] == (secret, True)
    assert "diagnostico.txt" in [a.name for a in staff_view.attachments]


# --- 10. the inbox ---------------------------------------------------------------------------


def test_an_advisor_sees_only_their_areas_cases_and_a_manager_sees_every_area(desk, people, uploads):
    gt = [_register(desk, people["ana"], uploads) for _ in range(2)]
    sg = [_register(desk, people["carlos"], uploads, option="Aseo", subject="Baño sucio") for _ in range(2)]
    assert sorted(_numbers(desk, people["laura"])) == gt
    assert sorted(_numbers(desk, people["jorge"])) == sg
    assert sorted(_numbers(desk, people["marta"])) == gt + sg
    assert _inbox(desk, people["laura"]).total == 2
    with unit_of_work(desk, write=False) as session:
        assert [name for _, name in inbox.areas_in_scope(session=session, actor=people["laura"])] == [GT]
        assert [name for _, name in inbox.areas_in_scope(session=session, actor=people["marta"])] == [GT, SG]


def test_an_employee_gets_no_inbox(desk, people, uploads):
    _register(desk, people["ana"], uploads)
    for employee in (people["ana"], people["carlos"]):
        with pytest.raises(PermissionDenied):
            _inbox(desk, employee)
        with pytest.raises(PermissionDenied):
            _figures(desk, employee)


def test_the_inbox_lists_the_soonest_due_first_and_pages_in_twos(desk, people, uploads, now):
    ana = people["ana"]
    for minute, urgency in enumerate(("low", "very_high", "medium", "very_low", "high")):
        now.set(T0 + timedelta(minutes=minute))
        _register(desk, ana, uploads, urgency=urgency, subject=f"Caso {urgency}")
    # Due: #2 at 4 h, #5 at 8 h, #3 at 24 h, #1 at 48 h, #4 at 72 h.
    assert _numbers(desk, people["laura"]) == [2, 5, 3, 1, 4]
    first = _inbox(desk, people["laura"], page=1, page_size=2)
    assert ([r.number for r in first.rows], first.total, first.pages) == ([2, 5], 5, 3)
    assert [r.number for r in _inbox(desk, people["laura"], page=2, page_size=2).rows] == [3, 1]
    assert [r.number for r in _inbox(desk, people["laura"], page=3, page_size=2).rows] == [4]
    # A page past the end (a filter shrank the list) shows the last one, never an empty list with no pager.
    beyond = _inbox(desk, people["laura"], page=4, page_size=2)
    assert ([r.number for r in beyond.rows], beyond.page) == ([4], 3)
    row = first.rows[0]
    assert (row.subject, row.requester, row.area, row.option, row.urgency, row.status, row.assignee) == (
        "Caso very_high",
        "Ana Pérez",
        GT,
        "Impresoras",
        "very_high",
        "assigned",
        "Mario Ruiz",
    )
    assert row.due_at == T0 + timedelta(minutes=1) + 4 * H


def test_the_inbox_filters_by_area_status_urgency_assignee_and_text(desk, people, uploads):
    ana, carlos, laura, mario, jorge, marta = (people[k] for k in ("ana", "carlos", "laura", "mario", "jorge", "marta"))
    _set_mode(desk, "manual")
    n1 = _register(desk, ana, uploads, subject="Impresora sin tinta")
    n2 = _register(desk, carlos, uploads, subject="Correo no envía", urgency="high", option="Correo electrónico")
    n3 = _register(desk, ana, uploads, subject="Baño del piso 2 sucio", urgency="low", option="Aseo")
    n4 = _register(desk, carlos, uploads, subject="Pantalla rota", urgency="very_high", option="Soporte de equipos")
    n5 = _register(desk, carlos, uploads, subject="Impresora atascada")
    _put(desk, n1, status="assigned", assignee_id=laura.id)
    _put(desk, n3, status="waiting", assignee_id=jorge.id, waiting_since=T0)
    _put(desk, n4, status="in_progress", assignee_id=mario.id)
    _put(desk, n5, status="resolved", assignee_id=laura.id)

    def found(actor, **filters):
        page = _inbox(desk, actor, **filters)
        assert page.total == len(page.rows)
        return {row.number for row in page.rows}

    everything = ("new", "assigned", "in_progress", "waiting", "resolved", "closed")
    assert found(marta) == {n1, n2, n3, n4}  # open statuses by default
    assert found(marta, area_id=_area_id(desk, SG)) == {n3}
    assert found(marta, area_id=_area_id(desk, GT)) == {n1, n2, n4}
    assert found(marta, statuses=("waiting",)) == {n3}
    assert found(marta, statuses=("new", "in_progress")) == {n2, n4}
    assert found(marta, statuses=("resolved",)) == {n5}
    assert found(marta, urgency="medium") == {n1}
    assert found(marta, urgency="medium", statuses=everything) == {n1, n5}
    assert found(marta, assignee="unassigned") == {n2}
    assert found(laura, assignee="me") == {n1}
    assert found(laura, assignee="me", statuses=everything) == {n1, n5}
    assert found(marta, assignee="me") == set()
    assert found(marta, text=str(n3)) == {n3}
    assert found(marta, text=f"  #{n4} ") == {n4}
    assert found(laura, text=str(n3)) == set()  # another area's number
    assert found(marta, text="IMPRESORA") == {n1}
    assert found(marta, text="impresora", statuses=everything) == {n1, n5}
    assert found(marta, text="envía") == {n2}
    assert found(marta, text="PÉREZ") == {n1, n3}
    assert found(marta, text="gómez") == {n2, n4}
    assert found(marta, text="pérez impresora") == {n1}
    assert found(marta, text="pérez pantalla") == set()
    assert found(marta, text="100%") == set()
    assert found(marta, area_id=_area_id(desk, GT), urgency="very_high", assignee="any", text="rota") == {n4}


# The hand-made queue for the key figures, at N = 10:00 in Bogotá (15:00 UTC); the local day ends
# at 05:00 UTC tomorrow. (status, assignee, due) per case, all in Gestión Tecnológica but the last.
N = datetime(2025, 3, 10, 15, 0)
END_OF_DAY = datetime(2025, 3, 11, 5, 0)
QUEUE = {
    1: ("new", None, N + 2 * H),  # unassigned, due today
    2: ("in_progress", "laura", N - H),  # Laura's, overdue
    3: ("waiting", "laura", N - 3 * H),  # Laura's, waiting: past due time but the clock is stopped
    4: ("assigned", "mario", datetime(2025, 3, 11, 4, 30)),  # 23:30 in Bogotá: still today
    5: ("in_progress", "mario", END_OF_DAY),  # exactly local midnight: tomorrow
    6: ("resolved", "laura", N - 5 * H),  # finished: counted nowhere
    7: ("in_progress", "mario", N - 2 * H),  # overdue
    8: ("assigned", "mario", N - 6 * H),  # overdue
    9: ("waiting", "mario", N + H),  # waiting, though its due time is today
    10: ("closed", "laura", N - 8 * H),  # finished: counted nowhere
    11: ("in_progress", "mario", N + 5 * H),  # due today
    12: ("assigned", "mario", N - 20 * H),  # overdue
    13: ("waiting", "mario", N + 48 * H),  # waiting
    14: ("assigned", "mario", datetime(2025, 3, 11, 3, 0)),  # 22:00 in Bogotá: due today
    15: ("in_progress", "mario", N - timedelta(minutes=1)),  # overdue by a minute
    16: ("new", None, N - H),  # Servicios Generales: unassigned and overdue
}
LAURAS_FIGURES = {
    "unassigned": {1},
    "mine_open": {2, 3},
    "waiting": {3, 9, 13},
    "due_today": {1, 4, 11, 14},
    "overdue": {2, 7, 8, 12, 15},
    "first_response_overdue": set(),  # this desk sets no first-response target (tests/test_sla.py does)
}


@pytest.fixture
def queue(desk, people, uploads, now):
    _set_mode(desk, "manual")
    now.set(N - 30 * H)
    with unit_of_work(desk) as session:
        aseo = session.scalar(sa.select(ServiceOption.id).where(ServiceOption.name == "Aseo"))
        impresoras = session.scalar(sa.select(ServiceOption.id).where(ServiceOption.name == "Impresoras"))
        for number in QUEUE:
            cases.register_case(
                session=session,
                actor=people["ana"],
                uploads=uploads,
                option_id=aseo if number == 16 else impresoras,
                subject=f"Caso {number}",
                description="Detalle.",
            )
    with unit_of_work(desk) as session:
        for case in session.scalars(sa.select(Case)):
            status, who, due = QUEUE[case.number]
            case.status, case.assignee_id, case.due_at = status, people[who].id if who else None, due
            case.waiting_since = N - 4 * H if status == "waiting" else None
    now.set(N)
    return people


def test_the_key_figures_count_the_queue_by_the_local_day_and_the_running_clock(desk, queue):
    laura = _figures(desk, queue["laura"])
    assert laura == inbox.InboxFigures(
        unassigned=1, mine_open=2, due_today=4, overdue=5, first_response_overdue=0, waiting=3
    )
    manager = _figures(desk, queue["marta"])
    assert manager == inbox.InboxFigures(
        unassigned=2, mine_open=0, due_today=4, overdue=6, first_response_overdue=0, waiting=3
    )
    jorge = _figures(desk, queue["jorge"])
    assert jorge == inbox.InboxFigures(
        unassigned=1, mine_open=0, due_today=0, overdue=1, first_response_overdue=0, waiting=0
    )


def test_each_quick_filter_lists_exactly_the_cases_its_figure_counts(desk, queue):
    figures = _figures(desk, queue["laura"])
    for key in inbox.QUICK_FILTERS:
        listed = _numbers(desk, queue["laura"], quick=key)
        assert set(listed) == LAURAS_FIGURES[key], key
        assert len(listed) == getattr(figures, key), key
        assert listed == sorted(listed, key=lambda n: QUEUE[n][2]), key  # still soonest due first
    assert set(_numbers(desk, queue["marta"], quick="unassigned")) == {1, 16}
    assert set(_numbers(desk, queue["marta"], quick="overdue")) == {2, 7, 8, 12, 15, 16}
    # A quick filter combines with the others.
    assert _numbers(desk, queue["laura"], quick="overdue", assignee="me") == [2]
