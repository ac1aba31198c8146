"""Bandeja de casos in AppTest: an advisor takes a case, replies, notes, puts it on hold and resolves it."""

import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from models import Area, Case, CaseMessage, Notification, OutboxEmail, User
from services import i18n, users
from services.db import unit_of_work
from tests.conftest import ROOT, logged_in_app, make_user, page_titles, register_case, texts, whole_page


def _register(engine, tmp_path, subject):
    return register_case(engine, tmp_path, subject=subject)


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def _case(engine, number):
    with unit_of_work(engine, write=False) as session:
        return session.scalar(sa.select(Case).where(Case.number == number))


def test_an_advisor_takes_replies_notes_waits_and_resolves_a_case(desk, tmp_path):
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    make_user(desk, "laura.rios", role="advisor", areas=["Gestión Tecnológica"], full_name="Laura Ríos")
    with unit_of_work(desk) as session:
        session.execute(sa.update(Area).values(assignment_mode="manual"))
    number = _register(desk, tmp_path, "Impresora sin tóner")
    _register(desk, tmp_path, "Otra impresora")

    at = logged_in_app("laura.rios")
    assert "Bandeja de casos" in page_titles(at)
    at.switch_page("app_pages/bandeja.py").run()
    figures = at.pills(key="inbox_quick")
    assert "2 · Sin asignar" in figures.options
    table = at.dataframe[0].value
    assert list(table["Número"]) == [number, number + 1]
    assert set(table["Estado"]) == {"Registrado"}

    at.pills(key="inbox_quick").set_value("unassigned").run()  # a key figure is a filter
    assert "Filtro: Sin asignar" in texts(at)
    at.text_input(key="inbox_go").input(f"#{number}")
    _button(at, "Abrir").click().run()
    assert f"Caso #{number}" in texts(at)

    _button(at, "Tomar").click().run()
    assert "El caso quedó asignado a usted." in texts(at)
    assert _case(desk, number).assignee_id is not None

    whole_page(at)  # Tomar drew again only the parts it changed, not the reply box
    at.text_area(key=f"work_reply_{number}_0").input("Vamos a cambiar el tóner.")
    _button(at, "Enviar respuesta").click().run()
    assert "Respuesta enviada." in texts(at)

    whole_page(at)
    at.text_area(key=f"work_note_{number}_0").input("Pedir tóner a bodega")
    _button(at, "Agregar nota").click().run()
    assert "Nota agregada." in texts(at)
    assert "Nota interna" in texts(at)
    whole_page(at)

    at.selectbox(key=f"work_status_{number}").set_value("waiting")
    _button(at, "Cambiar estado").click().run()
    assert "Estado cambiado." in texts(at)
    assert _case(desk, number).status == "waiting"

    at.text_area(key=f"work_solution_{number}").input("Se cambió el tóner.")
    _button(at, "Resolver").click().run()
    assert "Caso resuelto." in texts(at)
    case = _case(desk, number)
    assert (case.status, case.solution) == ("resolved", "Se cambió el tóner.")
    assert case.first_response_at is not None

    with unit_of_work(desk, write=False) as session:
        bodies = session.scalars(sa.select(CaseMessage.body).where(CaseMessage.case_id == case.id)).all()
        assert bodies == ["Vamos a cambiar el tóner.", "Pedir tóner a bodega"]
        to_ana = " ".join(
            session.scalars(sa.select(OutboxEmail.body_text).where(OutboxEmail.to_address == "ana.perez@example.org"))
        )
        assert "Vamos a cambiar el tóner." in to_ana and "Se cambió el tóner." in to_ana
        assert "bodega" not in to_ana


