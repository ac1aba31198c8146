"""Registrar un Caso and Verificar mis Casos driven in AppTest, step by step as the manual tells."""

import io

import sqlalchemy as sa
from PIL import Image

from models import Attachment, Case, CaseMessage, ServiceOption
from services import cases, users
from services.cases import NewFile, Uploads
from services.db import unit_of_work
from services.storage import Storage
from tests.conftest import logged_in_app, make_user, texts


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, format="PNG")
    return buffer.getvalue()


def _button(at, label):
    return next(b for b in at.button if b.label.startswith(label))


def _option_id(engine, name):
    with unit_of_work(engine, write=False) as session:
        return session.scalar(sa.select(ServiceOption.id).where(ServiceOption.name == name))


def _attach(at, name, data, mime, description):
    n = at.session_state.get("reg_n", 0)
    at.file_uploader(key=f"reg_up_{n}").upload(name, data, mime)
    at.text_input(key=f"reg_desc_{n}").input(description)
    _button(at, "💾").click().run()


def _fill_form(at, engine, subject, description, urgency="high"):
    at.switch_page("app_pages/registrar.py").run()
    _button(at, "Gestión Tecnológica").click().run()
    at.radio(key="reg_option").set_value(_option_id(engine, "Soporte de equipos")).run()
    at.text_input(key="reg_subject").input(subject)
    at.text_area(key="reg_description").input(description)
    at.selectbox(key="reg_urgency").set_value(urgency)
    return at.run()


def test_an_employee_registers_a_case_as_the_manual_says(desk, data_dir):
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    at = logged_in_app("ana.perez")
    at.switch_page("app_pages/registrar.py").run()
    assert "¿A qué área le quiere reportar el caso?" in texts(at)
    _button(at, "Gestión Tecnológica").click().run()
    options = at.radio(key="reg_option")
    assert "Soporte de equipos" in options.options
    assert options.label == "Seleccione la opción que más se ajuste a lo que necesita registrar"
    _fill_form(at, desk, "El portátil no enciende", "Desde esta mañana no enciende.")
    assert at.selectbox(key="reg_urgency").options == ["Muy bajo", "Bajo", "Medio", "Alto", "Muy Alto"]

    # Adjuntar archivo → Archivos Adjuntos: Agregar, descripción, 💾; twice; close.
    _button(at, "Adjuntar archivo").click().run()
    _attach(at, "nota.txt", b"Detalles del equipo\n", "text/plain", "Nota con detalles")
    _attach(at, "foto.png", _png(), "image/png", "Foto del equipo")
    assert "Archivo foto\\.png agregado." in texts(at)
    _button(at, "Cerrar").click().run()
    assert _button(at, "Adjuntar archivo").label == "Adjuntar archivo (2)"

    _button(at, "Enviar caso").click().run()
    assert "Su caso fue registrado con el número 1" in texts(at)
    _button(at, "OK").click().run()
    shown = texts(at)
    for expected in (
        "Caso #1",
        "Gestión Tecnológica",
        "Soporte de equipos",
        "El portátil no enciende",
        "Desde esta mañana no enciende\\.",
        "Alto",
        "Registrado desde",
        "Nota con detalles",
        "Foto del equipo",
    ):
        assert expected in shown, expected
    assert {d.label.split(" (")[0] for d in at.get("download_button")} == {"nota\\.txt", "foto\\.png"}

    # Mensaje → to the advisor (the area's queue while nobody is assigned).
    _button(at, "Mensaje").click().run()
    at.text_area(key="msg_body").input("¿Pueden revisarlo hoy?")
    _button(at, "Enviar mensaje").click().run()
    assert "Mensaje enviado." in texts(at)

    with unit_of_work(desk, write=False) as session:
        case = session.scalar(sa.select(Case))
        assert (case.number, case.status, case.urgency, case.subject) == (1, "new", "high", "El portátil no enciende")
        stored = session.scalars(sa.select(Attachment).where(Attachment.case_id == case.id)).all()
        assert {(a.original_name, a.description) for a in stored} == {
            ("nota.txt", "Nota con detalles"),
            ("foto.png", "Foto del equipo"),
        }
        assert [m.body for m in session.scalars(sa.select(CaseMessage))] == ["¿Pueden revisarlo hoy?"]
    for attachment in stored:
        assert Storage(data_dir / "attachments").path_for(attachment.content_hash).is_file()


