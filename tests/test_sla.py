"""The SLA in business time, with a fake clock: Friday 17:00 and a holiday, the pause, the recompute after a
calendar edit, and warnings and breaches told once, never outside business hours, across two senders."""

import threading
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from models import Area, Case, Notification, SlaAlert, User
from services import clock, sla, users, workflow
from services.db import make_engine, unit_of_work
from services.errors import ValidationFailed
from tests.conftest import make_user, register_case

GT = "Gestión Tecnológica"
WEEK = ["07:00-12:00, 14:00-18:00"] * 5 + ["08:00-12:00", ""]
TARGETS = {"very_high": 4, "high": 6, "medium": 8, "low": 16, "very_low": 24}
FIRST = {"very_high": 1, "high": 1, "medium": 2, "low": 4, "very_low": 4}


def local(*args) -> datetime:
    """A Bogotá wall-clock time as the desk stores it (naive UTC, five hours later)."""
    return datetime(*args) + timedelta(hours=5)


@pytest.fixture
def now(monkeypatch):
    moment = {"t": local(2026, 11, 27, 17, 0)}  # Friday 17:00 in Bogotá
    monkeypatch.setattr(clock, "now", lambda: moment["t"])
    return moment


@pytest.fixture
def people(desk, now):
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    make_user(desk, "laura.rios", role="advisor", areas=[GT], full_name="Laura Ríos")
    make_user(desk, "marta.gil", role="manager", full_name="Marta Gil")
    with unit_of_work(desk) as session:
        admin = users.load_actor(session=session, username="admin.mesa")
        area_id = session.scalar(sa.select(Area.id).where(Area.name == GT))
        sla.save_calendar(session=session, actor=admin, area_id=area_id, weekly=WEEK, national_holidays=True)
        sla.set_targets(
            session=session, actor=admin, area_id=area_id, resolution_hours=TARGETS, first_response_hours=FIRST
        )
    desk.area_id = area_id
    return desk


def _case(engine, number) -> Case:
    with unit_of_work(engine, write=False) as session:
        return session.scalar(sa.select(Case).where(Case.number == number))


def _register(engine, data_dir) -> int:
    return register_case(engine, data_dir / "files")  # Impresoras, urgency Medio: 8 h, first response 2 h


def test_a_case_registered_on_friday_at_five_is_due_on_monday_not_saturday(people, data_dir):
    case = _case(people, _register(people, data_dir))

    # Friday 17–18 (1 h) + Saturday 8–12 (4 h) + Monday 7–10 (3 h) = 8 business hours.
    assert case.due_at == local(2026, 11, 30, 10, 0)
    assert case.first_response_due_at == local(2026, 11, 28, 9, 0)  # Friday 17–18 + Saturday 8–9
    assert case.warn_at == local(2026, 11, 30, 8, 0)  # 6 of the 8 hours


def test_a_national_holiday_is_not_worked(people, data_dir, now):
    now["t"] = local(2026, 12, 7, 17, 0)  # Monday 7 December; the 8th is a holiday in Colombia

    case = _case(people, _register(people, data_dir))

    # Monday 17–18 (1 h), Tuesday the 8th off, Wednesday 7–12 (5 h) and 14–16 (2 h).
    assert case.due_at == local(2026, 12, 9, 16, 0)


def test_an_extra_day_off_moves_the_open_cases_at_once(people, data_dir):
    number = _register(people, data_dir)
    seen = []
    with unit_of_work(people) as session:
        admin = users.load_actor(session=session, username="admin.mesa")
        moved = sla.add_exception(
            session=session,
            actor=admin,
            area_id=people.area_id,
            day=date(2026, 11, 30),
            note="Inventario",
            progress=lambda done, total: seen.append((done, total)),
        )

    assert moved == 1 and seen == [(1, 1)]
    # Monday off: Friday 1 h + Saturday 4 h + Tuesday 7–10 3 h.
    assert _case(people, number).due_at == local(2026, 12, 1, 10, 0)
    with unit_of_work(people, write=False) as session:
        days = {d.day: d for d in sla.preview(session=session, actor=admin, area_id=people.area_id, days=30)}
    assert days[date(2026, 11, 30)].hours == "" and days[date(2026, 11, 30)].why == "Inventario"
    assert days[date(2026, 12, 8)].hours == "" and days[date(2026, 12, 8)].why  # the holiday, by its name
    assert days[date(2026, 12, 1)].hours == "07:00-12:00, 14:00-18:00"


