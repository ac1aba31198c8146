"""Parts of a page that rerun alone (st.fragment), in a real browser: AppTest runs every click as a full
run, so only a browser tells a fragment's rerun from app.py's.

The witness is the menu's "Mensajes (n)", which only app.py draws: a notification that arrives between two
clicks shows there after a full run, never after a click inside a fragment.
"""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from models import Area, Case
from services import catalogue, knowledge, sessions, users, workflow
from services.db import unit_of_work
from services.users import Actor
from tests.browser.conftest import choose, fill_login_form, settle
from tests.conftest import make_user, register_case

ADVISOR, ADVISOR_NAME = "pedro.gil", "Pedro Gil"
COLLEAGUE = "marta.luna"


@pytest.fixture(scope="module")
def manual_queue(live_app):
    """Pedro, advisor of a manual queue: every new case there is a notification for him."""
    make_user(live_app.engine, ADVISOR, "advisor", areas=[catalogue.GESTION_TECNOLOGICA], full_name=ADVISOR_NAME)
    with unit_of_work(live_app.engine) as session:
        area = next(a for a in catalogue.list_areas(session=session) if a.name == catalogue.GESTION_TECNOLOGICA)
        catalogue.set_assignment_mode(session=session, actor=Actor.system(), area_id=area.id, mode="manual")
    live_app.gt_area_id = area.id
    return live_app


def _new_case(app, subject: str) -> int:
    return register_case(app.engine, app.data_dir / "files", option="Impresoras", subject=subject)


def _menu(tab):
    return tab.get_by_test_id("stTopNav")


def test_a_click_in_the_inbox_reruns_its_list_alone_and_opening_a_case_the_whole_page(manual_queue, page):
    app = manual_queue
    first = _new_case(app, "Impresora del tercer piso")
    page.goto(app.url + "/bandeja")
    fill_login_form(page, ADVISOR)
    page.get_by_role("radio", name="1 · Sin asignar").wait_for()
    expect(_menu(page)).to_contain_text("Mensajes (1)")
    settle(page)

    _new_case(app, "Escáner sin red")  # a notification for Pedro, and a second unassigned case
    page.get_by_role("radio", name="1 · Sin asignar").click()
    page.get_by_role("radio", name="2 · Sin asignar").wait_for()  # the list's fragment ran again
    page.get_by_text("Filtro: Sin asignar").wait_for()
    settle(page)
    expect(_menu(page)).to_contain_text("Mensajes (1)")  # app.py did not

    page.get_by_role("textbox", name="Abrir el caso").fill(str(first))
    page.get_by_role("button", name="Abrir", exact=True).click()
    page.get_by_role("heading", name=f"Caso #{first}").wait_for()
    expect(_menu(page)).to_contain_text("Mensajes (2)")  # opening a case reruns the whole page


def test_a_click_in_a_fragment_after_the_session_ended_elsewhere_shows_the_login_form(manual_queue, page):
    app = manual_queue
    number = _new_case(app, "Monitor que parpadea")
    page.goto(app.url + f"/bandeja?caso={number}")
    fill_login_form(page, ADVISOR)
    page.get_by_role("heading", name=f"Caso #{number}").wait_for()
    settle(page)
    with unit_of_work(app.engine) as session:
        pedro = users.load_actor(session=session, username=ADVISOR)
        sessions.end_all_for_user(session=session, user_id=pedro.id, reason="other")
    page.get_by_role("button", name="Tomar").click()  # inside the work view's fragment
    page.get_by_role("button", name="Ingresar").wait_for()
    page.get_by_text("Su sesión terminó").wait_for()
    assert page.get_by_role("heading", name=f"Caso #{number}").count() == 0


def test_a_filter_reruns_the_list_of_cases_alone_not_the_row_of_filters(manual_queue, page):
    """A filter's change reruns only the results (a keyed rerun): the count under the list is read again,
    while the filters, drawn once, still offer the area by the name it had. The witness is an area renamed
    between the two: the row of filters would read the new name if it ran again."""
    app = manual_queue
    _new_case(app, "Teclado sin teclas")
    taken = _new_case(app, "Ratón que no responde")
    with unit_of_work(app.engine) as session:
        pedro = users.load_actor(session=session, username=ADVISOR)
        workflow.take_case(session=session, actor=pedro, number=taken, expected_version=None)
    page.goto(app.url + "/bandeja")
    fill_login_form(page, ADVISOR)
    count = page.get_by_text(re.compile(r"casos?, ordenados? por vencimiento"))
    count.wait_for()
    before = count.inner_text()
    settle(page)

    renamed = "Tecnología (renombrada)"
    with unit_of_work(app.engine) as session:
        session.execute(sa.update(Area).where(Area.name == catalogue.GESTION_TECNOLOGICA).values(name=renamed))
    try:
        choose(page, "Asesor", "Sin asignar")
        expect(count).not_to_have_text(before)  # the results ran again, with the filter
        settle(page)
        area = page.get_by_test_id("stSelectbox").filter(has_text="Área")
        area.click()
        options = page.get_by_role("option").all_inner_texts()
        page.keyboard.press("Escape")
        assert catalogue.GESTION_TECNOLOGICA in options and renamed not in options  # the filters did not
    finally:
        with unit_of_work(app.engine) as session:
            session.execute(sa.update(Area).where(Area.name == renamed).values(name=catalogue.GESTION_TECNOLOGICA))


