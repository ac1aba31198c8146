"""Five journeys in a real browser, as people do them: the manual's case from registration to its rating,
an admin's new user, and Mi cuenta's visual mode and Cerrar sesión.

The first five tests tell one story on one app, in order: Ana registers a case, Carlos (advisor) takes and
resolves it, Ana says "No", Carlos resolves again, Ana says "Sí" with 4 stars, Marta (manager) sees it.
MESA_SCREENSHOTS_DIR=docs/screenshots (docs/screenshots.sh) keeps their screenshots as the README pictures.
"""

import json
import re

import pytest
from playwright.sync_api import expect

from app_pages.ui.display import _THEME_SCRIPT
from services import cases, catalogue
from services.db import unit_of_work
from services.storage import Storage
from services.users import Actor, load_actor
from tests.browser.conftest import (
    DARK_PAGE,
    choose,
    fill_login_form,
    go_to,
    hidden_chips,
    log_in,
    open_dialog,
    screenshot,
    settle,
    wait_for_mail,
)
from tests.conftest import PASSWORD, make_user

REQUESTER, REQUESTER_NAME, REQUESTER_MAIL = "ana.perez", "Ana Pérez", "ana.perez@example.org"
ADVISOR, ADVISOR_NAME, ADVISOR_MAIL = "carlos.rueda", "Carlos Rueda", "carlos.rueda@example.org"
MANAGER, MANAGER_NAME = "marta.gomez", "Marta Gómez"
SUBJECT = "El portátil no enciende"
DESCRIPTION = "Desde esta mañana el portátil no prende; la luz de carga parpadea en naranja."
FIRST_SOLUTION = "Se cambió el cargador por uno nuevo."
SECOND_SOLUTION = "Se reemplazó la batería y se probó el equipo con usted."


@pytest.fixture(scope="module")
def story(live_app):
    """The people of the story, and what one step leaves for the next (the case number).

    Gestión Tecnológica works as a manual queue here, so the advisor takes the case himself (Tomar).
    """
    make_user(live_app.engine, ADVISOR, "advisor", areas=[catalogue.GESTION_TECNOLOGICA], full_name=ADVISOR_NAME)
    make_user(live_app.engine, MANAGER, "manager", full_name=MANAGER_NAME)
    with unit_of_work(live_app.engine) as session:
        area = next(a for a in catalogue.list_areas(session=session) if a.name == catalogue.GESTION_TECNOLOGICA)
        catalogue.set_assignment_mode(session=session, actor=Actor.system(), area_id=area.id, mode="manual")
    return {}


def case_number(story) -> str:
    if "number" not in story:
        pytest.fail("the case of the story was not registered (the manual's journey failed first)")
    return story["number"]


def main(tab):
    """The page's content, without the menu."""
    return tab.get_by_test_id("stMain")


def enter(tab, url: str, username: str, full_name: str, password: str = PASSWORD) -> None:
    """Log in and wait for the menu of the account (its section carries the user's name)."""
    log_in(tab, url, username, password)
    tab.get_by_test_id("stTopNavSection").filter(has_text=full_name).wait_for()
    settle(tab)


# What apply_theme sends a browser whose user chose the dark mode, to run in a page as it is.
THEME_SCRIPT = (_THEME_SCRIPT % json.dumps("Dark")).replace("<script>", "").replace("</script>", "")


def open_in_inbox(tab, number: str) -> None:
    """Bandeja de casos → "Abrir el caso" → the number typed → Enter: the advisor's work view of the case."""
    go_to(tab, "Asesor", "Bandeja de casos")
    field = tab.get_by_role("textbox", name="Abrir el caso")
    field.fill(str(number))
    field.press("Enter")
    tab.get_by_role("heading", name=f"Caso #{number}").wait_for()


def resolve(tab, solution: str) -> None:
    """The work view's Resolver tab: the solution, then Resolver."""
    settle(tab)
    tab.get_by_role("tab", name="Resolver").click()
    tab.get_by_role("textbox", name="Solución").fill(solution)
    settle(tab)
    tab.get_by_role("button", name="Resolver", exact=True).click()
    tab.get_by_text("Caso resuelto. Se le preguntará al solicitante si su solicitud fue resuelta.").wait_for()


def survey_dialog(tab, number: str):
    """The "¿Su solicitud fue resuelta?" dialog that greets the requester, about this case."""
    dialog = tab.get_by_role("dialog")
    dialog.get_by_text("¿Su solicitud fue resuelta?").first.wait_for()
    dialog.get_by_text(f"Caso #{number}").first.wait_for()
    return dialog


