"""A phone, 390 px wide: an employee registers a case with a photo, answers the survey and reads the case,
and no part of any screen is wider than the phone (nothing to scroll sideways).

The photo is a JPEG as a phone's camera names it; on a phone the uploader's file picker offers the camera
itself (the browser's own dialog, which a headless browser cannot show), so the test hands the picker the
file the camera would have made.
"""

import io
import re

import pytest
from PIL import Image

from services import catalogue
from tests.browser.conftest import ARTIFACTS, SCREENSHOTS, fill_login_form, hidden_chips, settle
from tests.conftest import make_user, register_case, resolve_case

EMPLOYEE, EMPLOYEE_NAME = "pablo.mora", "Pablo Mora"
ADVISOR = "laura.rios"
SUBJECT = "Gotera en la sala de juntas"
DESCRIPTION = "Cae agua del techo junto a la ventana cuando llueve; el piso queda mojado."
SOLUTION = "Se selló la canal del techo y se cambió la baldosa manchada."
PHONE = {"width": 390, "height": 844}

# Elements of the page that stick out of the window, sideways (ignoring what sits inside a box that scrolls
# on its own, like a table): what a person would have to scroll sideways to read.
WIDER_THAN_THE_PHONE = """() => {
    const width = document.documentElement.clientWidth;
    const main = document.querySelector('[data-testid="stMain"]');
    const scrollsOnItsOwn = el => {
        for (let p = el.parentElement; p && p !== main; p = p.parentElement) {
            const overflow = getComputedStyle(p).overflowX;
            if ((overflow === 'auto' || overflow === 'scroll' || overflow === 'hidden') && p.clientWidth <= width)
                return true;
        }
        return false;
    };
    const wide = [];
    for (const el of main.querySelectorAll('*')) {
        const box = el.getBoundingClientRect();
        if (box.width === 0 || box.height === 0) continue;
        if ((box.right > width + 1 || box.left < -1) && !scrollsOnItsOwn(el))
            wide.push(`${el.tagName} ${el.dataset.testid || ''} ${Math.round(box.left)}–${Math.round(box.right)}`);
    }
    const sideways = document.scrollingElement.scrollWidth > width || main.scrollWidth > main.clientWidth;
    return {sideways, wide: wide.slice(0, 8)};
}"""


def fits_the_phone(tab, what: str) -> None:
    settle(tab)
    found = tab.evaluate(WIDER_THAN_THE_PHONE)
    assert not found["sideways"] and not found["wide"], f"{what}: wider than the phone: {found}"


