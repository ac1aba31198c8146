"""The shell in AppTest: the one-time setup, the login gate, Mi cuenta and the navigation of each role."""

import bcrypt
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from models import User
from services import i18n, security, users
from services.db import unit_of_work
from tests.conftest import PASSWORD, ROOT, app_test, logged_in_app, make_user, page_titles, texts


def _login(at, username, password):
    fields = {ti.label: ti for ti in at.text_input}
    fields["Usuario"].input(username)
    fields["Clave"].input(password)
    next(b for b in at.button if b.label == "Ingresar").click()
    return at.run()


def test_first_start_shows_the_setup_page_and_it_creates_the_admin(engine):
    at = app_test().run()
    assert "Configuración inicial" in texts(at)
    fields = {ti.label: ti for ti in at.text_input}
    fields["Usuario del administrador"].input("Admin.Mesa")
    fields["Nombre completo"].input("Admin Mesa")
    fields["Correo electrónico"].input("admin@example.org")
    fields["Clave"].input(PASSWORD)
    fields["Repita la clave"].input(PASSWORD)
    assert at.checkbox[0].value is True  # demo catalogue ticked by default
    next(b for b in at.button if b.label == "Crear administrador").click()
    at.run()
    assert "El administrador admin.mesa fue creado" in texts(at)
    shown = at.dataframe[0].value
    assert set(shown["Rol"]) == {"Solicitante", "Asesor", "Coordinador"}
    assert [b.proto.label for b in at.get("download_button")] == ["Descargar la lista (CSV)"]
    next(b for b in at.button if b.label == "Ir a ingresar").click()
    at.run()
    assert [ti.label for ti in at.text_input] == ["Usuario", "Clave"]
    # A second visitor gets the login, never the setup again.
    again = app_test().run()
    assert "Configuración inicial" not in texts(again)
    with unit_of_work(engine, write=False) as session:
        assert session.scalars(sa.select(User.username).where(User.role == "admin")).all() == ["admin.mesa"]


def test_setup_refuses_mismatched_passwords_and_saves_nothing(engine):
    at = app_test().run()
    fields = {ti.label: ti for ti in at.text_input}
    fields["Usuario del administrador"].input("admin.mesa")
    fields["Nombre completo"].input("Admin")
    fields["Correo electrónico"].input("admin@example.org")
    fields["Clave"].input(PASSWORD)
    fields["Repita la clave"].input(PASSWORD + "x")
    next(b for b in at.button if b.label == "Crear administrador").click()
    at.run()
    assert "Las dos claves no coinciden." in texts(at)
    with unit_of_work(engine, write=False) as session:
        assert users.needs_setup(session=session)


def test_login_with_the_right_password_opens_inicio(desk):
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    at = _login(app_test().run(), "ana.perez", PASSWORD)
    assert "Hola, Ana Pérez" in texts(at)
    assert not at.exception


def test_login_with_a_wrong_password_is_refused_in_spanish(desk):
    make_user(desk, "ana.perez")
    at = _login(app_test().run(), "ana.perez", "no-es-la-clave")
    assert "Usuario o clave incorrectos." in texts(at)
    assert "Hola" not in texts(at)
    unknown = _login(app_test().run(), "nadie.existe", "no-es-la-clave")
    assert "Usuario o clave incorrectos." in texts(unknown)


def test_a_deactivated_user_is_logged_out_on_the_next_run(desk):
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    at = logged_in_app("ana.perez")
    assert "Hola, Ana Pérez" in texts(at)
    with unit_of_work(desk) as session:
        users.set_user_active(session=session, actor=users.Actor.system(), username="ana.perez", active=False)
    at.run()
    assert "Hola, Ana Pérez" not in texts(at)
    assert "Su sesión terminó" in texts(at)
    assert [ti.label for ti in at.text_input] == ["Usuario", "Clave"]


def test_a_temporary_password_must_be_changed_before_anything_else(desk):
    make_user(desk, "ana.perez", full_name="Ana Pérez", must_change_password=True)
    at = logged_in_app("ana.perez")
    assert page_titles(at) == {"Cambiar clave", "Cerrar sesión"}
    assert "Su clave es temporal" in texts(at)
    fields = {ti.label: ti for ti in at.text_input}
    fields["Clave actual"].input(PASSWORD)
    fields["Clave nueva"].input("Mi-clave-propia-5")
    fields["Repita la clave nueva"].input("Mi-clave-propia-5")
    next(b for b in at.button if b.label == "Cambiar clave").click()
    at.run()
    assert "Inicio" in page_titles(at)
    assert "Hola, Ana Pérez" in texts(at)