def open_in_verificar(tab, number: str, status: str) -> None:
    """Mesa de Servicio → Verificar mis Casos → the case's line (number · subject · status · urgency) opens."""
    go_to(tab, "Mesa de Servicio", "Verificar mis Casos")
    heading = tab.get_by_text(f"#{number} · {SUBJECT} · {status} · Alto")
    heading.wait_for()
    settle(tab)
    heading.click()
    tab.get_by_text(DESCRIPTION).wait_for()


# --- 1. The manual, step by step -----------------------------------------------------------------------


def test_an_employee_registers_a_case_with_two_files_and_writes_to_the_advisor(live_app, story, page, tmp_path):
    page.goto(live_app.url)
    page.get_by_role("button", name="Ingresar").wait_for()
    screenshot(page, "login", narrow=True)
    photo = tmp_path / "luz-de-carga.png"
    photo.write_bytes(page.screenshot(clip={"x": 0, "y": 0, "width": 64, "height": 48}))
    report = tmp_path / "detalle.txt"
    report.write_text("Modelo: Lenovo T14\nSerie: PF-3K2L9\nÚltimo uso: ayer a las 6 p. m.\n")

    fill_login_form(page, REQUESTER)
    page.get_by_text(f"Hola, {REQUESTER_NAME}").first.wait_for()
    go_to(page, "Mesa de Servicio", "Registrar un Caso")
    page.get_by_role("button", name="Gestión Tecnológica").click()
    settle(page)
    page.get_by_text("Soporte de equipos", exact=True).click()
    page.get_by_role("textbox", name="Asunto").fill(SUBJECT)
    page.get_by_role("textbox", name="Describa lo que pasó").fill(DESCRIPTION)
    choose(page, "Urgencia", "Alto")

    dialog = open_dialog(page, "Adjuntar archivo")
    dialog.get_by_text("Archivos Adjuntos").wait_for()
    for file, description in ((photo, "Foto de la luz de carga"), (report, "Modelo y serie del equipo")):
        settle(page)  # the run that saved the previous file has drawn the fresh, empty uploader
        dialog.locator('[data-testid="stFileUploader"] input[type=file]').set_input_files(str(file))
        dialog.get_by_text(file.name, exact=True).wait_for()
        dialog.get_by_role("textbox", name="Descripción").fill(description)
        settle(page)
        dialog.get_by_role("button", name="Guardar adjunto").click()
        dialog.get_by_text(f"Archivo {file.name} agregado.").wait_for()
    dialog.get_by_text("Modelo y serie del equipo").wait_for()
    dialog.get_by_role("button", name="Cerrar").click()
    dialog.wait_for(state="hidden")

    page.get_by_role("button", name="Adjuntar archivo (2)").wait_for()
    page.get_by_text("luz-de-carga.png — Foto de la luz de carga").wait_for()
    page.get_by_text("detalle.txt — Modelo y serie del equipo").wait_for()
    assert page.get_by_role("textbox", name="Asunto").input_value() == SUBJECT  # the form survived the dialog
    screenshot(page, "registrar", narrow=True, whole=True)

    settle(page)
    page.get_by_role("button", name="Enviar caso").click()
    confirmation = page.get_by_role("dialog").get_by_text(re.compile(r"Su caso fue registrado con el número \d+"))
    confirmation.wait_for()
    number = re.search(r"\d+", confirmation.inner_text()).group()
    page.get_by_role("button", name="OK").click()

    page.get_by_role("heading", name=f"Caso #{number}").wait_for()
    for text in ("Gestión Tecnológica", "Soporte de equipos", "Alto", "Registrado desde", SUBJECT, DESCRIPTION):
        expect(main(page)).to_contain_text(text)
    page.get_by_role("button", name=re.compile(r"luz-de-carga\.png")).wait_for()
    page.get_by_role("button", name=re.compile(r"detalle\.txt")).wait_for()
    screenshot(page, "resumen", narrow=True, whole=True)

    dialog = open_dialog(page, "Mensaje")
    dialog.get_by_role("textbox", name="Mensaje").fill("Estoy en la oficina 204 toda la mañana.")
    settle(page)
    dialog.get_by_role("button", name="Enviar mensaje").click()
    page.get_by_text("Mensaje enviado.").wait_for()

    open_in_verificar(page, number, "Registrado")
    page.get_by_role("button", name=re.compile(r"detalle\.txt")).wait_for()
    page.get_by_test_id("stChatMessage").filter(has_text="Estoy en la oficina 204 toda la mañana.").wait_for()
    screenshot(page, "verificar", narrow=True)

    mail = wait_for_mail(live_app.smtp, REQUESTER_MAIL, f"[Caso #{number}] Caso registrado")
    assert SUBJECT in mail[0].subject
    assert DESCRIPTION in mail[0].part("plain")
    story["number"] = number


