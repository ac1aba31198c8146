"""The survey dialog and the Satisfacción page in AppTest."""

import sqlalchemy as sa

from models import Case, SurveyAnswer
from services.db import unit_of_work
from tests.conftest import PASSWORD, app_test, logged_in_app, make_user, page_titles, register_case, resolve_case, texts


def _resolved(engine, tmp_path, subject):
    number = register_case(engine, tmp_path, subject=subject)
    resolve_case(engine, number, solution=f"Solución de {subject}")
    return number


def _people(desk):
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    make_user(desk, "laura.rios", role="advisor", areas=["Gestión Tecnológica"], full_name="Laura Ríos")
    make_user(desk, "marta.luna", role="manager", full_name="Marta Luna")


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def _status(engine, number):
    with unit_of_work(engine, write=False) as session:
        return session.scalar(sa.select(Case.status).where(Case.number == number))


def test_after_login_the_dialog_asks_and_both_answers_work(desk, tmp_path):
    _people(desk)
    first = _resolved(desk, tmp_path, "Impresora uno")
    second = _resolved(desk, tmp_path, "Impresora dos")

    at = app_test().run()  # a real login through the form
    fields = {ti.label: ti for ti in at.text_input}
    fields["Usuario"].input("ana.perez")
    fields["Clave"].input(PASSWORD)
    _button(at, "Ingresar").click().run()
    shown = texts(at)
    assert "Solución de Impresora uno" in shown and "Tiene 1 caso más por responder." in shown

    _button(at, "No").click().run()
    at.text_area(key=f"survey_comment_dialog_{first}").input("Sigue fallando")
    _button(at, "Enviar comentario").click().run()
    assert _status(desk, first) == "in_progress"

    assert "Solución de Impresora dos" in texts(at)
    _button(at, "Sí").click().run()
    assert _status(desk, second) == "closed"
    at.pills(key="survey_stars").set_value(3).run()  # the rating dialog: ★★★★
    at.text_area(key="survey_rating_comment").input("Rápido y amable")
    _button(at, "Enviar calificación").click().run()
    with unit_of_work(desk, write=False) as session:
        rating = session.scalar(sa.select(SurveyAnswer.rating).where(SurveyAnswer.resolved.is_(True)))
    assert rating == 4
    assert not [b for b in at.button if b.label in ("Sí", "No")]  # nothing left to ask


def test_responder_despues_postpones_until_the_next_visit(desk, tmp_path):
    _people(desk)
    number = _resolved(desk, tmp_path, "Impresora")
    at = logged_in_app("ana.perez")
    assert "Solución de Impresora" in texts(at)
    _button(at, "Responder después").click().run()
    assert "Solución de Impresora" not in texts(at)
    assert _status(desk, number) == "resolved"
    again = logged_in_app("ana.perez")  # the next visit asks again
    assert "Solución de Impresora" in texts(again)


def test_the_email_link_opens_the_question_for_that_case(desk, tmp_path):
    _people(desk)
    _resolved(desk, tmp_path, "Primera")
    second = _resolved(desk, tmp_path, "Segunda")
    at = logged_in_app("ana.perez")
    _button(at, "Responder después").click().run()
    at.query_params["caso"] = str(second)
    at.query_params["responder"] = "1"
    at.run()
    assert "Solución de Segunda" in texts(at)


def test_satisfaccion_renders_for_a_manager_and_is_absent_for_an_employee(desk, tmp_path):
    _people(desk)
    _resolved(desk, tmp_path, "Impresora")
    manager = logged_in_app("marta.luna")
    assert "Satisfacción" in page_titles(manager)
    manager.switch_page("app_pages/satisfaccion.py").run()
    assert not manager.exception
    assert [m.label for m in manager.metric][:4] == [
        "Encuestas respondidas",
        "CSAT",
        "Calificación promedio",
        "Tasa de «No»",
    ]
    # With data yet: resolution time by urgency, and whether the promise made at registration held.
    assert len(manager.get("vega_lite_chart")) == 2
    employee = logged_in_app("ana.perez")
    assert "Satisfacción" not in page_titles(employee)