def test_a_stale_view_is_refused_with_the_spanish_message(desk, tmp_path):
    make_user(desk, "ana.perez")
    make_user(desk, "laura.rios", role="advisor", areas=["Gestión Tecnológica"])
    make_user(desk, "mario.ruiz", role="advisor", areas=["Gestión Tecnológica"])
    number = _register(desk, tmp_path, "Impresora")
    laura = logged_in_app("laura.rios")
    laura.query_params["caso"] = str(number)
    laura.switch_page("app_pages/bandeja.py").run()
    mario = logged_in_app("mario.ruiz")
    mario.query_params["caso"] = str(number)
    mario.switch_page("app_pages/bandeja.py").run()

    mario.text_area(key=f"work_solution_{number}").input("Resuelto por Mario")
    _button(mario, "Resolver").click().run()
    assert _case(desk, number).status == "resolved"

    laura.selectbox(key=f"work_status_{number}").set_value("in_progress")
    _button(laura, "Cambiar estado").click().run()
    assert "El caso cambió mientras lo editaba; revise y vuelva a intentar." in texts(laura)
    assert _case(desk, number).status == "resolved"


def test_an_employee_has_no_inbox_and_cannot_open_it_by_path(desk):
    make_user(desk, "ana.perez")
    at = logged_in_app("ana.perez")
    assert "Bandeja de casos" not in page_titles(at)
    with unit_of_work(desk, write=False) as session:
        assert session.scalar(sa.select(User.role).where(User.username == "ana.perez")) == "employee"
    direct = AppTest.from_file(str(ROOT / "app_pages" / "bandeja.py"), default_timeout=30)
    direct.session_state["mesa_actor"] = at.session_state["mesa_actor"]
    direct.run()
    assert i18n.t("error.forbidden_page") in texts(direct)
    assert not direct.dataframe


def test_volver_returns_to_the_list_after_opening_a_case_by_its_row(desk, tmp_path):
    make_user(desk, "ana.perez")
    make_user(desk, "laura.rios", role="advisor", areas=["Gestión Tecnológica"])
    number = _register(desk, tmp_path, "Impresora")
    at = logged_in_app("laura.rios")
    at.switch_page("app_pages/bandeja.py").run()
    at.pills(key="inbox_quick").set_value("mine_open").run()  # auto-assigned to her, the one advisor
    at.session_state["inbox_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert f"Caso #{number}" in texts(at)
    _button(at, "Volver a la bandeja").click().run()
    assert at.dataframe and f"Caso #{number}" not in texts(at)
    # The key figure chosen before opening the case is still the list's filter.
    assert at.pills(key="inbox_quick").value == "mine_open" and "Filtro: Míos abiertos" in texts(at)


def test_a_button_pressed_after_the_account_was_deactivated_changes_nothing(desk, tmp_path):
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    number = _register(desk, tmp_path, "Impresora")
    at = logged_in_app("ana.perez")
    at.query_params["caso"] = str(number)
    at.switch_page("app_pages/verificar.py").run()
    with unit_of_work(desk) as session:
        users.set_user_active(session=session, actor=users.Actor.system(), username="ana.perez", active=False)
    at.chat_input(key=f"chat_{number}").set_value("Mensaje tardío").run()
    with unit_of_work(desk, write=False) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(CaseMessage)) == 0


def test_the_inbox_draws_the_page_size_the_advisor_chooses_with_a_pager_and_keeps_it(desk, tmp_path):
    make_user(desk, "ana.perez")
    make_user(desk, "laura.rios", role="advisor", areas=["Gestión Tecnológica"])
    numbers = [_register(desk, tmp_path, f"Impresora {i}") for i in range(27)]
    at = logged_in_app("laura.rios")
    at.switch_page("app_pages/bandeja.py").run()
    assert len(at.dataframe[0].value) == 25  # the default page size
    assert at.selectbox(key="inbox_page_size").value == 25
    assert "Página 1 de 2" in texts(at)

    at.selectbox(key="inbox_page_size").set_value(10).run()
    assert list(at.dataframe[0].value["Número"]) == numbers[:10]
    assert "Página 1 de 3" in texts(at)
    _button(at, "Siguiente").click().run()
    assert list(at.dataframe[0].value["Número"]) == numbers[10:20]
    assert "Página 2 de 3" in texts(at)

    at.text_input(key="inbox_go").input(str(numbers[12]))
    _button(at, "Abrir").click().run()
    assert f"Caso #{numbers[12]}" in texts(at) and not at.dataframe
    _button(at, "Volver a la bandeja").click().run()
    assert len(at.dataframe[0].value) == 10  # the choice outlives the work view
    assert at.selectbox(key="inbox_page_size").value == 10