# --- 2. The advisor ------------------------------------------------------------------------------------


def test_the_advisor_takes_the_case_from_the_inbox_replies_and_resolves_it(live_app, story, page):
    number = case_number(story)
    enter(page, live_app.url, ADVISOR, ADVISOR_NAME)
    go_to(page, "Asesor", "Bandeja de casos")
    page.get_by_role("radio", name=re.compile(r"^1 · Sin asignar")).wait_for()
    assert hidden_chips(page, "Estado") == []  # the four open states the list holds, each readable
    screenshot(page, "bandeja", narrow=True)
    # Cerrado added too: the list offers the states left, in Spanish (no "Select all"); the fifth chip wraps
    # to a second row instead of pushing the first out of sight, and its ✕ stays where it was clicked.
    estado = page.get_by_test_id("stMultiSelect").filter(has_text="Estado")
    estado.locator("input").click()
    assert page.get_by_role("option").all_inner_texts() == ["Resuelto", "Cerrado"]
    page.get_by_role("option", name="Cerrado", exact=True).click()
    page.keyboard.press("Escape")
    settle(page)
    assert hidden_chips(page, "Estado") == []
    estado.get_by_label("Remove Cerrado").click()
    expect(estado.get_by_label("Remove Cerrado")).to_have_count(0)
    settle(page)

    open_in_inbox(page, number)
    page.get_by_text("Sin asignar (en la cola del área)").wait_for()
    page.get_by_test_id("stChatMessage").filter(has_text="Estoy en la oficina 204").wait_for()
    settle(page)
    page.get_by_role("button", name="Tomar").click()
    page.get_by_text("El caso quedó asignado a usted.").wait_for()
    expect(main(page)).to_contain_text("Asignado desde")

    page.get_by_role("textbox", name="Respuesta").fill("Voy a su oficina a las 10 con un cargador de repuesto.")
    settle(page)
    page.get_by_role("button", name="Enviar respuesta").click()
    page.get_by_text("Respuesta enviada.").wait_for()
    page.get_by_test_id("stChatMessage").filter(has_text="Voy a su oficina a las 10").wait_for()
    screenshot(page, "caso-asesor", whole=True)

    resolve(page, FIRST_SOLUTION)
    expect(main(page)).to_contain_text("Resuelto desde")

    reply = wait_for_mail(live_app.smtp, REQUESTER_MAIL, f"[Caso #{number}] Nuevo mensaje")
    assert "Voy a su oficina a las 10" in reply[0].part("plain")
    resolved = wait_for_mail(live_app.smtp, REQUESTER_MAIL, f"[Caso #{number}] Caso resuelto")
    assert FIRST_SOLUTION in resolved[0].part("plain")


# --- 3. Calificación del Servicio ----------------------------------------------------------------------


def test_the_requester_answers_no_with_a_comment_and_the_case_goes_back_to_the_advisor(live_app, story, page):
    number = case_number(story)
    enter(page, live_app.url, REQUESTER, REQUESTER_NAME)
    dialog = survey_dialog(page, number)
    dialog.get_by_text(FIRST_SOLUTION).first.wait_for()
    screenshot(page, "encuesta")
    dialog.get_by_role("button", name="No", exact=True).click()
    dialog.get_by_role("textbox", name="Cuéntenos qué falta").fill("Sigue sin encender con el cargador nuevo.")
    settle(page)
    dialog.get_by_role("button", name="Enviar comentario").click()
    page.get_by_text(f"El caso #{number} volvió a atención con su comentario.").wait_for()
    dialog.wait_for(state="hidden")

    open_in_verificar(page, number, "En atención")
    page.get_by_test_id("stChatMessage").filter(has_text="Sigue sin encender con el cargador nuevo.").wait_for()
    reopened = wait_for_mail(live_app.smtp, ADVISOR_MAIL, f"[Caso #{number}] Caso reabierto")
    assert "Sigue sin encender con el cargador nuevo." in reopened[0].part("plain")


