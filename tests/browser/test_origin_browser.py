"""An intranet desk asks nothing of the outside world: every request a page makes stays on the desk's origin."""

from urllib.parse import urlsplit

from tests.browser.conftest import go_to, log_in, settle
from tests.conftest import make_user

PAGES = [  # (menu section, entry) an administrator opens, as a person would
    ("Mesa de Servicio", "Registrar un Caso"),
    ("Mesa de Servicio", "Verificar mis Casos"),
    ("Asesor", "Bandeja de casos"),
    ("Informes", "Satisfacción"),
    ("Administración", "Usuarios"),
    ("Administración", "Correo"),
]


def test_no_request_leaves_the_desks_origin(live_app, chromium):
    make_user(live_app.engine, "jefa.origen", "admin", full_name="Jefa Origen")
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="es-CO")
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    own = urlsplit(live_app.url)
    outside = []

    def watch(request):
        address = urlsplit(request.url)
        if address.scheme in ("data", "blob"):
            return
        if (address.scheme, address.hostname, address.port) not in (
            (own.scheme, own.hostname, own.port),
            ("ws", own.hostname, own.port),
        ):
            outside.append(request.url)

    tab.on("request", watch)
    tab.on("websocket", lambda socket: watch(type("R", (), {"url": socket.url})()))
    log_in(tab, live_app.url, "jefa.origen")
    tab.get_by_text("Hola, Jefa Origen").first.wait_for()
    for section, entry in PAGES:
        go_to(tab, section, entry)
        settle(tab)
    favicon = tab.evaluate("document.querySelector(\"link[rel='shortcut icon']\").href")
    context.close()
    assert favicon.startswith("data:")  # the page icon is drawn here, not fetched
    assert outside == []
