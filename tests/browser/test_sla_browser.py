"""Acuerdos de servicio in a real browser, on the real clock: an admin gives Gestión Tecnológica its hours
and takes tomorrow off; a case registered today is due after the day off, as the advisor's work view says;
and once 75 % of a short target has passed, the advisor reads the warning in Mensajes.

The app runs in its own process, so its clock cannot be faked: the days are chosen from today in Bogotá,
and the due times the page and the escalation use are computed here again from the stored calendar."""

import dataclasses
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from babel.dates import format_date

from models import Area, Case
from services import business_time, cases, clock, sla, users
from services.db import unit_of_work
from tests.browser.conftest import SCREENSHOTS, go_to, launch, log_in, settle
from tests.conftest import drop_database, make_user, new_database, register_case
from tests.smtp import SmtpServer

GT = "Gestión Tecnológica"
DAY = "07:00-18:00"
WEEKDAYS = ("Lunes", "Martes", "Miércoles", "Jueves", "Viernes", "Sábado", "Domingo")
WIDTHS = (1280, 700, 390)


@pytest.fixture(scope="module")
def sla_desk(tmp_path_factory, migrated_template, chromium):
    """The app, with Laura Ríos attending Gestión Tecnológica."""
    smtp = SmtpServer().start()
    folder = tmp_path_factory.mktemp("live-sla")
    app = launch(folder, new_database(migrated_template, folder), chromium, smtp)
    make_user(app.engine, "laura.rios", "advisor", areas=[GT], full_name="Laura Ríos")
    with unit_of_work(app.engine, write=False) as session:
        app.area_id = session.scalar(sa.select(Area.id).where(Area.name == GT))
    yield app
    app.stop()
    smtp.stop()
    drop_database(app.database_url)


def spoken_day(day, *, year: bool) -> str:
    return format_date(day, "EEEE d 'de' MMMM 'de' y" if year else "EEEE d 'de' MMMM", locale="es")


def case_row(engine, number: int) -> Case:
    with unit_of_work(engine, write=False) as session:
        return session.scalar(sa.select(Case).where(Case.number == number))


def as_admin(service, engine, **kwargs):
    with unit_of_work(engine) as session:
        return service(session=session, actor=users.load_actor(session=session, username="admin.mesa"), **kwargs)


def pictures(tab, name: str) -> None:
    """The page from its top at a desktop's, a tablet's and a phone's width, each window as tall as the
    content (Streamlit scrolls inside its own container, so a "full page" screenshot is only the window)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = tab.viewport_size
    for width in WIDTHS:
        tab.set_viewport_size({"width": width, "height": size["height"]})
        settle(tab)
        content = tab.evaluate("document.querySelector('[data-testid=stMainBlockContainer]').offsetHeight")
        tab.set_viewport_size({"width": width, "height": max(size["height"], min(content + 80, 4000))})
        tab.evaluate("document.querySelector('[data-testid=stMain]').scrollTo(0, 0)")
        settle(tab)
        tab.mouse.move(width - 5, 5)  # no hover effect where the last click was
        tab.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), animations="disabled")
    tab.set_viewport_size(size)
    settle(tab)


def test_a_day_off_added_by_the_admin_moves_a_new_cases_due_time_past_it(sla_desk, open_tab):
    tomorrow = clock.local_now().date() + timedelta(days=1)
    admin = open_tab()
    log_in(admin, sla_desk.url, "admin.mesa")
    go_to(admin, "Administración", "Acuerdos de servicio")

    admin.get_by_role("radiogroup", name="¿Cuándo corre el tiempo de los casos?").get_by_text(
        "Horario del área"
    ).click()
    for weekday in WEEKDAYS:
        admin.get_by_role("textbox", name=weekday, exact=True).fill(DAY)
    admin.get_by_role("button", name="Guardar horario").click()
    admin.get_by_text("Horario de Gestión Tecnológica guardado.").wait_for()

    settle(admin)
    # The date field is three parts (day, month, year) typed one after the other, as a person types it.
    admin.get_by_role("group", name="Día", exact=True).get_by_role("spinbutton").first.click()
    admin.keyboard.type(tomorrow.strftime("%d%m%Y"))
    admin.get_by_role("textbox", name="Motivo", exact=True).fill("Festivo de prueba")
    admin.get_by_role("button", name="Agregar día").click()
    admin.get_by_text(f"Día especial agregado: {spoken_day(tomorrow, year=True)}.").wait_for()
    admin.get_by_text(f"{spoken_day(tomorrow, year=False)} · No se trabaja (Festivo de prueba)").wait_for()
    pictures(admin, "acuerdos-de-servicio")

    number = register_case(sla_desk.engine, sla_desk.data_dir / "attachments", subject="Sin red en el piso 3")
    case = case_row(sla_desk.engine, number)
    with unit_of_work(sla_desk.engine, write=False) as session:
        calendar = sla.calendar_for(session, sla_desk.area_id)
        hours = timedelta(hours=sla.targets(session, sla_desk.area_id, case.urgency).resolution_hours)
    assert tomorrow in calendar.extra
    assert case.due_at == business_time.add_business(case.created_at, hours, calendar)
    without_the_day_off = business_time.add_business(case.created_at, hours, dataclasses.replace(calendar, extra={}))
    assert case.due_at > without_the_day_off and clock.local_day(case.due_at) > tomorrow

    laura = open_tab()
    log_in(laura, f"{sla_desk.url}/bandeja?caso={number}", "laura.rios")
    laura.get_by_role("heading", name=f"Caso #{number}").wait_for()
    laura.get_by_text(f"el {clock.spoken(case.due_at)} · quedan").wait_for()
    pictures(laura, "acuerdos-de-servicio-caso")


def test_the_advisor_reads_the_warning_once_three_quarters_of_the_target_have_passed(sla_desk, open_tab):
    # Every hour of every day is working time here (no day off either), so the warning is told whatever the
    # hour of the run; the target is one business hour for every urgency.
    as_admin(sla.save_calendar, sla_desk.engine, area_id=sla_desk.area_id, weekly=["00:00-24:00"] * 7)
    for day in as_admin(sla.calendar_view, sla_desk.engine, area_id=sla_desk.area_id).exceptions:
        as_admin(sla.remove_exception, sla_desk.engine, exception_id=day.id)
    as_admin(
        sla.set_targets,
        sla_desk.engine,
        area_id=sla_desk.area_id,
        resolution_hours={u.value: 1 for u in cases.URGENCIES},
        first_response_hours={},
    )
    number = register_case(sla_desk.engine, sla_desk.data_dir / "attachments", subject="Servidor de archivos lento")
    with unit_of_work(sla_desk.engine) as session:  # registered 50 minutes ago: past 45 of its 60 minutes
        session.execute(
            sa.update(Case).where(Case.number == number).values(created_at=clock.now() - timedelta(minutes=50))
        )
        sla.recompute(session, sla_desk.area_id)
    case = case_row(sla_desk.engine, number)
    assert case.warn_at < clock.now() < case.due_at

    sla.escalate(sla_desk.engine)

    laura = open_tab()
    log_in(laura, sla_desk.url, "laura.rios")
    settle(laura)
    laura.get_by_role("link", name=re.compile(r"^Mensajes \(\d+\)")).click()
    laura.get_by_text(f"Se acerca el vencimiento de la solución del caso #{number}").first.wait_for()
    pictures(laura, "acuerdos-de-servicio-aviso")
