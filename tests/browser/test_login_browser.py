"""Login and sessions in a real browser: the HttpOnly cookie names a server-side session, and only a live one.

Each test logs in through the form (as a person does), then plays the attacker or the second tab.
"""

import base64
import json
import time

import jwt
import pytest

from services import sessions, users
from services.db import unit_of_work
from services.settings import cookie_key, load_settings
from tests.browser.conftest import DARK_PAGE, fill_login_form, go_to, log_in, screenshot, settle
from tests.conftest import PASSWORD, make_user

COOKIE = "mesa_sesion"


def _desk_cookie(context):
    """The session cookie the browser holds, once the page's request for it has been answered."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        found = [c for c in context.cookies() if c["name"] == COOKIE]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError("the browser never received the session cookie")


def _log_in(tab, app, username, *, remember=False, name=None):
    tab.goto(app.url)
    if remember:
        tab.get_by_text("Recordarme").click()
    fill_login_form(tab, username)
    tab.get_by_text(f"Hola, {name}").first.wait_for()
    return _desk_cookie(tab.context)


def _new_browser(chromium, app, cookies=()):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="es-CO")
    if cookies:
        context.add_cookies([{"name": c["name"], "value": c["value"], "url": app.url} for c in cookies])
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    return tab


def _shows_login_form(tab):
    tab.get_by_role("button", name="Ingresar").wait_for()
    tab.get_by_role("textbox", name="Usuario").wait_for()
    assert tab.get_by_text("Hola,").count() == 0
    assert tab.get_by_text("Traceback").count() == 0


@pytest.fixture
def person(live_app):
    """A fresh employee per test (sessions of one test never meet another's)."""
    username = f"persona.{int(time.monotonic() * 1000) % 10**8}"
    make_user(live_app.engine, username, full_name="Persona Prueba")
    return username


def test_login_sets_an_httponly_cookie_that_scripts_cannot_read(live_app, page, person):
    cookie = _log_in(page, live_app, person, name="Persona Prueba")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/"
    assert COOKIE not in page.evaluate("document.cookie")
    assert cookie["expires"] == -1  # "Recordarme" unticked: a browser-session cookie


def test_a_remembered_login_opens_a_deep_link_in_a_new_browser(live_app, page, chromium, person):
    cookie = _log_in(page, live_app, person, remember=True, name="Persona Prueba")
    assert cookie["expires"] > time.time() + 6 * 86400  # persistent for MESA_SESSION_MAX_DAYS (7)
    other = _new_browser(chromium, live_app, [cookie])
    other.goto(live_app.url + "/mi-cuenta")
    other.get_by_role("textbox", name="Nombre completo").wait_for()
    other.context.close()


def test_without_recordarme_the_session_ends_with_the_browser(live_app, page, chromium, person):
    _log_in(page, live_app, person, name="Persona Prueba")
    # A browser that is closed and opened again keeps only its persistent cookies.
    kept = [c for c in page.context.cookies() if c["expires"] != -1]
    assert all(c["name"] != COOKIE for c in kept)
    reopened = _new_browser(chromium, live_app, kept)
    reopened.goto(live_app.url)
    _shows_login_form(reopened)
    reopened.context.close()


def test_a_cookie_copied_before_logout_is_refused_after_it(live_app, page, chromium, person):
    stolen = _log_in(page, live_app, person, remember=True, name="Persona Prueba")
    go_to(page, "Persona Prueba", "Cerrar sesión")
    _shows_login_form(page)
    page.get_by_text("Sesión cerrada.").wait_for()
    assert all(c["name"] != COOKIE for c in page.context.cookies())  # the browser's copy is gone too
    thief = _new_browser(chromium, live_app, [stolen])
    thief.goto(live_app.url + "/mi-cuenta")
    _shows_login_form(thief)
    thief.context.close()


def test_logout_in_one_tab_ends_the_other_tabs_session_at_its_next_click(live_app, page, person):
    _log_in(page, live_app, person, remember=True, name="Persona Prueba")
    second = page.context.new_page()
    second.set_default_timeout(30_000)
    second.goto(live_app.url + "/mi-cuenta")
    second.get_by_role("textbox", name="Nombre completo").wait_for()
    go_to(page, "Persona Prueba", "Cerrar sesión")
    _shows_login_form(page)
    second.get_by_role("button", name="Guardar datos").click()  # its next click
    _shows_login_form(second)
    second.get_by_text("Su sesión terminó").wait_for()


def test_a_deactivated_users_cookie_stays_dead_after_reactivation(live_app, page, chromium, person):
    cookie = _log_in(page, live_app, person, remember=True, name="Persona Prueba")
    with unit_of_work(live_app.engine) as session:
        users.set_user_active(session=session, actor=users.Actor.system(), username=person, active=False)
    with unit_of_work(live_app.engine) as session:
        users.set_user_active(session=session, actor=users.Actor.system(), username=person, active=True)
    later = _new_browser(chromium, live_app, [cookie])
    later.goto(live_app.url)
    _shows_login_form(later)
    later.context.close()


def test_a_cookie_from_before_a_password_reset_no_longer_works(live_app, page, chromium, person):
    cookie = _log_in(page, live_app, person, remember=True, name="Persona Prueba")
    with unit_of_work(live_app.engine) as session:
        users.reset_password(session=session, actor=users.Actor.system(), username=person)
    later = _new_browser(chromium, live_app, [cookie])
    later.goto(live_app.url)
    _shows_login_form(later)
    later.context.close()


def _key(app):
    return cookie_key(load_settings({"MESA_DATA_DIR": str(app.data_dir)}))


def _unsigned_jwt(payload):
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}."


