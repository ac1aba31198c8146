"""Issue 16, in a real browser: every page of every role speaks the user's language, Streamlit's own
controls included (the uploader, the hints under a field being typed in, the dataframe's toolbar, the
survey's stars), and an English user's pages carry none of the desk's Spanish menu words.

The visible words are what a person sees: text drawn at a size above zero and not hidden, the texts
CSS draws (::before / ::after), and the aria-labels and titles of visible elements (tooltips, screen
readers).
"""

import os
import re

import pytest
from playwright.sync_api import expect

from app_pages.ui.navigation import PAGE_SPECS, SECTION_TITLES
from services import access, catalogue, i18n, screens, users
from services.db import unit_of_work
from tests.browser.conftest import SCREENSHOTS, fill_login_form, open_dialog, settle
from tests.conftest import PASSWORD, make_user, register_case, resolve_case

# Streamlit's default English words for the controls the desk shows (streamlit 1.67 and the versions
# before it: the uploader said "Drag and drop file here" / "Browse files" / "Limit 200MB per file").
STREAMLIT_ENGLISH = (
    "Drag and drop",
    "Browse files",
    "Upload",
    "Limit ",
    "per file",
    "Press Enter",
    "Press Ctrl+Enter",
    "Press ⌘+Enter",
    "to apply",
    "submit form",
    "Download as CSV",
    "Show/hide columns",
    "Fullscreen",
    "out of 5 stars",
    "Page not found",
    "Running",
    "Search",
    "Skip to main content",
)
# The desk's own Spanish words an English user must not meet where the catalogue has their English.
DESK_SPANISH = ("Bandeja de casos", "Registrar un caso", "Cerrar sesión", "Mensajes", "Mi cuenta", "Subir archivo")

# Visible text nodes, the texts CSS draws and the names of visible elements, one string each.
VISIBLE_WORDS = """() => {
    const seen = (el) => el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true});
    const words = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const parent = node.parentElement;
        if (!node.textContent.trim() || !parent || parent.closest('style, script') || !seen(parent)) continue;
        if (parseFloat(getComputedStyle(parent).fontSize) > 0) words.push(node.textContent.trim());
    }
    for (const el of document.body.querySelectorAll('*')) {
        if (!seen(el)) continue;
        for (const pseudo of ['::before', '::after']) {
            const content = getComputedStyle(el, pseudo).content;
            if (content.startsWith('"')) words.push(JSON.parse(content));
        }
        for (const name of ['aria-label', 'title', 'placeholder', 'alt']) {
            if (el.getAttribute(name)) words.push(el.getAttribute(name));
        }
    }
    return words;
}"""


def _found(words: list[str], forbidden: tuple[str, ...]) -> list[str]:
    patterns = [re.compile(rf"(?<!\w){re.escape(w)}(?!\w)" if w.strip().isalpha() else re.escape(w)) for w in forbidden]
    return [w for w in words if any(p.search(w) for p in patterns)]


class Walk:
    """One person's browser tab, and what it must never show."""

    def __init__(self, tab, language: str, forbidden: tuple[str, ...]):
        self.tab, self.language, self.forbidden = tab, language, forbidden

    def check(self, where: str) -> None:
        shown = _found(self.tab.evaluate(VISIBLE_WORDS), self.forbidden)
        assert not shown, f"{where}: {shown}"

    def t(self, key: str, **params) -> str:
        return i18n.t(key, self.language, **params)


@pytest.fixture(scope="module")
def desk(live_app):
    """One person of each role in Spanish, one administrator in English, and a case resolved for Ana (the
    employee the live app already has), so the survey and its stars greet her."""
    make_user(live_app.engine, "laura.rios", "advisor", areas=[catalogue.GESTION_TECNOLOGICA], full_name="Laura Ríos")
    make_user(live_app.engine, "marta.luna", "manager", full_name="Marta Luna")
    make_user(live_app.engine, "jorge.admin", "admin", full_name="Jorge Díaz")
    make_user(live_app.engine, "john.smith", "admin", full_name="John Smith")
    with unit_of_work(live_app.engine) as session:
        users.set_language(
            session=session, actor=users.load_actor(session=session, username="john.smith"), language="en"
        )
    number = register_case(live_app.engine, live_app.data_dir / "files", subject="Impresora sin tóner")
    resolve_case(live_app.engine, number, solution="Se cambió el tóner.")
    return live_app