def test_a_wait_on_the_requester_pushes_the_due_time_by_the_business_time_it_lasted(people, data_dir, now):
    now["t"] = local(2026, 11, 30, 9, 0)  # Monday 09:00
    number = _register(people, data_dir)
    registered_due = _case(people, number).due_at
    with unit_of_work(people) as session:
        laura = users.load_actor(session=session, username="laura.rios")
    now["t"] = local(2026, 11, 30, 11, 0)
    with unit_of_work(people) as session:
        workflow.change_status(session=session, actor=laura, number=number, to="waiting", expected_version=None)
    now["t"] = local(2026, 12, 1, 8, 0)  # the requester answers on Tuesday at 08:00
    with unit_of_work(people) as session:
        workflow.change_status(session=session, actor=laura, number=number, to="in_progress", expected_version=None)

    case = _case(people, number)
    # The wait held Monday 11–12 and 14–18 and Tuesday 7–8: 6 business hours.
    assert case.paused_seconds == 6 * 3600
    assert case.due_at == sla_add(people, registered_due, hours=6)


def sla_add(engine, moment, *, hours):
    with unit_of_work(engine, write=False) as session:
        from services import business_time

        return business_time.add_business(moment, timedelta(hours=hours), sla.calendar_for(session, engine.area_id))


def _alerts(engine) -> list[tuple[str, str, str]]:
    """(username, kind, target) of every SLA notification, in order."""
    with unit_of_work(engine, write=False) as session:
        rows = session.execute(
            sa.select(User.username, Notification.kind, Notification.detail)
            .join(User, User.id == Notification.user_id)
            .where(Notification.kind.like("sla_%"))
            .order_by(Notification.id)
        ).all()
    return [(u, k, d["target"]) for u, k, d in rows]


def _late_first_responses(engine) -> list[int]:
    """The Bandeja's "Primera respuesta vencida": its figure and its list agree."""
    from services import inbox

    with unit_of_work(engine, write=False) as session:
        laura = users.load_actor(session=session, username="laura.rios")
        figure = inbox.figures(session=session, actor=laura).first_response_overdue
        listed = inbox.list_inbox(
            session=session, actor=laura, filters=inbox.InboxFilters(quick="first_response_overdue")
        )
    assert figure == listed.total
    assert all(r.first_response_left < timedelta(0) for r in listed.rows)
    return [r.number for r in listed.rows]


def test_warnings_and_breaches_are_told_once_and_only_in_business_hours(people, data_dir, now):
    number = _register(people, data_dir)  # Friday 17:00; first response due Saturday 09:00, resolution Monday 10:00

    now["t"] = local(2026, 11, 28, 8, 30)  # Saturday 08:30: 75 % of the first response (1.5 h) has passed
    assert sla.escalate(people) == 1
    assert sla.escalate(people) == 0  # once
    now["t"] = local(2026, 11, 28, 13, 0)  # Saturday 13:00: the first response is overdue, but nobody works
    assert sla.escalate(people) == 0
    now["t"] = local(2026, 11, 30, 7, 0)  # Monday's opening: the breach is told now
    assert _late_first_responses(people) == [number]
    assert sla.escalate(people) == 1
    now["t"] = local(2026, 11, 30, 8, 0)  # resolution at 75 %
    assert sla.escalate(people) == 1
    now["t"] = local(2026, 11, 30, 10, 0)  # resolution due
    assert sla.escalate(people) == 1
    assert sla.escalate(people) == 0

    assert _alerts(people) == [
        ("laura.rios", "sla_warning", "first_response"),
        ("laura.rios", "sla_breach", "first_response"),
        ("marta.gil", "sla_breach", "first_response"),
        ("laura.rios", "sla_warning", "resolution"),
        ("laura.rios", "sla_breach", "resolution"),
        ("marta.gil", "sla_breach", "resolution"),
    ]
    assert _case(people, number).status == "assigned"  # told, nothing else changed (no breach action)


def test_a_breach_told_late_skips_its_warning_and_may_raise_the_urgency(people, data_dir, now):
    with unit_of_work(people) as session:
        admin = users.load_actor(session=session, username="admin.mesa")
        sla.save_calendar(
            session=session,
            actor=admin,
            area_id=people.area_id,
            weekly=WEEK,
            national_holidays=True,
            breach_action="raise",
        )
    number = _register(people, data_dir)
    with unit_of_work(people) as session:
        laura = users.load_actor(session=session, username="laura.rios")
    from services import cases
    from services.cases import Uploads
    from services.storage import Storage

    with unit_of_work(people) as session:
        cases.post_message(
            session=session,
            actor=laura,
            uploads=Uploads(Storage(data_dir / "files"), 5),
            number=number,
            body="Voy para allá.",
        )
    now["t"] = local(2026, 12, 2, 9, 0)  # long after the due time, told at once

    assert sla.escalate(people) == 1
    assert _alerts(people) == [("laura.rios", "sla_breach", "resolution"), ("marta.gil", "sla_breach", "resolution")]
    assert _case(people, number).urgency == "high"
    with unit_of_work(people, write=False) as session:
        kept = session.execute(sa.select(SlaAlert.target, SlaAlert.level).order_by(SlaAlert.level)).all()
    assert sorted(kept) == [("resolution", "breach"), ("resolution", "warning")]


