"""Administración → Acuerdos de servicio in AppTest, on a real database and a fake clock (Friday 27 November
2026, 17:00 in Bogotá): the week with its break, a bad hour refused in Spanish, a special day in the list and
in the next 30 days, the targets per urgency, and back to every hour of every day."""

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from app_pages.ui import md
from models import Area, Case
from services import clock, sla, users
from services.db import unit_of_work
from tests.conftest import logged_in_app, make_user, register_case, texts

GT = "Gestión Tecnológica"
WEEK = ["07:00-12:00, 14:00-18:00"] * 5 + ["08:00-12:00", ""]


def local(*args) -> datetime:
    """A Bogotá wall-clock time as the desk stores it (naive UTC, five hours later)."""
    return datetime(*args) + timedelta(hours=5)


@pytest.fixture
def now(monkeypatch):
    moment = {"t": local(2026, 11, 27, 17, 0)}  # Friday 17:00 in Bogotá
    monkeypatch.setattr(clock, "now", lambda: moment["t"])
    return moment


@pytest.fixture
def gt(desk, now) -> int:
    """Gestión Tecnológica's id, with Ana to register cases there and Laura to attend them."""
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    make_user(desk, "laura.rios", role="advisor", areas=[GT], full_name="Laura Ríos")
    with unit_of_work(desk, write=False) as session:
        return session.scalar(sa.select(Area.id).where(Area.name == GT))


def _admin(session) -> users.Actor:
    return users.load_actor(session=session, username="admin.mesa")


def _calendar(engine, area_id) -> sla.CalendarView:
    with unit_of_work(engine, write=False) as session:
        return sla.calendar_view(session=session, actor=_admin(session), area_id=area_id)


def _save_week(engine, area_id) -> None:
    with unit_of_work(engine) as session:
        sla.save_calendar(session=session, actor=_admin(session), area_id=area_id, weekly=WEEK)


def _due_at(engine, number) -> datetime:
    with unit_of_work(engine, write=False) as session:
        return session.scalar(sa.select(Case.due_at).where(Case.number == number))


def _sla_page():
    at = logged_in_app("admin.mesa")
    return at.switch_page("app_pages/admin_sla.py").run()


def _type_week(at, area_id, week) -> None:
    for i, hours in enumerate(week):
        at.text_input(key=f"sla_day_{area_id}_{i}").input(hours)


def test_saving_a_week_with_a_break_moves_the_due_time_of_an_open_case(desk, gt, data_dir):
    number = register_case(desk, data_dir / "files")  # Impresoras, Medio: 24 hours
    assert _due_at(desk, number) == local(2026, 11, 28, 17, 0)  # no calendar yet: wall time
    at = _sla_page()

    at.radio(key=f"sla_mode_{gt}").set_value("calendar").run()
    _type_week(at, gt, ["7-12, 14-18", *WEEK[1:]])
    at.button(key=f"sla_save_hours_{gt}").click().run()

    assert not at.exception
    assert "Horario de Gestión Tecnológica guardado. Se recalculó el vencimiento de 1 caso abierto." in texts(at)
    assert _calendar(desk, gt).weekly == tuple(WEEK)
    assert at.text_input(key=f"sla_day_{gt}_0").value == WEEK[0]  # shown as stored
    # Friday 17–18, Saturday 8–12, Monday and Tuesday 9 h each, Wednesday 7–8: 24 business hours.
    assert _due_at(desk, number) == local(2026, 12, 2, 8, 0)


def test_a_bad_hour_is_refused_in_spanish_and_changes_nothing(desk, gt, data_dir):
    _save_week(desk, gt)
    number = register_case(desk, data_dir / "files")
    due = _due_at(desk, number)
    at = _sla_page()

    at.text_input(key=f"sla_day_{gt}_0").input("25:00-26:00")
    at.button(key=f"sla_save_hours_{gt}").click().run()

    assert [e.value for e in at.error] == [f"Lunes: {md('La hora 25:00 no es válida')}"]
    assert at.text_input(key=f"sla_day_{gt}_0").value == "25:00-26:00"  # left as typed, to be fixed
    assert _calendar(desk, gt).weekly == tuple(WEEK)
    assert _due_at(desk, number) == due


def test_a_day_off_shows_in_the_list_and_in_the_next_30_days_until_it_is_removed(desk, gt):
    _save_week(desk, gt)
    at = _sla_page()
    assert md("jueves 24 de diciembre · 07:00-12:00, 14:00-18:00") in texts(at)

    at.date_input(key=f"sla_new_day_{gt}").set_value(date(2026, 12, 24))
    at.text_input(key=f"sla_new_note_{gt}").input("Nochebuena")
    at.button(key=f"sla_add_day_{gt}").click().run()

    assert "Día especial agregado: jueves 24 de diciembre de 2026." in texts(at)
    assert "**jueves 24 de diciembre de 2026** · No se trabaja · Nochebuena" in texts(at)
    assert md("jueves 24 de diciembre · No se trabaja (Nochebuena)") in texts(at)
    assert at.text_input(key=f"sla_new_note_{gt}").value == ""  # the form is ready for the next day
    assert md("martes 8 de diciembre · No se trabaja (La Inmaculada Concepción)") in texts(at)  # the national one
    (day,) = _calendar(desk, gt).exceptions

    at.button(key=f"sla_remove_{day.id}").click().run()

    assert "Día especial quitado: jueves 24 de diciembre de 2026." in texts(at)
    assert _calendar(desk, gt).exceptions == ()
    assert md("jueves 24 de diciembre · 07:00-12:00, 14:00-18:00") in texts(at)


def test_a_reason_typed_with_markup_is_shown_as_typed(desk, gt):
    _save_week(desk, gt)
    at = _sla_page()

    at.date_input(key=f"sla_new_day_{gt}").set_value(date(2026, 12, 24))
    at.text_input(key=f"sla_new_note_{gt}").input("**Cierre** [ver](javascript:alert(1))")
    at.button(key=f"sla_add_day_{gt}").click().run()

    assert md("**Cierre** [ver](javascript:alert(1))") in texts(at)
    assert "**Cierre**" not in texts(at) and "](javascript" not in texts(at)


def test_targets_saved_for_medio_are_stored(desk, gt):
    at = _sla_page()

    at.number_input(key=f"sla_first_{gt}_medium").set_value(2)
    at.number_input(key=f"sla_resolution_{gt}_medium").set_value(8)
    at.button(key=f"sla_save_targets_{gt}").click().run()

    assert not at.exception
    assert "Metas de Gestión Tecnológica guardadas." in texts(at)
    with unit_of_work(desk, write=False) as session:
        assert sla.targets(session, gt, "medium") == sla.Targets(resolution_hours=8, first_response_hours=2)
        assert sla.targets(session, gt, "high").first_response_hours is None  # 0: no target


def test_going_back_to_all_the_time_removes_the_calendar(desk, gt):
    _save_week(desk, gt)
    at = _sla_page()
    assert at.radio(key=f"sla_mode_{gt}").value == "calendar"

    at.radio(key=f"sla_mode_{gt}").set_value("always").run()
    at.button(key=f"sla_save_hours_{gt}").click().run()

    assert not at.exception
    assert _calendar(desk, gt).configured is False
    assert "El área atiende las 24 horas, todos los días." in texts(at)
