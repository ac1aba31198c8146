"""Issue 19's pages through AppTest: a solution becomes an article, the article helps an employee while
registering (no case, one case avoided), a predefined reply and an article go into a reply, and the
report counts it all. The browser journey is tests/browser/test_knowledge_browser.py."""

import sqlalchemy as sa

from models import Case, ServiceOption
from services import knowledge, users
from services.db import unit_of_work
from tests.conftest import logged_in_app, make_user, register_case, resolve_case, texts

GT = "Gestión Tecnológica"


def _people(desk):
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    make_user(desk, "laura.rios", "advisor", areas=[GT], full_name="Laura Ríos")
    make_user(desk, "marta.luna", "manager", full_name="Marta Luna")


def _cases(desk) -> int:
    with unit_of_work(desk, write=False) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(Case))


def _option(desk, name="Impresoras") -> int:
    with unit_of_work(desk, write=False) as session:
        return session.scalar(sa.select(ServiceOption.id).where(ServiceOption.name == name))


def _published_article(desk, title="Cambiar el tóner de la impresora", body="1. Abra la tapa.\n2. Cambie el tóner."):
    with unit_of_work(desk) as session:
        laura = users.load_actor(session=session, username="laura.rios")
        article_id = knowledge.save_article(
            session=session, actor=laura, article_id=None, title=title, body=body, option_id=_option(desk)
        )
        knowledge.publish(session=session, actor=laura, article_id=article_id)
    return article_id


def test_an_advisor_turns_a_solution_into_an_article_and_publishes_it(desk, tmp_path):
    _people(desk)
    number = register_case(desk, tmp_path, subject="Impresora sin tóner", description="No imprime nada")
    resolve_case(desk, number, solution="Se cambió el tóner y se limpió el rodillo.")
    at = logged_in_app("laura.rios")
    at.query_params["caso"] = str(number)
    at.switch_page("app_pages/bandeja.py").run()
    at.button(key=f"work_kb_from_{number}").click().run()
    # The editor, filled from the case, internal until its author has taken out the personal data.
    assert at.text_input(key="kb_title").value == "Impresora sin tóner"
    assert "Se cambió el tóner y se limpió el rodillo." in at.text_area(key="kb_body").value
    assert at.radio(key="kb_audience").value == "internal"
    assert "quite nombres, correos, teléfonos" in texts(at)
    at.switch_page("app_pages/conocimiento.py").run()  # AppTest stays on its page; the browser is there
    at.radio(key="kb_audience").set_value("public").run()
    at.text_input(key="kb_title").input("Cambiar el tóner de la impresora").run()
    at.button(key="kb_save_publish").click().run()
    assert not at.exception and "Versión 2 publicada." in texts(at)  # 1 the draft from the case, 2 this one

    employee = logged_in_app("ana.perez")
    employee.switch_page("app_pages/conocimiento.py").run()
    assert [b.label for b in employee.button if b.key and b.key.startswith("kb_open_")] == [
        "Cambiar el tóner de la impresora"
    ]
    assert not [b for b in employee.button if b.key in ("kb_new", "kb_edit_button")]  # readers do not write


def test_an_employee_leaves_the_form_helped_by_a_suggestion_and_no_case_is_made(desk, tmp_path):
    _people(desk)
    article_id = _published_article(desk)
    at = logged_in_app("ana.perez")
    at.switch_page("app_pages/registrar.py").run()
    at.button(key=next(b.key for b in at.button if b.key and b.key.startswith("reg_area_"))).click().run()
    at.radio(key="reg_option").set_value(_option(desk)).run()
    at.text_input(key="reg_subject").input("La impresora no imprime").run()
    assert [e.label for e in at.expander] == ["Cambiar el tóner de la impresora"]
    at.session_state[f"reg_kb_{article_id}"] = True  # the person opens the suggestion
    at.run()
    assert "Cambie el tóner" in texts(at)
    at.button(key=f"reg_kb_solved_{article_id}").click().run()
    assert "No se registró ningún caso." in texts(at) and _cases(desk) == 0
    assert not [w for w in at.text_input if w.key == "reg_subject"]  # the form starts over, empty
    with unit_of_work(desk, write=False) as session:
        marta = users.load_actor(session=session, username="marta.luna")
        report = knowledge.report(session=session, actor=marta)
    assert report.avoided_total == 1 and report.most_helpful[0][2] == 1

    manager = logged_in_app("marta.luna")
    manager.switch_page("app_pages/informe_conocimiento.py").run()
    assert not manager.exception
    assert [m.value for m in manager.metric][0] == "1"


