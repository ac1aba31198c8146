"""A click on the menu made the moment it shows is never lost: no late rerun (a cookie component's, say)
swallows it. One try per round, no retry, as a person clicks once."""

import time

from tests.browser.conftest import fill_login_form

ROUNDS = 20


def _click_verificar_at_once(tab) -> None:
    """The menu's section as soon as it is visible, then its entry; the page must open from that one click."""
    section = tab.get_by_test_id("stTopNavSection").filter(has_text="Mesa de Servicio")
    section.wait_for()
    section.click()
    tab.get_by_role("menuitem", name="Verificar mis Casos").click(timeout=10_000)
    tab.get_by_role("heading", name="Verificar mis Casos").wait_for(timeout=10_000)
    assert tab.url.endswith("/verificar")


def _remembered_cookie(chromium, app) -> dict:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.goto(app.url)
    tab.get_by_text("Recordarme").click()
    fill_login_form(tab, "ana.perez")
    tab.get_by_text("Hola, Ana Pérez").first.wait_for()
    deadline = time.monotonic() + 15
    while not (found := [c for c in context.cookies() if c["name"] == "mesa_sesion"]):
        assert time.monotonic() < deadline, "no session cookie"
        tab.wait_for_timeout(100)
    context.close()
    return found[0]


def test_the_menu_clicked_right_after_login_opens_its_page_every_time(live_app, chromium):
    for _ in range(ROUNDS):
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        tab = context.new_page()
        tab.goto(live_app.url)
        fill_login_form(tab, "ana.perez")
        _click_verificar_at_once(tab)
        context.close()


def test_the_menu_clicked_right_after_a_deep_link_opens_its_page_every_time(live_app, chromium):
    cookie = _remembered_cookie(chromium, live_app)
    for _ in range(ROUNDS):
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        context.add_cookies([{"name": cookie["name"], "value": cookie["value"], "url": live_app.url}])
        tab = context.new_page()
        tab.goto(live_app.url + "/mi-cuenta")
        _click_verificar_at_once(tab)
        context.close()
