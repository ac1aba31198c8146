"""The menu of the user's role and each page's guard, both read from services/access.py's one table."""

from __future__ import annotations

from collections.abc import Callable
from itertools import chain
from typing import NoReturn

import streamlit as st
from streamlit.errors import StreamlitAPIException
from streamlit.navigation.page import StreamlitPage
from streamlit.runtime.scriptrunner import get_script_run_ctx

from app_pages.ui.display import show_error, t
from app_pages.ui.runtime import settings, uow
from app_pages.ui.state import ACTOR_KEY, FLASH_WARNING_KEY, MENU_KEY, SETUP_RESULT_KEY
from services import access, screens, users
from services.users import Actor

# key → (script, catalogue key of its title, icon); the URL path of each is in services/screens.py.
PAGE_SPECS = {
    "inicio": ("app_pages/inicio.py", "nav.inicio", ":material/home:"),
    "mensajes": ("app_pages/mensajes.py", "nav.mensajes", ":material/notifications:"),
    "registrar": ("app_pages/registrar.py", "nav.registrar", ":material/add_circle:"),
    "verificar": ("app_pages/verificar.py", "nav.verificar", ":material/fact_check:"),
    "conocimiento": ("app_pages/conocimiento.py", "nav.conocimiento", ":material/menu_book:"),
    "bandeja": ("app_pages/bandeja.py", "nav.bandeja", ":material/inbox:"),
    "satisfaccion": ("app_pages/satisfaccion.py", "nav.satisfaccion", ":material/insights:"),
    "informe_conocimiento": ("app_pages/informe_conocimiento.py", "nav.informe_conocimiento", ":material/lightbulb:"),
    "admin_usuarios": ("app_pages/admin_usuarios.py", "nav.admin_usuarios", ":material/group:"),
    "admin_catalogo": ("app_pages/admin_catalogo.py", "nav.admin_catalogo", ":material/category:"),
    "admin_sla": ("app_pages/admin_sla.py", "nav.admin_sla", ":material/timer:"),
    "admin_correo": ("app_pages/admin_correo.py", "nav.admin_correo", ":material/mail:"),
    "admin_auditoria": ("app_pages/admin_auditoria.py", "nav.admin_auditoria", ":material/history:"),
    "mi_cuenta": ("app_pages/mi_cuenta.py", "nav.mi_cuenta", ":material/person:"),
    "cambiar_clave": ("app_pages/cambiar_clave.py", "nav.cambiar_clave", ":material/key:"),
}
SECTION_TITLES = {
    "": "",
    "mesa": "nav.mesa",
    "asesor": "nav.asesor",
    "informes": "nav.informes",
    "admin": "nav.admin",
    "cuenta": None,
}


def page_script(key: str) -> str:
    """The script of a page, for st.switch_page and st.page_link."""
    return PAGE_SPECS[key][0]


def require_page(page: str) -> Actor:
    """The logged-in user of this run, when access.PAGE_ROLES lets them open `page`; else leave it:
    nothing of the page is shown to anyone else.

    A page the user may not open (a URL typed by hand, or anything but the password change while a
    temporary password awaits its change) says why in the user's language and goes on to the page
    that is open to them, instead of Streamlit's English "Page not found".
    """
    actor = st.session_state.get(ACTOR_KEY)
    if actor is None:
        _refuse("error.forbidden_page", None)
    if actor.must_change_password and page != access.PASSWORD_CHANGE_PAGE:
        _refuse("error.change_password_first", access.PASSWORD_CHANGE_PAGE)
    if not access.may_open(actor.role, page):
        _refuse("error.forbidden_page", "inicio")
    return actor


def _refuse(message_key: str, go_to: str | None) -> NoReturn:
    """Leave for the page the user may see, with the reason on top; a page script run outside the app's
    navigation (nothing to go to) shows only the reason."""
    if go_to is not None:
        st.session_state[FLASH_WARNING_KEY] = message_key
        try:
            st.switch_page(page_script(go_to))
        except StreamlitAPIException:
            st.session_state.pop(FLASH_WARNING_KEY, None)
    show_error(t(message_key), icon="🔒")
    st.stop()


def _page(key: str, *, default: bool = False, unread: int = 0, hidden: bool = False) -> st.Page:
    script, title_key, icon = PAGE_SPECS[key]
    title = t("nav.mensajes_count", count=unread) if key == "mensajes" and unread else t(title_key)
    return st.Page(
        script,
        title=title,
        url_path=screens.PATHS[key],
        icon=icon,
        default=default,
        visibility="hidden" if hidden else "visible",
    )


def pages_for(actor: Actor | None, logout: Callable[[], None] | None, unread: int = 0) -> dict[str, list[st.Page]]:
    """The navigation of this run: the actor's pages by section, and every other page registered
    hidden, so a URL of a page that is not theirs opens our own Spanish refusal (the page's guard)
    rather than Streamlit's English "Page not found"; while logged out, every page, hidden.
    """
    if actor is None:
        return {"": [_page(k, default=(k == "inicio")) for k in PAGE_SPECS]}
    logout_page = st.Page(
        logout, title=t("nav.cerrar_sesion"), url_path=screens.PATHS["cerrar_sesion"], icon=":material/logout:"
    )
    sections: dict[str, list[st.Page]] = {}
    if actor.must_change_password:
        sections[""] = [_page(access.PASSWORD_CHANGE_PAGE, default=True), logout_page]
        shown = {access.PASSWORD_CHANGE_PAGE}
    else:
        by_section = access.pages_for_role(actor.role)
        for section, keys in by_section.items():
            title = (
                actor.full_name
                if section == "cuenta"
                else (t(SECTION_TITLES[section]) if SECTION_TITLES[section] else "")
            )
            sections[title] = [_page(k, default=(k == "inicio"), unread=unread) for k in keys]
        sections.setdefault(actor.full_name, []).append(logout_page)
        shown = {key for keys in by_section.values() for key in keys}
    hidden = [_page(k, hidden=True) for k in PAGE_SPECS if k not in shown]
    sections.setdefault("", []).extend(hidden)
    return sections