def _walk(chromium, app, username: str, language: str, request):
    """Log in as a person does, checking the login form while its fields are being typed in."""
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, locale="es-CO" if language == "es" else "en-US"
    )
    request.addfinalizer(context.close)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    walk = Walk(tab, language, STREAMLIT_ENGLISH if language == "es" else DESK_SPANISH)
    tab.goto(app.url)
    # The page is there once the desk's style is: Streamlit loads the code that draws st.html (the style)
    # on first use, a moment after the form's, and a person's first keystroke comes well after that.
    tab.wait_for_function(
        "() => [...document.querySelectorAll('style')].some(s => s.textContent.includes('InputInstructions'))"
    )
    # A keyboard user's first Tab shows Streamlit's link to the page's content, in the user's language.
    tab.keyboard.press("Tab")
    expect(tab.get_by_test_id("stSkipToContent")).to_be_focused()
    walk.check("login form, the first Tab pressed")
    tab.get_by_role("textbox", name="Usuario").type(username)
    tab.get_by_role("textbox", name="Clave").type(PASSWORD)
    walk.check("login form")
    fill_login_form(tab, username)
    tab.get_by_test_id("stTopNav").wait_for()
    settle(tab)
    return walk


def _open(walk: Walk, role: str, full_name: str, key: str) -> None:
    """The page from the top menu: a top-level link, or a section's dropdown and its entry."""
    tab = walk.tab
    section = next(s for s, keys in access.pages_for_role(role).items() if key in keys)
    title = walk.t(PAGE_SPECS[key][1])
    settle(tab)
    if section == "":
        tab.get_by_test_id("stTopNav").get_by_role("link", name=re.compile(rf"^{re.escape(title)}")).click()
    else:
        heading = full_name if section == "cuenta" else walk.t(SECTION_TITLES[section])
        tab.get_by_test_id("stTopNavSection").filter(has_text=heading).click()
        tab.get_by_role("menuitem", name=title).click()
    # The default page (Inicio) is served at "/".
    tab.wait_for_function(
        "path => location.pathname.endsWith('/' + path) || (path === 'inicio' && location.pathname === '/')",
        arg=screens.PATHS[key],
    )
    settle(tab)
    walk.check(f"{role} on {key}")
    _page_pictures(tab, key)


# With MESA_SCREENSHOTS_DIR set (docs/screenshots.sh), each page is kept once, as the first role that
# opens it sees it, at a desktop's, a tablet's and a phone's width: docs/screenshots/pagina-<page>-<w>.png.
_PICTURED: set[str] = set()


def _page_pictures(tab, key: str) -> None:
    if not os.environ.get("MESA_SCREENSHOTS_DIR") or key in _PICTURED:
        return
    _PICTURED.add(key)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = tab.viewport_size
    for width in (1280, 700, 390):
        tab.set_viewport_size({"width": width, "height": size["height"]})
        tab.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        settle(tab)
        tab.screenshot(path=str(SCREENSHOTS / f"pagina-{screens.PATHS[key] or key}-{width}.png"), animations="disabled")
    tab.set_viewport_size(size)
    settle(tab)


def _visit_every_page(walk: Walk, role: str, full_name: str) -> None:
    for keys in access.pages_for_role(role).values():
        for key in keys:
            _open(walk, role, full_name, key)
            if key == "registrar":
                _register_form(walk, role)
            elif key == "admin_usuarios":
                walk.tab.get_by_test_id("stDataFrame").first.hover()
                walk.tab.get_by_test_id("stDataFrame").first.click()
                walk.check(f"{role}: the users' table under the pointer")
                assert walk.tab.get_by_test_id("stElementToolbar").first.is_hidden()
                walk.tab.get_by_role("tab", name=walk.t("admin.users.import")).click()
                walk.tab.get_by_test_id("stFileUploaderDropzoneInstructions").wait_for()
                walk.check(f"{role}: the users' import with its uploader")
                _screenshots(walk.tab, f"import-{walk.language}", show=walk.tab.get_by_test_id("stFileUploader"))