def snap(tab, name: str) -> None:
    """The phone's screen as the person sees it (the README shows these)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    settle(tab)
    tab.screenshot(path=str(SCREENSHOTS / f"{name}.png"), animations="disabled")


def phone_menu(tab, entry: str) -> None:
    """The folded menu (»), one of its entries, and « to fold it again, as a thumb does it."""
    settle(tab)
    tab.get_by_test_id("stExpandSidebarButton").click()
    tab.get_by_test_id("stSidebar").get_by_role("link", name=entry).click()
    settle(tab)
    fold = tab.get_by_test_id("stSidebarCollapseButton").get_by_role("button")
    if fold.is_visible():  # Streamlit leaves the menu open over the page after a choice
        fold.click()
    tab.get_by_test_id("stSidebar").wait_for(state="hidden")


@pytest.fixture
def phone(chromium, request):
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="es-CO")
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"))
    context.close()


def test_on_a_phone_an_employee_registers_a_case_with_a_photo_answers_the_survey_and_reads_it(
    live_app, phone, tmp_path
):
    make_user(live_app.engine, EMPLOYEE, full_name=EMPLOYEE_NAME)
    make_user(live_app.engine, ADVISOR, "advisor", areas=[catalogue.SERVICIOS_GENERALES], full_name="Laura Ríos")
    photo = tmp_path / "IMG_20261130_101500.jpg"
    picture = io.BytesIO()
    Image.new("RGB", (640, 480), (70, 110, 160)).save(picture, format="JPEG")
    photo.write_bytes(picture.getvalue())

    phone.goto(live_app.url)
    fits_the_phone(phone, "the login page")
    fill_login_form(phone, EMPLOYEE)
    phone.get_by_text(f"Hola, {EMPLOYEE_NAME}").first.wait_for()
    fits_the_phone(phone, "Inicio")
    # The check sees what sticks out: a block 600 px wide put in the page is found, then taken away.
    phone.evaluate("""() => { const probe = document.createElement('div'); probe.id = 'wide-probe';
        probe.style.width = '600px'; probe.style.height = '10px';
        document.querySelector('[data-testid="stMainBlockContainer"]').appendChild(probe); }""")
    assert phone.evaluate(WIDER_THAN_THE_PHONE)["wide"], "the check must find a block wider than the phone"
    phone.evaluate("() => document.getElementById('wide-probe').remove()")

    phone_menu(phone, "Registrar un Caso")
    phone.get_by_role("button", name="Servicios Generales").click()
    settle(phone)
    phone.get_by_text("Mantenimiento locativo", exact=True).click()
    phone.get_by_role("textbox", name="Asunto").fill(SUBJECT)
    phone.get_by_role("textbox", name="Describa lo que pasó").fill(DESCRIPTION)
    settle(phone)
    fits_the_phone(phone, "Registrar un Caso")

    settle(phone)
    phone.get_by_role("button", name="Adjuntar archivo").click()
    dialog = phone.get_by_role("dialog")
    dialog.get_by_text("Archivos Adjuntos").wait_for()
    dialog.locator('[data-testid="stFileUploader"] input[type=file]').set_input_files(str(photo))
    dialog.get_by_text(re.compile(r"^IMG_.*\.jpg$")).wait_for()  # the uploader shortens a long name
    dialog.get_by_role("textbox", name="Descripción").fill("Foto de la gotera")
    settle(phone)
    fits_the_phone(phone, "the attachments dialog")
    dialog.get_by_role("button", name="Guardar adjunto").click()
    dialog.get_by_text(f"Archivo {photo.name} agregado.").wait_for()
    dialog.get_by_role("button", name="Cerrar").click()
    dialog.wait_for(state="hidden")
    phone.get_by_text(f"{photo.name} — Foto de la gotera").wait_for()
    snap(phone, "telefono-registrar")

    settle(phone)
    phone.get_by_role("button", name="Enviar caso").click()
    confirmation = phone.get_by_role("dialog").get_by_text(re.compile(r"Su caso fue registrado con el número \d+"))
    confirmation.wait_for()
    number = int(re.search(r"\d+", confirmation.inner_text()).group())
    fits_the_phone(phone, "the case number")
    phone.get_by_role("button", name="OK").click()
    phone.get_by_role("heading", name=f"Caso #{number}").wait_for()
    phone.get_by_role("button", name=re.compile(re.escape(photo.name))).wait_for()
    fits_the_phone(phone, "the case's summary")

    # The menu is folded behind », "Mensajes (1)" with it: the count shows on the page itself, as a link.
    unread = phone.get_by_test_id("stMain").get_by_role("link", name="Mensajes (1)")
    unread.wait_for()
    phone.set_viewport_size({"width": 1280, "height": 900})  # a wide screen: the menu says it, the page not
    phone.get_by_test_id("stTopNav").get_by_text("Mensajes (1)").wait_for()
    unread.wait_for(state="hidden")
    phone.set_viewport_size(PHONE)
    unread.wait_for()

    resolve_case(live_app.engine, number, advisor=ADVISOR, solution=SOLUTION)

    phone.goto(live_app.url)  # the next visit asks whether it was solved
    survey = phone.get_by_role("dialog")
    survey.get_by_text("¿Su solicitud fue resuelta?").first.wait_for()
    survey.get_by_text(SOLUTION).first.wait_for()
    fits_the_phone(phone, "the survey")
    snap(phone, "telefono-encuesta")
    settle(phone)
    survey.get_by_role("button", name="Sí", exact=True).click()
    rating = phone.get_by_role("dialog").filter(has_text="¿Cómo califica la atención?")
    rating.get_by_text(f"El caso #{number} quedó cerrado.").wait_for()
    fits_the_phone(phone, "the rating")
    rating.get_by_role("button", name="Omitir").click()
    rating.wait_for(state="hidden")

    phone_menu(phone, "Verificar mis Casos")
    settle(phone)
    phone.get_by_text("Mostrar también los casos cerrados").click()
    heading = phone.get_by_text(f"#{number} · {SUBJECT} · Cerrado")
    heading.wait_for()
    settle(phone)
    heading.click()
    phone.get_by_text(DESCRIPTION).wait_for()
    phone.get_by_text(SOLUTION).first.wait_for()
    phone.get_by_role("button", name=re.compile(re.escape(photo.name))).wait_for()
    fits_the_phone(phone, "the case in Verificar mis Casos")
    snap(phone, "telefono-verificar")


PHONE_BROWSER = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
)


def test_on_a_phone_the_advisor_reads_the_inbox_as_cards_and_opens_a_case_from_one(live_app, chromium, tmp_path):
    make_user(live_app.engine, "jose.rey", "advisor", areas=[catalogue.GESTION_TECNOLOGICA], full_name="José Rey")
    make_user(live_app.engine, "rosa.paz", full_name="Rosa Paz")
    number = register_case(
        live_app.engine, tmp_path, username="rosa.paz", option="Impresoras", subject="La impresora atasca papel"
    )
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True, user_agent=PHONE_BROWSER)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    try:
        tab.goto(live_app.url + "/bandeja")
        fill_login_form(tab, "jose.rey")
        card = tab.get_by_role("button", name=re.compile(rf"#{number} · La impresora atasca papel"))
        card.wait_for()
        assert tab.get_by_test_id("stDataFrame").count() == 0  # cards, not the wide table
        assert hidden_chips(tab, "Estado") == []  # the four open states the list holds, each readable
        fits_the_phone(tab, "the inbox's cards")
        snap(tab, "telefono-bandeja")
        card.click()
        tab.get_by_role("heading", name=f"Caso #{number}").wait_for()
        fits_the_phone(tab, "the case's work view")
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / "test_on_a_phone_the_advisor_reads_the_inbox_as_cards.png"))
        context.close()