def test_missing_required_fields_are_named_and_nothing_is_saved(desk):
    make_user(desk, "ana.perez")
    at = _fill_form(logged_in_app("ana.perez"), desk, "   ", "Algo pasó")
    _button(at, "Enviar caso").click().run()
    assert "El campo Asunto es obligatorio." in texts(at)
    at.text_input(key="reg_subject").input("Asunto bueno")
    at.text_area(key="reg_description").input("  ")
    _button(at, "Enviar caso").click().run()
    assert "El campo Describa lo que pasó es obligatorio." in texts(at)
    assert at.text_input(key="reg_subject").value == "Asunto bueno"  # what was typed stays
    with unit_of_work(desk, write=False) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_a_forbidden_file_is_refused_in_the_dialog_with_its_reason(desk):
    make_user(desk, "ana.perez")
    at = _fill_form(logged_in_app("ana.perez"), desk, "Asunto", "Descripción")
    _button(at, "Adjuntar archivo").click().run()
    _attach(at, "foto.png", b"MZ\x90\x00" + b"\x00" * 200, "image/png", "no es foto")
    assert "es un programa ejecutable" in texts(at)
    _button(at, "Cerrar").click().run()
    assert _button(at, "Adjuntar archivo").label == "Adjuntar archivo"


def test_sending_twice_registers_one_case(desk):
    make_user(desk, "ana.perez")
    at = _fill_form(logged_in_app("ana.perez"), desk, "Asunto", "Descripción")
    token = at.session_state["reg_token"]
    _button(at, "Enviar caso").click().run()
    # The same form sent again (a double click or a rerun replaying it) finds the same case.
    with unit_of_work(desk) as session:
        actor = users.load_actor(session=session, username="ana.perez")
        again = cases.register_case(
            session=session,
            actor=actor,
            uploads=Uploads(Storage(desk.url.database), 1),
            option_id=_option_id(desk, "Soporte de equipos"),
            subject="Asunto",
            description="Descripción",
            request_token=token,
        )
    assert again.number == 1
    with unit_of_work(desk, write=False) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Case)) == 1


def _register(engine, username, subject, data_dir, files=()):
    with unit_of_work(engine) as session:
        actor = users.load_actor(session=session, username=username)
        return cases.register_case(
            session=session,
            actor=actor,
            uploads=Uploads(Storage(data_dir / "attachments"), 10),
            option_id=_option_id(engine, "Impresoras"),
            subject=subject,
            description="Detalle",
            files=files,
        ).number


def test_verificar_mis_casos_lists_expands_and_chats(desk, data_dir):
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    make_user(desk, "otro.usuario")
    first = _register(
        desk, "ana.perez", "Impresora atascada", data_dir, files=[NewFile("nota.txt", b"hola", "la nota")]
    )
    _register(desk, "ana.perez", "Sin tinta", data_dir)
    foreign = _register(desk, "otro.usuario", "Caso ajeno", data_dir)

    at = logged_in_app("ana.perez")
    at.switch_page("app_pages/verificar.py").run()
    labels = [e.label for e in at.expander]
    assert len(labels) == 2 and "Caso ajeno" not in " ".join(labels)
    assert labels[0].startswith("**#2**")  # newest activity first

    at.text_input(key="ver_search").input("atascada").run()
    assert [e.label for e in at.expander] == [f"**#{first}** · Impresora atascada · Registrado · Medio"]

    at.session_state[f"case_{first}"] = True
    at.run()
    assert "Caso registrado por Ana Pérez" in texts(at)
    at.chat_input(key=f"chat_{first}").set_value("¿Hay novedades?").run()
    assert "¿Hay novedades?" in texts(at)

    at.query_params["caso"] = str(foreign)
    at.run()
    assert "Caso no encontrado." in texts(at)
    assert "Caso ajeno" not in texts(at)


def test_a_case_in_the_url_opens_when_it_is_yours(desk, data_dir):
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    number = _register(desk, "ana.perez", "Proyector dañado", data_dir)
    at = logged_in_app("ana.perez")
    at.query_params["caso"] = str(number)
    at.switch_page("app_pages/verificar.py").run()
    assert at.expander[0].label.startswith(f"**#{number}**")
    assert "Proyector dañado" in texts(at)


def test_inicio_shows_open_cases_and_latest_updates(desk, data_dir):
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    _register(desk, "ana.perez", "Proyector dañado", data_dir)
    at = logged_in_app("ana.perez")
    figure = [h.value for h in at.header]
    assert "Mis casos en atención" in texts(at) and figure == ["1"]
    assert "Proyector dañado" in texts(at)