def _reply_box(page):
    return page.get_by_role("textbox", name=re.compile("^Respuesta"))


def _reply(page, text: str) -> None:
    _reply_box(page).fill(text)
    settle(page)  # the text reaches the server before the click
    page.get_by_role("button", name="Enviar respuesta").click()
    page.get_by_test_id("stChatMessage").filter(has_text=text).wait_for()
    page.get_by_text("Respuesta enviada.").wait_for()
    expect(_reply_box(page)).to_have_value("")  # sent: an empty box, not the same text to send twice
    settle(page)


def _rename_area(app, name: str) -> None:
    """The area of Pedro's queue under another name (a witness of what the page drew again)."""
    with unit_of_work(app.engine) as session:
        session.execute(sa.update(Area).where(Area.id == app.gt_area_id).values(name=name))


def test_a_reply_draws_its_box_and_the_conversation_again_and_the_whole_case_only_when_it_changed(manual_queue, page):
    """Enviar respuesta reruns the reply's box, the facts (a first response says when) and the record alone
    (keyed reruns), unless a colleague changed the case since the advisor saw it: then the whole case, to be
    seen before acting again. The witness is the area's name in the summary, changed before each reply: the
    summary shows the new one only when it was drawn again. After a reply that redrew only its parts, the
    advisor still acts on the case as it now is (no "El caso cambió")."""
    app = manual_queue
    make_user(app.engine, COLLEAGUE, "advisor", areas=[catalogue.GESTION_TECNOLOGICA], full_name="Marta Luna")
    number = _new_case(app, "Proyector sin imagen")
    with unit_of_work(app.engine) as session:
        pedro = users.load_actor(session=session, username=ADVISOR)
        workflow.take_case(session=session, actor=pedro, number=number, expected_version=None)
        knowledge.save_canned_reply(
            session=session,
            actor=pedro,
            reply_id=None,
            area_id=app.gt_area_id,
            title="Saludo",
            body="Hola {solicitante}, reviso el caso {caso}.",
        )
    page.goto(app.url + f"/bandeja?caso={number}")
    fill_login_form(page, ADVISOR)
    page.get_by_role("heading", name=f"Caso #{number}").wait_for()
    settle(page)
    summary = page.get_by_test_id("stMain")
    first_response = page.get_by_test_id("stMarkdown").filter(has_text="Primera respuesta")
    expect(first_response).to_contain_text("Aún no")
    choose(page, "Respuesta predefinida", "Saludo")
    page.get_by_role("button", name="Insertar", exact=True).click()  # into the box, to edit before sending
    expect(_reply_box(page)).to_have_value(f"Hola Ana Pérez, reviso el caso #{number}.")
    settle(page)
    try:
        _rename_area(app, "Área uno")
        _reply(page, "Le escribo para saber del proyector")  # its box, the facts and the record alone
        expect(first_response).not_to_contain_text("Aún no")  # when it was given
        expect(summary).to_contain_text(catalogue.GESTION_TECNOLOGICA)
        expect(summary).not_to_contain_text("Área uno")

        _rename_area(app, "Área dos")
        with unit_of_work(app.engine) as session:
            marta = users.load_actor(session=session, username=COLLEAGUE)
            workflow.change_status(session=session, actor=marta, number=number, to="in_progress", expected_version=None)
        _reply(page, "Segunda respuesta")  # a colleague's change since: the whole case, to be seen
        expect(summary).to_contain_text("Área dos")
        expect(summary).to_contain_text("En atención desde")

        _rename_area(app, "Área tres")
        page.get_by_role("tab", name="Resolver").click()
        page.get_by_role("textbox", name="Solución (la verá el solicitante)").fill("Se cambió la lámpara.")
        page.get_by_role("tab", name="Responder al solicitante").click()  # the solution reaches the server
        settle(page)  # and its box's run, which draws nothing else
        _reply(page, "Tercera respuesta")  # nothing else changed: its parts alone
        expect(summary).to_contain_text("Área dos")
        expect(summary).not_to_contain_text("Área tres")

        page.get_by_role("tab", name="Resolver").click()
        page.get_by_role("button", name="Resolver", exact=True).click()  # with the version after the reply
        page.get_by_text("Caso resuelto.").wait_for()
        expect(summary).to_contain_text("Resuelto desde")  # and the whole case drawn again
        expect(summary).to_contain_text("Área tres")
    finally:
        _rename_area(app, catalogue.GESTION_TECNOLOGICA)