def test_abrir_el_caso_opens_a_number_typed_and_refuses_anything_else_in_words(desk, tmp_path):
    make_user(desk, "ana.perez")
    make_user(desk, "laura.rios", role="advisor", areas=["Gestión Tecnológica"])
    ours = _register(desk, tmp_path, "Impresora sin tóner")
    theirs = register_case(desk, tmp_path, option="Aseo", subject="Baño sin papel")  # Servicios Generales
    at = logged_in_app("laura.rios")
    at.switch_page("app_pages/bandeja.py").run()

    at.text_input(key="inbox_go").input("la impresora")
    _button(at, "Abrir").click().run()
    assert "Escriba solo el número del caso, por ejemplo 1024." in texts(at)
    assert list(at.dataframe[0].value["Número"]) == [ours]  # the list stays, nothing opened

    at.text_input(key="inbox_go").input(str(theirs))  # a case of an area not hers: not shown, not told apart
    _button(at, "Abrir").click().run()
    assert "Caso no encontrado." in texts(at) and "Baño sin papel" not in texts(at)
    _button(at, "Volver a la bandeja").click().run()

    at.text_input(key="inbox_go").input(f" #{ours} ")
    _button(at, "Abrir").click().run()
    assert f"Caso #{ours}" in texts(at) and "Impresora sin tóner" in texts(at)
    _button(at, "Volver a la bandeja").click().run()
    assert at.text_input(key="inbox_go").value == ""  # sent once, not left to open it again


def test_the_page_size_resets_the_inbox_to_its_first_page(desk, tmp_path):
    make_user(desk, "ana.perez")
    make_user(desk, "laura.rios", role="advisor", areas=["Gestión Tecnológica"])
    numbers = [_register(desk, tmp_path, f"Impresora {i}") for i in range(12)]
    at = logged_in_app("laura.rios")
    at.switch_page("app_pages/bandeja.py").run()
    at.selectbox(key="inbox_page_size").set_value(10).run()
    _button(at, "Siguiente").click().run()
    assert list(at.dataframe[0].value["Número"]) == numbers[10:]
    at.selectbox(key="inbox_page_size").set_value(50).run()
    assert list(at.dataframe[0].value["Número"]) == numbers
    assert not [b for b in at.button if b.label == "Siguiente"]  # one page: no pager


def _handoff_notices(engine, username):
    with unit_of_work(engine, write=False) as session:
        return session.scalars(
            sa.select(Notification.kind)
            .join(User, User.id == Notification.user_id)
            .where(User.username == username, Notification.kind.in_(("case_taken", "case_reassigned")))
        ).all()


def _user_id(engine, username):
    with unit_of_work(engine, write=False) as session:
        return session.scalar(sa.select(User.id).where(User.username == username))


def _work_view(username, number):
    at = logged_in_app(username)
    at.query_params["caso"] = str(number)
    return at.switch_page("app_pages/bandeja.py").run()


