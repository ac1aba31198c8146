"""Administración in AppTest: create a user, add an option that appears in the form, send a test e-mail; lockout."""

import sqlalchemy as sa

from models import User
from services.db import unit_of_work
from tests.conftest import PASSWORD, app_test, logged_in_app, make_user, page_titles, texts
from tests.smtp import SmtpServer


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def test_admin_pages_are_only_for_admins(desk):
    make_user(desk, "marta.luna", role="manager")
    admin_pages = {"Usuarios", "Áreas y opciones", "Acuerdos de servicio", "Correo", "Auditoría"}
    assert admin_pages <= page_titles(logged_in_app("admin.mesa"))
    assert not admin_pages & page_titles(logged_in_app("marta.luna"))


def test_an_admin_creates_a_user_with_a_temporary_password(desk):
    at = logged_in_app("admin.mesa")
    at.switch_page("app_pages/admin_usuarios.py").run()
    fields = {ti.label: ti for ti in at.text_input}
    fields["Usuario"].input("pedro.paez")
    at.text_input(key="new_full_name").input("Pedro Páez")
    at.text_input(key="new_email").input("pedro@example.org")
    at.selectbox(key="new_role").set_value("advisor")
    at.multiselect(key="new_areas").set_value(["Gestión Tecnológica"])
    at.text_input(key="new_password").input("Temporal-2026")
    _button(at, "Crear usuario").click().run()
    assert "Usuario pedro.paez creado." in texts(at)
    assert "Clave temporal de pedro.paez: Temporal\\-2026" in texts(at)  # Markdown-escaped: shown as typed
    with unit_of_work(desk, write=False) as session:
        user = session.scalar(sa.select(User).where(User.username == "pedro.paez"))
        assert (user.role, user.must_change_password) == ("advisor", True)
    # The new user must change the password before anything else.
    first = logged_in_app("pedro.paez")
    assert page_titles(first) == {"Cambiar clave", "Cerrar sesión"}


def test_a_new_option_appears_in_the_registration_form(desk):
    at = logged_in_app("admin.mesa")
    at.switch_page("app_pages/admin_catalogo.py").run()
    form_fields = [ti for ti in at.text_input if ti.label == "Nombre" and not (ti.key or "").startswith("opt_")]
    form_fields[0].input("Videoconferencias")
    next(b for b in at.button if b.label == "Agregar opción").click().run()
    assert "Opción Videoconferencias agregada." in texts(at)

    make_user(desk, "ana.perez")
    employee = logged_in_app("ana.perez")
    employee.switch_page("app_pages/registrar.py").run()
    next(b for b in employee.button if b.label == "Gestión Tecnológica").click().run()
    assert "Videoconferencias" in employee.radio(key="reg_option").options


def test_a_test_email_reaches_the_smtp_server(desk, monkeypatch):
    server = SmtpServer().start()
    monkeypatch.setenv("MESA_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MESA_SMTP_PORT", str(server.port))
    try:
        at = logged_in_app("admin.mesa")
        at.switch_page("app_pages/admin_correo.py").run()
        at.text_input[0].input("prueba@example.org")
        _button(at, "Enviar correo de prueba").click().run()
        assert "Correo de prueba enviado a prueba@example\\.org." in texts(at)
        assert [r.to for r in server.received] == [["prueba@example.org"]]
        assert "Correo de prueba" in server.received[0].subject
    finally:
        server.stop()


def _try_login(username, password):
    at = app_test().run()
    fields = {ti.label: ti for ti in at.text_input}
    fields["Usuario"].input(username)
    fields["Clave"].input(password)
    _button(at, "Ingresar").click()
    return at.run()


def test_five_wrong_passwords_lock_the_account_with_the_same_answer_as_an_unknown_user(desk):
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    answers = {texts(_try_login("ana.perez", f"mala-{i}")) for i in range(5)}
    unknown = texts(_try_login("nadie.existe", "mala"))
    assert len(answers) == 1 and answers == {unknown}
    locked = _try_login("ana.perez", PASSWORD)
    assert "Hola, Ana Pérez" not in texts(locked)
    assert texts(locked) == unknown

    at = logged_in_app("admin.mesa")
    at.switch_page("app_pages/admin_usuarios.py").run()
    at.selectbox(key="adm_pick").set_value("ana.perez").run()
    _button(at, "Desbloquear").click().run()
    assert "Cuenta desbloqueada." in texts(at)
    assert "Hola, Ana Pérez" in texts(_try_login("ana.perez", PASSWORD))