MALFORMED = {
    "alg none": lambda key: _unsigned_jwt({"username": "ana.perez", "exp_date": time.time() + 86400}),
    "expired exp": lambda key: jwt.encode(
        {"username": "ana.perez", "exp_date": time.time() + 86400, "exp": int(time.time()) - 3600},
        key,
        algorithm="HS256",
    ),
    "missing exp_date": lambda key: jwt.encode({"username": "ana.perez"}, key, algorithm="HS256"),
    "an old remember-me JWT signed with our key": lambda key: jwt.encode(
        {"username": "ana.perez", "exp_date": time.time() + 86400}, key, algorithm="HS256"
    ),
    "our format, another key": lambda key: sessions.sign("x" * 43, "una-clave-que-no-es-la-nuestra-0123456789"),
    "our format, unknown session": lambda key: sessions.sign("y" * 43, key),
    "garbage": lambda key: "%%%not a cookie%%%",
}


@pytest.mark.parametrize("kind", list(MALFORMED))
def test_a_malformed_or_forged_cookie_shows_the_login_form_and_is_dropped(live_app, page, kind):
    page.context.add_cookies([{"name": COOKIE, "value": MALFORMED[kind](_key(live_app)), "url": live_app.url}])
    page.goto(live_app.url)
    _shows_login_form(page)
    deadline = time.monotonic() + 10
    while any(c["name"] == COOKIE for c in page.context.cookies()) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert all(c["name"] != COOKIE for c in page.context.cookies())
    # and the person can log in at once, without clearing anything by hand
    fill_login_form(page, "ana.perez", PASSWORD)
    page.get_by_text("Hola, Ana Pérez").first.wait_for()


def test_a_deep_link_survives_the_login_form(live_app, page):
    page.goto(live_app.url + "/mi-cuenta")
    page.get_by_role("textbox", name="Usuario").fill("ana.perez")
    page.get_by_role("textbox", name="Clave").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    page.get_by_role("textbox", name="Nombre completo").wait_for()
    assert page.url.endswith("/mi-cuenta")


def _background(tab):
    return tab.evaluate("getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor")


def test_each_user_sees_their_own_visual_mode_side_by_side(live_app, chromium):
    make_user(live_app.engine, "noche.oscura", full_name="Noche Oscura")
    with unit_of_work(live_app.engine) as session:
        actor = users.load_actor(session=session, username="noche.oscura")
        users.set_theme(session=session, actor=actor, theme="dark")
    tabs = {}
    for username, name in (("noche.oscura", "Noche Oscura"), ("ana.perez", "Ana Pérez")):
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        tab = context.new_page()
        tab.set_default_timeout(20000)
        log_in(tab, live_app.url, username)
        tab.get_by_text(f"Hola, {name}").first.wait_for()
        tabs[username] = tab
    # Her page reloads once in her mode (the browser keeps the mode per site): what she waits for.
    tabs["noche.oscura"].wait_for_function(DARK_PAGE)
    tabs["noche.oscura"].get_by_text("Hola, Noche Oscura").first.wait_for()
    dark, light = _background(tabs["noche.oscura"]), _background(tabs["ana.perez"])
    assert dark != light
    assert sum(int(c) for c in dark[dark.index("(") + 1 : -1].split(",")[:3]) < 150
    assert sum(int(c) for c in light[light.index("(") + 1 : -1].split(",")[:3]) > 600
    for tab in tabs.values():
        tab.context.close()