def test_a_predefined_reply_and_an_article_fill_the_reply_box(desk, tmp_path):
    _people(desk)
    article_id = _published_article(desk)
    number = register_case(desk, tmp_path, subject="Impresora", description="No imprime")
    with unit_of_work(desk) as session:
        laura = users.load_actor(session=session, username="laura.rios")
        area_id = knowledge.reply_areas(session=session, actor=laura)[0][0]
        reply_id = knowledge.save_canned_reply(
            session=session,
            actor=laura,
            reply_id=None,
            area_id=area_id,
            title="Saludo",
            body="Hola {solicitante}, sobre el caso {caso} de {area}: ya lo reviso. {asesor}",
        )
    at = logged_in_app("laura.rios")
    at.query_params["caso"] = str(number)
    at.switch_page("app_pages/bandeja.py").run()
    at.selectbox(key=f"work_canned_{number}").set_value(reply_id).run()
    at.button(key=f"work_canned_insert_{number}").click().run()
    box = at.text_area(key=f"work_reply_{number}_0")
    assert box.value == f"Hola Ana Pérez, sobre el caso #{number} de Gestión Tecnológica: ya lo reviso. Laura Ríos"
    at.text_input(key=f"work_article_words_{number}").input("tóner").run()
    at.selectbox(key=f"work_article_{number}").set_value(article_id).run()
    at.button(key=f"work_article_insert_{number}").click().run()
    value = at.text_area(key=f"work_reply_{number}_0").value
    assert value.startswith("Hola Ana Pérez") and value.endswith(f"/conocimiento?articulo={article_id}")


def test_an_internal_article_is_not_offered_to_an_employee_even_by_its_address(desk, tmp_path):
    _people(desk)
    with unit_of_work(desk) as session:
        laura = users.load_actor(session=session, username="laura.rios")
        secret = knowledge.save_article(
            session=session,
            actor=laura,
            article_id=None,
            title="Clave del router",
            body="admin/1234",
            audience="internal",
        )
        knowledge.publish(session=session, actor=laura, article_id=secret)
    at = logged_in_app("ana.perez")
    at.query_params["articulo"] = str(secret)
    at.switch_page("app_pages/conocimiento.py").run()
    assert "Artículo no encontrado." in texts(at) and "admin/1234" not in texts(at)


def test_a_search_that_finds_nothing_is_counted_once_for_the_report(desk, tmp_path):
    _people(desk)
    _published_article(desk)
    at = logged_in_app("ana.perez")
    at.switch_page("app_pages/conocimiento.py").run()
    at.text_input(key="kb_words").input("Wi-Fi lento").run()
    assert "Ningún artículo tiene esas palabras." in texts(at)
    at.run()
    at.run()  # reruns that only show the same results again
    at.text_input(key="kb_words").input("tóneres").run()
    assert [b.label for b in at.button if b.key and b.key.startswith("kb_open_")] == [
        "Cambiar el tóner de la impresora"
    ]
    with unit_of_work(desk, write=False) as session:
        report = knowledge.report(session=session, actor=users.load_actor(session=session, username="marta.luna"))
    assert report.unanswered == [("wi fi lento", 1)]


def test_two_suggestions_open_at_once_each_show_their_article(desk, tmp_path):
    _people(desk)
    first = _published_article(desk)
    second = _published_article(desk, title="Impresora atascada: sacar el papel", body="Abra la bandeja 2.")
    at = logged_in_app("ana.perez")
    at.switch_page("app_pages/registrar.py").run()
    at.button(key=next(b.key for b in at.button if b.key and b.key.startswith("reg_area_"))).click().run()
    at.radio(key="reg_option").set_value(_option(desk)).run()
    at.text_input(key="reg_subject").input("La impresora no imprime").run()
    at.session_state[f"reg_kb_{first}"] = True
    at.session_state[f"reg_kb_{second}"] = True
    at.run()
    assert not at.exception
    assert "Cambie el tóner" in texts(at) and "Abra la bandeja 2" in texts(at)