def test_tomar_draws_again_what_it_changes_and_keeps_a_reply_being_written(manual_queue, page):
    """Tomar reruns the parts of the work view it changes (the summary, the facts, the actions, the resolution,
    the record), not the reply box: what the advisor was writing there stays, and every part Tomar changed
    shows the case as it is now — status, advisor, what may be done next, the timeline."""
    app = manual_queue
    number = _new_case(app, "Monitor parpadea")
    page.goto(app.url + f"/bandeja?caso={number}")
    fill_login_form(page, ADVISOR)
    page.get_by_role("heading", name=f"Caso #{number}").wait_for()
    settle(page)
    summary = page.get_by_test_id("stMain")
    expect(summary).to_contain_text("Sin asignar")
    page.get_by_role("tab", name="Resolver").click()
    resolve = page.get_by_role("button", name="Resolver", exact=True)
    expect(resolve).to_be_disabled()  # a new case is taken before it is resolved
    page.get_by_role("tab", name="Responder al solicitante").click()
    _reply_box(page).fill("Hola, ya reviso el monitor")
    settle(page)  # the text reaches the server, as it would before a click elsewhere

    page.get_by_role("button", name="Tomar").click()
    page.get_by_text("El caso quedó asignado a usted.").wait_for()
    settle(page)
    expect(summary).to_contain_text(ADVISOR_NAME)
    expect(summary).to_contain_text("Asignado desde")
    expect(page.get_by_role("button", name="Tomar")).to_have_count(0)
    expect(summary).to_contain_text("Caso asignado")  # the timeline
    expect(_reply_box(page)).to_have_value("Hola, ya reviso el monitor")
    page.get_by_role("tab", name="Resolver").click()
    expect(resolve).to_be_enabled()
    choose(page, "Cambiar estado a", "En atención")  # the moves a taken case has
    page.get_by_role("button", name="Cambiar estado", exact=True).click()
    page.get_by_text("Estado cambiado.").wait_for()
    expect(summary).to_contain_text("En atención desde")
    page.get_by_role("tab", name="Responder al solicitante").click()
    _reply(page, "Hola, ya reviso el monitor y le cuento")
    with unit_of_work(app.engine, write=False) as session:
        case = session.scalar(sa.select(Case).where(Case.number == number))
        assert (case.status, case.first_response_at is not None) == ("in_progress", True)


def test_the_browsers_back_from_a_case_returns_to_the_list_and_forward_opens_it_again(manual_queue, page):
    """A case opened from the Bandeja has its own address (/bandeja?caso=N, to keep or send), so the
    browser's Back returns to the list as it was, and Forward opens the case again."""
    app = manual_queue
    number = _new_case(app, "Teclado con teclas pegadas")
    page.goto(app.url + "/bandeja")
    fill_login_form(page, ADVISOR)
    page.get_by_role("radio", name=re.compile(r"· Sin asignar$")).click()
    page.get_by_text("Filtro: Sin asignar").wait_for()
    settle(page)
    field = page.get_by_role("textbox", name="Abrir el caso")
    field.fill(str(number))
    field.press("Enter")
    page.get_by_role("heading", name=f"Caso #{number}").wait_for()
    page.wait_for_url(re.compile(rf"/bandeja\?caso={number}$"))
    settle(page)

    page.go_back()
    page.wait_for_url(re.compile(r"/bandeja$"))
    page.get_by_text("Filtro: Sin asignar").wait_for()  # the list as it was left
    settle(page)
    assert page.get_by_role("heading", name=f"Caso #{number}").count() == 0

    page.go_forward()
    page.get_by_role("heading", name=f"Caso #{number}").wait_for()
    settle(page)
    page.get_by_role("button", name="Volver a la bandeja").click()
    page.wait_for_url(re.compile(r"/bandeja$"))
    page.get_by_text("Filtro: Sin asignar").wait_for()
    settle(page)
    assert page.get_by_role("heading", name=f"Caso #{number}").count() == 0


def test_back_from_a_case_opened_by_its_row_does_not_open_it_again(manual_queue, page):
    """The row picked in the table opened the case; Back shows the list, not the same case again."""
    app = manual_queue
    _new_case(app, "Mouse sin pilas")
    page.goto(app.url + "/bandeja")
    fill_login_form(page, ADVISOR)
    page.get_by_role("radio", name=re.compile(r"· Sin asignar$")).click()
    page.get_by_text("Filtro: Sin asignar").wait_for()
    settle(page)
    grid = page.get_by_test_id("stDataFrame")
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the first row's selection box, under the header
    page.wait_for_url(re.compile(r"/bandeja\?caso=\d+$"))
    heading = page.get_by_role("heading", name=re.compile(r"^Caso #\d+"))
    heading.wait_for()
    settle(page)

    page.go_back()
    page.wait_for_url(re.compile(r"/bandeja$"))
    page.get_by_text("Filtro: Sin asignar").wait_for()
    settle(page)  # a selection left behind would open the case again in this run
    assert heading.count() == 0
    assert re.search(r"/bandeja$", page.url)