def test_a_page_not_open_yet_says_why_in_spanish_instead_of_page_not_found(live_app, page):
    make_user(live_app.engine, "nueva.clave", full_name="Nueva Clave", must_change_password=True)
    page.goto(live_app.url + "/registrar")
    fill_login_form(page, "nueva.clave")
    page.get_by_text("Antes de continuar debe cambiar su clave temporal.").wait_for()
    page.get_by_role("textbox", name="Clave actual").wait_for()
    assert page.get_by_text("Page not found").count() == 0
    assert page.get_by_role("textbox", name="Asunto").count() == 0


def test_an_address_that_is_no_page_opens_inicio_saying_why_in_spanish(live_app, page):
    """A mistyped or old link, before the login and after it, and /inicio (Inicio lives at /): Inicio, with the
    reason where there is one, never Streamlit's English "Page not found" dialog."""
    reason = "Esa dirección no es una página de la mesa; le mostramos la página de inicio."
    page.goto(live_app.url + "/pagina-que-no-existe")
    page.get_by_role("button", name="Ingresar").wait_for()
    settle(page)
    assert page.get_by_text("Page not found").count() == 0
    fill_login_form(page, "ana.perez")
    page.get_by_text("Hola, Ana Pérez").first.wait_for()
    page.get_by_text(reason).wait_for()
    screenshot(page, "direccion-inexistente", narrow=True)
    assert page.get_by_text("Page not found").count() == 0

    for address, explained in (("/otra-direccion", True), ("/inicio", False)):
        page.goto(live_app.url + address)  # the session outlives a page load
        page.get_by_text("Hola, Ana Pérez").first.wait_for()
        settle(page)
        assert page.get_by_text("Page not found").count() == 0
        assert page.get_by_text(reason).count() == (1 if explained else 0)
        assert page.get_by_test_id("stTopNavSection").filter(has_text="Mesa de Servicio").count() == 1


def test_the_logout_address_before_a_login_is_inicio_without_a_word_and_the_login_holds(live_app, page):
    """Cerrar sesión's address while nobody is logged in (the browser's Back after a logout, an old tab) is
    a page of the desk: the login form, and after the login Inicio, neither "no es una página" nor a second
    logout."""
    page.goto(live_app.url + "/cerrar-sesion")
    page.get_by_role("button", name="Ingresar").wait_for()
    settle(page)
    fill_login_form(page, "ana.perez")
    page.get_by_text("Hola, Ana Pérez").first.wait_for()
    settle(page)
    assert page.get_by_text("Esa dirección no es una página de la mesa", exact=False).count() == 0
    assert page.get_by_test_id("stTopNavSection").filter(has_text="Ana Pérez").count() == 1
    assert page.get_by_role("button", name="Ingresar").count() == 0


def test_back_after_logging_in_again_never_logs_out(live_app, page):
    """Cerrar sesión leaves no entry of its own in the tab's history: a person who logs out, logs in again
    (a colleague at the same computer) and goes Back through the pages stays logged in."""
    addresses = []
    page.on("framenavigated", lambda frame: addresses.append(frame.url) if frame == page.main_frame else None)
    _log_in(page, live_app, "ana.perez", name="Ana Pérez")
    go_to(page, "Mesa de Servicio", "Verificar mis Casos")
    go_to(page, "Ana Pérez", "Cerrar sesión")
    page.get_by_text("Sesión cerrada.").first.wait_for()
    fill_login_form(page, "ana.perez")
    page.get_by_text("Hola, Ana Pérez").first.wait_for()
    go_to(page, "Mesa de Servicio", "Verificar mis Casos")
    for _ in range(2):  # to Inicio after the login, then to Verificar before the logout
        page.go_back()
        page.wait_for_function("() => document.querySelector('[data-testid=\"stTopNav\"]')")
        settle(page)
        assert page.get_by_role("button", name="Ingresar").count() == 0
    assert page.url.endswith("/verificar")
    assert not [a for a in addresses if a.endswith("/cerrar-sesion")]