def test_after_a_second_resolution_the_requester_answers_yes_and_rates_four_stars(live_app, story, page, open_tab):
    number = case_number(story)
    enter(page, live_app.url, ADVISOR, ADVISOR_NAME)
    open_in_inbox(page, number)
    expect(main(page)).to_contain_text("En atención desde")
    resolve(page, SECOND_SOLUTION)

    requester = open_tab()
    enter(requester, live_app.url, REQUESTER, REQUESTER_NAME)
    dialog = survey_dialog(requester, number)
    dialog.get_by_text(SECOND_SOLUTION).first.wait_for()
    settle(requester)
    dialog.get_by_role("button", name="Sí", exact=True).click()
    rating = requester.get_by_role("dialog").filter(has_text="¿Cómo califica la atención?")
    rating.get_by_text(f"El caso #{number} quedó cerrado.").wait_for()
    settle(requester)
    rating.get_by_role("radio", name="★★★★", exact=True).click()
    expect(rating.get_by_role("radio", name="★★★★", exact=True)).to_be_checked()
    rating.get_by_role("textbox", name="Comentario").fill("Muy amable; tardó un poco.")
    screenshot(requester, "calificacion")
    rating.get_by_role("button", name="Enviar calificación").click()
    requester.get_by_text("¡Gracias por su calificación!").wait_for()
    rating.wait_for(state="hidden")

    go_to(requester, "Mesa de Servicio", "Verificar mis Casos")
    settle(requester)
    requester.get_by_text("Mostrar también los casos cerrados").click()
    requester.get_by_text(f"#{number} · {SUBJECT} · Cerrado · Alto").wait_for()


def test_the_manager_sees_the_four_star_rating_in_satisfaccion(live_app, story, page):
    case_number(story)
    enter(page, live_app.url, MANAGER, MANAGER_NAME)
    go_to(page, "Informes", "Satisfacción")
    page.get_by_test_id("stMetricLabel").filter(has_text="Calificación promedio").wait_for()
    settle(page)
    figures = {}
    for metric in page.get_by_test_id("stMetric").all():
        figures[metric.get_by_test_id("stMetricLabel").inner_text().strip()] = (
            metric.get_by_test_id("stMetricValue").inner_text().strip()
        )
    assert figures["Calificación promedio"] == "4,0"
    assert figures["Encuestas respondidas"] == "2"  # the "No" and the "Sí"
    assert figures["CSAT"] == "100 %"
    assert figures["Tasa de «No»"] == "50 %"
    screenshot(page, "satisfaccion", narrow=True, whole=True)


# --- 4. Administración → Usuarios ----------------------------------------------------------------------


def test_an_admin_creates_a_user_who_changes_the_temporary_password_and_registers_a_case(live_app, page, open_tab):
    enter(page, live_app.url, "admin.mesa", "Admin Mesa")
    go_to(page, "Administración", "Usuarios")
    settle(page)
    page.get_by_role("tab", name="Crear usuario").click()
    form = page.get_by_test_id("stForm")
    form.get_by_role("textbox", name="Usuario").fill("luis.mora")
    form.get_by_role("textbox", name="Nombre completo").fill("Luis Mora")
    form.get_by_role("textbox", name="Correo electrónico").fill("luis.mora@example.org")
    choose(page, "Rol", "Solicitante", within=form)
    temporary = "Temporal-2026"
    form.get_by_role("textbox", name="Clave temporal (opcional)").fill(temporary)
    settle(page)
    form.get_by_role("button", name="Crear usuario").click()
    page.get_by_text("Usuario luis.mora creado.").wait_for()
    page.get_by_text(f"Clave temporal de luis.mora: {temporary} — anótela: no se volverá a mostrar.").wait_for()
    screenshot(page, "usuarios", whole=True)

    luis = open_tab()
    log_in(luis, live_app.url, "luis.mora", temporary)
    luis.get_by_text("Su clave es temporal. Antes de continuar, cámbiela por una clave personal.").first.wait_for()
    settle(luis)
    assert luis.get_by_test_id("stTopNavSection").filter(has_text="Mesa de Servicio").count() == 0
    luis.get_by_role("textbox", name="Clave actual").fill(temporary)
    luis.get_by_role("textbox", name="Clave nueva", exact=True).fill("Mi-clave-propia-7")
    luis.get_by_role("textbox", name="Repita la clave nueva").fill("Mi-clave-propia-7")
    settle(luis)
    luis.get_by_role("button", name="Cambiar clave").click()
    luis.get_by_text("Su clave fue cambiada.").wait_for()
    luis.get_by_text("Hola, Luis Mora").first.wait_for()

    go_to(luis, "Mesa de Servicio", "Registrar un Caso")
    luis.get_by_role("button", name="Servicios Generales").click()
    settle(luis)
    luis.get_by_text("Mantenimiento locativo", exact=True).click()
    luis.get_by_role("textbox", name="Asunto").fill("La puerta de la sala 3 no cierra")
    luis.get_by_role("textbox", name="Describa lo que pasó").fill("La chapa está suelta y la puerta queda abierta.")
    settle(luis)
    luis.get_by_role("button", name="Enviar caso").click()
    confirmation = luis.get_by_role("dialog").get_by_text(re.compile(r"Su caso fue registrado con el número \d+"))
    confirmation.wait_for()
    number = re.search(r"\d+", confirmation.inner_text()).group()
    luis.get_by_role("button", name="OK").click()
    luis.get_by_role("heading", name=f"Caso #{number}").wait_for()
    expect(main(luis)).to_contain_text("La puerta de la sala 3 no cierra")


