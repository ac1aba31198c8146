"""Login in a real browser: the remember-me cookie is honoured only when we signed it."""

import time

import jwt

from services import admin, users
from services.db import unit_of_work
from services.settings import cookie_key, load_settings
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD

COOKIE = "mesa_sesion"


def _cookie(page, app, token):
    page.context.add_cookies([{"name": COOKIE, "value": token, "url": app.url}])


def _token(key, username="ana.perez", issued=None):
    """A remember-me cookie as streamlit-authenticator makes it: the expiry is the issue time + 7 days."""
    issued = time.time() if issued is None else issued
    return jwt.encode({"username": username, "exp_date": issued + 7 * 86400}, key, algorithm="HS256")


def _real_key(app):
    return cookie_key(load_settings({"MESA_DATA_DIR": str(app.data_dir)}))


def test_login_sets_a_cookie_that_keeps_the_user_logged_in(live_app, page):
    log_in(page, live_app.url, "ana.perez")
    page.get_by_text("Hola, Ana Pérez").first.wait_for()
    deadline = time.monotonic() + 10
    while not any(c["name"] == COOKIE for c in page.context.cookies()) and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert any(c["name"] == COOKIE for c in page.context.cookies())
    page.goto(live_app.url + "/mi-cuenta")
    page.get_by_role("textbox", name="Nombre completo").wait_for()


def test_a_cookie_signed_with_our_key_logs_in(live_app, page):
    _cookie(page, live_app, _token(_real_key(live_app)))
    page.goto(live_app.url)
    page.get_by_text("Hola, Ana Pérez").first.wait_for()


def test_a_forged_cookie_signed_with_another_key_is_refused(live_app, page):
    _cookie(page, live_app, _token("una-clave-que-no-es-la-nuestra-0123456789"))
    page.goto(live_app.url)
    page.get_by_role("button", name="Ingresar").wait_for()
    page.wait_for_timeout(1500)
    assert page.get_by_text("Hola, Ana Pérez").count() == 0


def test_the_cookie_of_a_deactivated_user_no_longer_works(live_app, page):
    from tests.conftest import make_user

    make_user(live_app.engine, "pedro.baja", full_name="Pedro Baja")
    with unit_of_work(live_app.engine) as session:
        admin.set_user_active(session=session, actor=users.Actor.system(), username="pedro.baja", active=False)
    _cookie(page, live_app, _token(_real_key(live_app), "pedro.baja"))
    page.goto(live_app.url)
    page.get_by_role("button", name="Ingresar").wait_for()
    page.wait_for_timeout(1500)
    assert page.get_by_text("Hola, Pedro Baja").count() == 0


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
    from tests.conftest import make_user

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
    tabs["noche.oscura"].wait_for_timeout(3000)
    tabs["noche.oscura"].get_by_text("Hola, Noche Oscura").first.wait_for()
    dark, light = _background(tabs["noche.oscura"]), _background(tabs["ana.perez"])
    assert dark != light
    assert sum(int(c) for c in dark[dark.index("(") + 1 : -1].split(",")[:3]) < 150
    assert sum(int(c) for c in light[light.index("(") + 1 : -1].split(",")[:3]) > 600
    for tab in tabs.values():
        tab.context.close()


def test_a_cookie_from_before_a_password_reset_no_longer_works(live_app, page):
    from tests.conftest import make_user

    make_user(live_app.engine, "rosa.vieja", full_name="Rosa Vieja")
    before_reset = time.time() - 60
    with unit_of_work(live_app.engine) as session:
        admin.reset_password(session=session, actor=users.Actor.system(), username="rosa.vieja")
    _cookie(page, live_app, _token(_real_key(live_app), "rosa.vieja", issued=before_reset))
    page.goto(live_app.url)
    page.get_by_role("button", name="Ingresar").wait_for()
    page.wait_for_timeout(1500)
    assert page.get_by_text("Hola, Rosa Vieja").count() == 0