def _register_form(walk: Walk, role: str, screenshots: str | None = None) -> None:
    """Registrar: a field being typed in, then the attachments dialog with a file chosen."""
    tab = walk.tab
    tab.get_by_role("button", name=catalogue.GESTION_TECNOLOGICA).click()
    settle(tab)
    tab.get_by_text("Soporte de equipos", exact=True).click()
    settle(tab)
    tab.get_by_role("textbox", name=re.compile(rf"^{walk.t('register.subject')}")).type("Pantalla")
    expect(tab.get_by_text(re.compile(r"^8/\d+$"))).to_be_visible()  # the counter stays, its hint does not
    walk.check(f"{role}: Registrar while typing the subject")
    tab.get_by_role("textbox", name=re.compile(rf"^{walk.t('register.description')}")).type("No enciende")
    walk.check(f"{role}: Registrar while typing the description")
    dialog = open_dialog(tab, walk.t("register.attach"))
    dialog.get_by_test_id("stFileUploaderDropzone").wait_for()
    settle(tab)
    walk.check(f"{role}: the attachments dialog")
    if screenshots:
        _screenshots(tab, screenshots, show=dialog)
    dropzone = dialog.get_by_test_id("stFileUploaderDropzone")
    dragged = tab.evaluate_handle(
        "() => { const d = new DataTransfer(); d.items.add(new File(['x'], 'nota.txt', {type: 'text/plain'})); return d; }"
    )
    dropzone.dispatch_event("dragenter", {"dataTransfer": dragged})
    dropzone.locator("> div:not([data-testid]) > span").wait_for()  # what the box says while a file is over it
    walk.check(f"{role}: a file dragged over the uploader")
    if screenshots:
        _screenshots(tab, f"{screenshots}-drag", show=dialog)
    dropzone.dispatch_event("dragleave", {"dataTransfer": dragged})
    dialog.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": "nota.txt", "mimeType": "text/plain", "buffer": b"Detalle del equipo\n"}]
    )
    dialog.get_by_text("nota.txt").wait_for()
    settle(tab)
    walk.check(f"{role}: the attachments dialog with a file chosen")
    tab.keyboard.press("Escape")
    dialog.wait_for(state="hidden")


def _screenshots(tab, name: str, show=None) -> None:
    """/tmp/spanish-<name>-<width>.png at a desktop's and a phone's width, to look at; `show` in view."""
    size = tab.viewport_size
    for width in (1280, 390):
        tab.set_viewport_size({"width": width, "height": size["height"]})
        tab.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        if show is not None:
            show.scroll_into_view_if_needed()
        tab.screenshot(path=f"/tmp/spanish-{name}-{width}.png", animations="disabled")
    tab.set_viewport_size(size)


def test_an_employee_meets_no_streamlit_english_from_the_survey_stars_to_every_page(desk, chromium, request):
    walk = _walk(chromium, desk, "ana.perez", "es", request)
    tab = walk.tab
    question = tab.get_by_role("dialog").filter(has_text="¿Su solicitud fue resuelta?")
    question.get_by_text("Se cambió el tóner.").wait_for()
    settle(tab)
    walk.check("the survey's question")
    question.get_by_role("button", name="Sí", exact=True).click()
    rating = tab.get_by_role("dialog").filter(has_text="¿Cómo califica la atención?")
    four = rating.get_by_role("radio", name="★★★★", exact=True)
    four.wait_for()
    settle(tab)
    walk.check("the survey's stars")
    four.click()
    expect(four).to_be_checked()
    settle(tab)
    _screenshots(tab, "stars", show=rating)
    walk.check("the survey's stars, four chosen")
    rating.get_by_role("button", name="Enviar calificación").click()
    tab.get_by_text("¡Gracias por su calificación!").wait_for()
    rating.wait_for(state="hidden")

    _visit_every_page(walk, "employee", "Ana Pérez")
    _open(walk, "employee", "Ana Pérez", "registrar")
    _register_form(walk, "employee", screenshots="registrar")


@pytest.mark.parametrize(
    ("username", "role", "full_name"),
    [
        ("laura.rios", "advisor", "Laura Ríos"),
        ("marta.luna", "manager", "Marta Luna"),
        ("jorge.admin", "admin", "Jorge Díaz"),
    ],
)
def test_staff_meet_no_streamlit_english_on_any_page_of_their_role(desk, chromium, request, username, role, full_name):
    walk = _walk(chromium, desk, username, "es", request)
    _visit_every_page(walk, role, full_name)


def test_an_english_administrator_meets_none_of_the_desks_spanish_menu_words(desk, chromium, request):
    walk = _walk(chromium, desk, "john.smith", "en", request)
    _visit_every_page(walk, "admin", "John Smith")