def test_mi_cuenta_edits_name_and_changes_the_password(desk):
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    at = logged_in_app("ana.perez")
    at.switch_page("app_pages/mi_cuenta.py").run()
    fields = {ti.label: ti for ti in at.text_input}
    assert fields["Usuario"].value == "ana.perez"
    fields["Nombre completo"].input("Ana María Pérez")
    next(b for b in at.button if b.label == "Guardar datos").click()
    at.run()
    assert "Sus datos fueron guardados." in texts(at)
    fields = {ti.label: ti for ti in at.text_input}
    fields["Clave actual"].input(PASSWORD)
    fields["Clave nueva"].input("12345678")
    fields["Repita la clave nueva"].input("12345678")
    next(b for b in at.button if b.label == "Cambiar clave").click()
    at.run()
    assert "Esa clave es demasiado común" in texts(at)
    with unit_of_work(desk, write=False) as session:
        stored = session.scalar(sa.select(User).where(User.username == "ana.perez"))
        assert stored.full_name == "Ana María Pérez"


def test_visual_mode_is_saved_for_the_user(desk):
    make_user(desk, "ana.perez")
    at = logged_in_app("ana.perez")
    at.switch_page("app_pages/mi_cuenta.py").run()
    at.radio(key="mesa_theme_choice").set_value("dark").run()
    assert "Modo visual guardado." in texts(at)
    with unit_of_work(desk, write=False) as session:
        assert session.scalar(sa.select(User.theme).where(User.username == "ana.perez")) == "dark"
    # A new session of the same user starts in dark mode.
    assert logged_in_app("ana.perez").session_state["mesa_actor"].theme == "dark"


def test_each_role_sees_only_its_pages(desk):
    make_user(desk, "ana.perez")
    employee = page_titles(logged_in_app("ana.perez"))
    admin = page_titles(logged_in_app("admin.mesa"))
    assert {"Inicio", "Mi cuenta", "Cerrar sesión"} <= employee
    assert "Configuración inicial" not in employee | admin
    assert "Cambiar clave" not in employee


def test_a_page_script_opened_without_the_app_shows_nothing_of_it(desk):
    at = AppTest.from_file(str(ROOT / "app_pages" / "mi_cuenta.py"), default_timeout=30).run()
    assert i18n.t("error.forbidden_page") in texts(at)
    assert not at.text_input


def test_the_user_chooses_english_in_mi_cuenta_and_the_desk_speaks_it(desk):
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    at = logged_in_app("ana.perez")
    at.switch_page("app_pages/mi_cuenta.py").run()
    at.selectbox(key="mesa_language_choice").set_value("en").run()
    assert {"Home", "My account"} <= page_titles(at)
    at.switch_page("app_pages/inicio.py").run()
    assert "Hola" not in texts(at) and "Ana Pérez" in texts(at)
    with unit_of_work(desk, write=False) as session:
        assert session.scalar(sa.select(User.language).where(User.username == "ana.perez")) == "en"


def _stored_hash(engine, username):
    with unit_of_work(engine, write=False) as session:
        return session.scalar(sa.select(User.password_hash).where(User.username == username))


def test_a_login_rehashes_a_password_kept_at_another_bcrypt_cost_and_a_wrong_one_changes_nothing(desk):
    """MESA_BCRYPT_ROUNDS is a setting: a password stored at another cost is re-hashed at the cost in
    effect by its owner's next good login (a wrong password never touches it), and still opens the desk."""
    make_user(desk, "ana.perez")
    with unit_of_work(desk) as session:  # as if hashed when the desk ran at cost 5
        session.execute(
            sa.update(User)
            .where(User.username == "ana.perez")
            .values(password_hash=bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(5)).decode())
        )
    old = _stored_hash(desk, "ana.perez")
    assert old.startswith("$2b$05$")

    at = _login(app_test().run(), "ana.perez", PASSWORD + "x")
    assert "Usuario o clave incorrectos." in texts(at)
    assert _stored_hash(desk, "ana.perez") == old

    at = _login(app_test().run(), "ana.perez", PASSWORD)
    assert "Hola, Ana Perez" in texts(at)
    new = _stored_hash(desk, "ana.perez")
    assert new.startswith(f"$2b${security.BCRYPT_ROUNDS:02d}$") and new != old
    assert "Hola, Ana Perez" in texts(_login(app_test().run(), "ana.perez", PASSWORD))
    assert _stored_hash(desk, "ana.perez") == new  # at the cost in effect: left alone