def test_tomar_asks_before_taking_a_colleagues_case_and_the_colleague_is_told_once(desk, tmp_path):
    make_user(desk, "ana.perez")
    make_user(desk, "laura.rios", role="advisor", areas=["Gestión Tecnológica"], full_name="Laura Ríos")
    make_user(desk, "mario.ruiz", role="advisor", areas=["Gestión Tecnológica"], full_name="Mario Ruiz")
    with unit_of_work(desk) as session:
        session.execute(sa.update(Area).values(assignment_mode="manual"))
    number = _register(desk, tmp_path, "Impresora")
    laura = _work_view("laura.rios", number)
    _button(laura, "Tomar").click().run()  # nobody's yet: taken at once
    assert "El caso quedó asignado a usted." in texts(laura)
    assert _case(desk, number).assignee_id == _user_id(desk, "laura.rios")
    assert not [b for b in laura.button if b.label == "Sí, tomarlo"]

    mario = _work_view("mario.ruiz", number)
    _button(mario, "Tomar").click().run()
    assert "Este caso lo tiene Laura Ríos. Si lo toma, se le avisará." in texts(mario)
    assert "El caso quedó asignado a usted." not in texts(mario)
    assert _case(desk, number).assignee_id == _user_id(desk, "laura.rios")

    _button(mario, "Cancelar").click().run()
    assert "Este caso lo tiene Laura Ríos" not in texts(mario)
    assert not [b for b in mario.button if b.label == "Sí, tomarlo"]
    assert _case(desk, number).assignee_id == _user_id(desk, "laura.rios")
    assert _handoff_notices(desk, "laura.rios") == []

    _button(mario, "Tomar").click().run()
    _button(mario, "Sí, tomarlo").click().run()
    assert "El caso quedó asignado a usted." in texts(mario)
    assert "Este caso lo tiene Laura Ríos" not in texts(mario)
    assert _case(desk, number).assignee_id == _user_id(desk, "mario.ruiz")
    assert _handoff_notices(desk, "laura.rios") == ["case_taken"]
    assert not [b for b in mario.button if b.label == "Tomar"]  # his now


def test_reasignar_asks_before_moving_a_colleagues_case_to_another_advisor(desk, tmp_path):
    make_user(desk, "ana.perez")
    make_user(desk, "laura.rios", role="advisor", areas=["Gestión Tecnológica"], full_name="Laura Ríos")
    make_user(desk, "mario.ruiz", role="advisor", areas=["Gestión Tecnológica"], full_name="Mario Ruiz")
    number = _register(desk, tmp_path, "Impresora")  # assigned to Laura, the first advisor of the area
    assert _case(desk, number).assignee_id == _user_id(desk, "laura.rios")

    admin = _work_view("admin.mesa", number)
    admin.selectbox(key=f"work_advisor_{number}").set_value("mario.ruiz")
    _button(admin, "Reasignar").click().run()
    assert "Este caso lo tiene Laura Ríos. Si lo reasigna a Mario Ruiz, se le avisará." in texts(admin)
    assert _case(desk, number).assignee_id == _user_id(desk, "laura.rios")

    _button(admin, "Sí, reasignarlo").click().run()
    assert "Caso reasignado." in texts(admin)
    assert _case(desk, number).assignee_id == _user_id(desk, "mario.ruiz")
    assert _handoff_notices(desk, "laura.rios") == ["case_reassigned"]

    # The holder who hands the case on is not asked: it is theirs.
    mario = _work_view("mario.ruiz", number)
    mario.selectbox(key=f"work_advisor_{number}").set_value("laura.rios")
    _button(mario, "Reasignar").click().run()
    assert "Caso reasignado." in texts(mario)
    assert _case(desk, number).assignee_id == _user_id(desk, "laura.rios")
    assert _handoff_notices(desk, "mario.ruiz") == []


def test_the_inbox_shows_cards_instead_of_the_table_when_chosen_and_a_card_opens_its_case(desk, tmp_path):
    make_user(desk, "ana.perez")
    make_user(desk, "laura.rios", role="advisor", areas=["Gestión Tecnológica"])
    number = _register(desk, tmp_path, "Impresora *sin* tóner")
    at = logged_in_app("laura.rios")
    at.switch_page("app_pages/bandeja.py").run()
    assert at.dataframe and at.button_group(key="inbox_view").value == "table"  # no phone: the table

    at.button_group(key="inbox_view").set_value("cards").run()
    assert not at.dataframe
    card = next(b for b in at.button if b.key == f"inbox_card_{number}")
    assert card.label == f"**#{number}** · Impresora \\*sin\\* tóner"  # the subject as typed, not Markdown
    card.click().run()
    assert f"Caso #{number}" in texts(at)
    _button(at, "Volver a la bandeja").click().run()
    assert at.button_group(key="inbox_view").value == "cards" and not at.dataframe  # the choice stays