def test_two_senders_escalating_at_once_tell_each_alert_once(people, data_dir, database_url, now):
    numbers = [_register(people, data_dir) for _ in range(6)]
    now["t"] = local(2026, 11, 30, 11, 0)  # every target of every case has come: 4 alerts each
    told = []

    def sender():
        engine = make_engine(database_url)
        try:
            told.append(sla.escalate(engine, now=now["t"]))
        finally:
            engine.dispose()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(told) == 2 * len(numbers)  # one first-response breach and one resolution breach per case
    assert len(_alerts(people)) == 2 * len(numbers) * 2  # each to the assignee and the manager


def test_tomar_is_the_first_response_where_the_area_says_so(people, data_dir):
    with unit_of_work(people) as session:
        admin = users.load_actor(session=session, username="admin.mesa")
        area = session.get(Area, people.area_id)
        area.assignment_mode = "manual"
        sla.save_calendar(session=session, actor=admin, area_id=people.area_id, weekly=WEEK, first_response_on="take")
    number = _register(people, data_dir)
    with unit_of_work(people) as session:
        laura = users.load_actor(session=session, username="laura.rios")
        workflow.take_case(session=session, actor=laura, number=number, expected_version=None)

    assert _case(people, number).first_response_at == clock.now()


def test_bad_hours_are_refused_in_spanish_and_change_nothing(people, data_dir):
    number = _register(people, data_dir)
    before = _case(people, number).due_at
    with unit_of_work(people) as session:
        admin = users.load_actor(session=session, username="admin.mesa")
    for week, key in ((["25:00-26:00"] + [""] * 6, "sla.hours_invalid"), ([""] * 7, "sla.no_working_time")):
        with pytest.raises(ValidationFailed) as refused, unit_of_work(people) as session:
            sla.save_calendar(session=session, actor=admin, area_id=people.area_id, weekly=week)
        assert refused.value.key == key
    assert _case(people, number).due_at == before


def test_a_no_gives_back_the_time_the_case_sat_resolved_and_it_may_be_told_again(people, data_dir, now):
    from services import surveys
    from tests.conftest import resolve_case

    now["t"] = local(2026, 11, 30, 9, 0)  # Monday 09:00: due Tuesday 08:00 (3 + 4 + 1 business hours)
    number = _register(people, data_dir)
    now["t"] = local(2026, 11, 30, 17, 30)  # past 75 % of the resolution (and the first response is late)
    assert sla.escalate(people) == 2
    resolve_case(people, number)
    now["t"] = local(2026, 12, 1, 15, 0)  # Tuesday 15:00, a day later: "No, sigue fallando"
    with unit_of_work(people) as session:
        surveys.answer(
            session=session,
            actor=users.load_actor(session=session, username="ana.perez"),
            number=number,
            round=1,
            resolved=False,
            comment="Sigue fallando.",
        )

    case = _case(people, number)
    # Resolved Monday 17:30 to Tuesday 15:00: 0.5 + 5 + 1 = 6.5 business hours handed back.
    assert case.paused_seconds == int(6.5 * 3600)
    # 8 + 6.5 = 14.5 business hours from Monday 09:00: Monday 7, Tuesday 7.5 (07–12 and 14–16:30).
    assert case.due_at == local(2026, 12, 1, 16, 30)
    assert case.due_at > clock.now()  # not breached the moment it came back
    with unit_of_work(people, write=False) as session:
        told = session.scalars(sa.select(SlaAlert.target)).all()
    assert told == ["first_response", "first_response"]  # its resolution may be warned again; the first
    # response was late and stays told


def test_cases_of_closed_areas_never_crowd_out_an_open_areas(people, data_dir, now):
    make_user(people, "jorge.diaz", role="advisor", areas=["Servicios Generales"], full_name="Jorge Díaz")
    gt_case = _register(people, data_dir)  # Gestión Tecnológica: Monday-to-Saturday hours
    now["t"] = local(2026, 11, 30, 12, 0)  # later, so GT's case comes first in every check's order
    sg_case = register_case(people, data_dir / "files", option="Aseo")  # Servicios Generales: every hour
    now["t"] = local(2026, 12, 6, 13, 0)  # Sunday: GT is closed, SG works; both cases long overdue

    assert sla.escalate(people, limit=1) == 1  # the batch holds one case: it must be SG's, not GT's older one
    with unit_of_work(people, write=False) as session:
        told = set(session.scalars(sa.select(Case.number).join(SlaAlert, SlaAlert.case_id == Case.id)))
    assert told == {sg_case} and gt_case not in told