# --- 5. Mi cuenta: modo visual and Cerrar sesión ------------------------------------------------------


def test_dark_mode_outlives_the_session_and_back_after_logout_shows_no_case(live_app, page):
    subject = "Cambiar el bombillo de la bodega"
    make_user(live_app.engine, "luz.marina", full_name="Luz Marina")
    with unit_of_work(live_app.engine) as session:
        luz = load_actor(session=session, username="luz.marina")
        area = next(a for a in catalogue.list_areas(session=session) if a.name == catalogue.SERVICIOS_GENERALES)
        option = catalogue.list_options(session=session, area_id=area.id)[0]
        cases.register_case(
            session=session,
            actor=luz,
            uploads=cases.Uploads(Storage(live_app.data_dir / "files"), 10),
            option_id=option.id,
            subject=subject,
            description="Se fundió el de la entrada.",
        )

    enter(page, live_app.url, "luz.marina", "Luz Marina")
    assert not page.evaluate(DARK_PAGE)
    go_to(page, "Luz Marina", "Mi cuenta")
    settle(page)
    page.get_by_role("tab", name="Opciones adicionales").click()
    page.get_by_text("Oscuro", exact=True).click()
    page.wait_for_function(DARK_PAGE)  # saved for the account; the page reloads in that mode
    go_to(page, "Mesa de Servicio", "Verificar mis Casos")
    page.get_by_text(subject).first.wait_for()
    settle(page)
    # The script the server sends when its idea of the mode is stale (st.context.theme, a session's first
    # runs) on an address this browser has no mode for yet: it notes the mode for it, and a page already
    # dark is not reloaded (a reload there once landed on the next click).
    page.evaluate(f"() => {{ {THEME_SCRIPT} }}")
    assert page.evaluate("() => sessionStorage.getItem('mesaThemeReloads')") is None
    assert page.evaluate("() => localStorage.getItem('stActiveTheme-' + location.pathname + '-v2')") == '"Dark"'
    page.get_by_text(subject).click()
    page.get_by_text("Se fundió el de la entrada.").wait_for()
    screenshot(page, "oscuro", narrow=True)

    go_to(page, "Luz Marina", "Cerrar sesión")
    page.get_by_text("Sesión cerrada.").first.wait_for()
    # The browser's back button, pressed again (Cerrar sesión left no address of its own behind it), then
    # forward: the login form at each page's address, never the case; the login opens the page it is at.
    for move, address in ((page.go_back, "/verificar"), (page.go_back, "/mi-cuenta"), (page.go_forward, "/verificar")):
        move()
        page.wait_for_url(lambda url, address=address: url.endswith(address))
        page.get_by_role("button", name="Ingresar").wait_for()  # one form, never two (one faded)
        settle(page)
        assert page.get_by_text(subject).count() == 0
        assert page.get_by_text("Se fundió el de la entrada.").count() == 0

    fill_login_form(page, "luz.marina")
    page.get_by_text(subject).first.wait_for()  # Verificar mis Casos, where the tab was
    settle(page)
    assert page.url.endswith("/verificar")
    assert page.get_by_text("Esa dirección no es una página de la mesa", exact=False).count() == 0
    assert page.evaluate(DARK_PAGE)