def _logout_asked(page_map: dict[str, list[st.Page]]) -> bool:
    """Whether this run is Cerrar sesión's (its menu entry, or its address typed in).

    Cerrar sesión is done here, before st.navigation, rather than as its page's run: st.navigation tells
    the browser the page it runs and the browser keeps that address in the tab's history, so a logout run
    as a page left /cerrar-sesion behind it, and the browser's Back, after the next login, logged out again.
    """
    manager = getattr(get_script_run_ctx(), "pages_manager", None)
    path = screens.PATHS["cerrar_sesion"]
    if asked_hash := getattr(manager, "intended_page_script_hash", None):
        return any(page.url_path == path and page._script_hash == asked_hash for page in chain(*page_map.values()))
    return getattr(manager, "intended_page_name", None) == path


def menu_titles(page_map: dict[str, list[st.Page]]) -> tuple[str, ...]:
    """The titles the menu shows: every page of the map but the ones registered hidden."""
    return tuple(page.title for pages in page_map.values() for page in pages if page.visibility != "hidden")


def no_such_page(page_map: dict[str, list[st.Page]]) -> None:
    """An address that is no page of the desk (a mistyped or old link; /inicio, where Inicio is /) opens
    Inicio, saying why in the user's language, instead of Streamlit's English "Page not found" dialog
    (which st.navigation sends when no page has the name the browser asked for).

    Streamlit keeps the name asked for in its pages manager; an unknown one is forgotten here, before
    st.navigation reads it, and the default page runs. A browser moving between pages asks by page id,
    never by name, and is not concerned.
    """
    manager = getattr(get_script_run_ctx(), "pages_manager", None)
    asked = getattr(manager, "intended_page_name", None)
    if not asked or getattr(manager, "intended_page_script_hash", None):
        return
    if asked in {page.url_path for pages in page_map.values() for page in pages}:
        return
    manager.set_script_intent("", "")
    if asked not in _DESK_ADDRESSES:
        st.session_state[FLASH_WARNING_KEY] = "error.no_such_page"


# Addresses of the desk that may be asked for where no page has them, with nothing to explain: Inicio's own
# name, and Cerrar sesión's while nobody is logged in (the browser's Back after a logout, an old tab).
_DESK_ADDRESSES = frozenset({screens.PATHS["inicio"], screens.PATHS["cerrar_sesion"]})


def logged_out_navigation() -> None:
    """Every page registered, hidden, so a deep link (/verificar?caso=123) survives the login."""
    st.session_state.pop(MENU_KEY, None)
    page_map = pages_for(None, logout=None)
    no_such_page(page_map)
    st.navigation(page_map, position="hidden")


def navigation_for(actor: Actor, *, unread: int, logout: Callable[[], None]) -> StreamlitPage:
    """The top menu of the actor's role, with the unread count on Mensajes; returns the page to run."""
    page_map = pages_for(actor, logout=logout, unread=unread)
    no_such_page(page_map)
    if _logout_asked(page_map):
        logout()  # before st.navigation: the tab's address never becomes Cerrar sesión's
    navigation = st.navigation(page_map, position="top")
    st.session_state[MENU_KEY] = menu_titles(page_map)
    if unread and navigation.url_path != screens.PATHS["mensajes"]:
        _unread_on_narrow_screens(unread)
    return navigation


# Below 768 px Streamlit folds the top menu behind », and "Mensajes (n)" with it: there the count shows on
# top of every page as a link to Mensajes; on a wider screen the menu shows it, and this is hidden.
_UNREAD_STYLE = "<style>@media (min-width: 768px) { .st-key-mesa_unread { display: none; } }</style>"


def _unread_on_narrow_screens(unread: int) -> None:
    st.html(_UNREAD_STYLE)
    with st.container(key="mesa_unread", horizontal=True, horizontal_alignment="right"):
        st.page_link(
            page_script("mensajes"), label=t("nav.mensajes_count", count=unread), icon=":material/notifications:"
        )


# The databases this server process has seen with an active administrator. The setup can happen only
# while there is none, and a desk never goes back (an administrator can neither deactivate nor demote
# themself), so once one is seen no run asks again. Shared by every session on purpose; it only grows.
_SET_UP_DATABASES: set[str] = set()


def setup_pending() -> bool:
    """Whether this run is the one-time setup's: no active administrator yet, or the setup's answer (with
    the demo passwords) still on screen until the admin moves on."""
    if SETUP_RESULT_KEY in st.session_state:
        return True
    url = settings().database_url
    if url in _SET_UP_DATABASES:
        return False
    with uow(write=False) as session:
        pending = users.needs_setup(session=session)
    if not pending:
        _SET_UP_DATABASES.add(url)
    return pending


def run_setup() -> NoReturn:
    """The one-time setup, alone: no login and no menu exist yet."""
    st.navigation(
        [st.Page("app_pages/setup.py", title=t("setup.title"), url_path=screens.PATHS["setup"])], position="hidden"
    ).run()
    st.stop()
