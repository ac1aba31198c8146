"""What every page shares: settings, the one engine, units of work, the acting user and the catalogue."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import NoReturn
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so
import streamlit as st
from babel.dates import format_datetime
from streamlit.errors import StreamlitAPIException

from services import access, i18n, runtime, sessions, surveys, users
from services.cases import Uploads
from services.db import make_engine, unit_of_work
from services.errors import PermissionDenied, ServiceError
from services.migrate import upgrade
from services.outbox import BackgroundSender
from services.security import MIN_PASSWORD_LEN
from services.settings import Settings, SettingsError, cookie_key, load_settings
from services.storage import Storage
from services.users import Actor

ACTOR_KEY = "mesa_actor"
SESSION_KEY = "mesa_session"  # the server-side session of this tab (app_pages/login.py)
FLASH_WARNING_KEY = "mesa_flash_warning"
MENU_KEY = "mesa_menu"  # the titles the menu of the last run offered (what a person can click)


@st.cache_resource(show_spinner=False)
def _settings_for(env_items: tuple) -> Settings:
    return load_settings()


def settings() -> Settings:
    """The settings in effect; a wrong one stops the app with its message instead of a traceback."""
    env = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("MESA_")))
    try:
        return _settings_for(env)
    except SettingsError as exc:
        st.error(t("app.settings_error", error=str(exc)))
        st.stop()


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> sa.Engine:
    engine = make_engine(url)
    if url.startswith("sqlite"):
        upgrade(engine)
    return engine


def engine() -> sa.Engine:
    return _engine_for(settings().database_url)


@st.cache_resource(show_spinner=False)
def _cookie_key_for(current: Settings) -> str:
    return cookie_key(current)


def session_cookie_key() -> str:
    return _cookie_key_for(settings())


@contextmanager
def uow(*, write: bool = True) -> Iterator[so.Session]:
    with unit_of_work(engine(), write=write) as session:
        yield session


def fresh_actor(session: so.Session, actor: Actor) -> Actor:
    """The acting user as the database says now, through this tab's live session: a button pressed
    after a logout elsewhere, a deactivation, a role change or a password reset acts with today's
    rights, or not at all."""
    handle = st.session_state.get(SESSION_KEY)
    user_id = sessions.resume(session=session, handle=handle, config=settings(), touch=False)
    current = users.load_actor_by_id(session=session, user_id=user_id) if user_id == actor.id else None
    if current is None:
        raise PermissionDenied("login.session_ended")
    return current


def call(service: Callable, *, write: bool = True, **kwargs):
    """Run one service in its own unit of work with the acting user; errors roll back and propagate."""
    with uow(write=write) as session:
        if isinstance(kwargs.get("actor"), Actor) and kwargs["actor"].id is not None:
            kwargs["actor"] = fresh_actor(session, kwargs["actor"])
        return service(session=session, **kwargs)


def language() -> str:
    current = st.session_state.get(ACTOR_KEY)
    return current.language if current is not None else "es"


def t(key: str, **params) -> str:
    return i18n.t(key, language(), **params)


def error_text(exc: ServiceError) -> str:
    """The user's words for a refusal; status codes in it are shown with their Spanish names."""
    params = {k: md(v) if isinstance(v, str) else v for k, v in exc.params.items()}  # names, files: as typed
    for name in ("source", "target"):
        if name in params:
            params[f"{name}_label"] = t(f"status.{exc.params[name]}")
    return t(exc.key, **params)


def show_error(exc: ServiceError) -> None:
    st.error(error_text(exc), icon="⚠️")


def current_actor() -> Actor | None:
    return st.session_state.get(ACTOR_KEY)


def require_actor(*roles: str, during_forced_change: bool = False) -> Actor:
    """The logged-in user of this run, or leave the page: nothing of it is shown to anyone else.

    A page the user may not open (a URL typed by hand, or anything while a temporary password awaits
    its change) says why in the user's language and goes on to the page that is open to them,
    instead of Streamlit's English "Page not found".
    """
    actor = current_actor()
    if actor is None:
        _refuse("error.forbidden_page", None)
    if actor.must_change_password and not during_forced_change:
        _refuse("error.change_password_first", "cambiar_clave")
    if roles and actor.role not in roles:
        _refuse("error.forbidden_page", "inicio")
    return actor


def _refuse(message_key: str, go_to: str | None) -> NoReturn:
    """Leave for the page the user may see, with the reason on top; a page script run outside the app's
    navigation (nothing to go to) shows only the reason."""
    if go_to is not None:
        st.session_state[FLASH_WARNING_KEY] = message_key
        try:
            st.switch_page(PAGE_SPECS[go_to][0])
        except StreamlitAPIException:
            st.session_state.pop(FLASH_WARNING_KEY, None)
    st.error(t(message_key), icon="🔒")
    st.stop()


def show_flash_warning() -> None:
    """The word a page left when it sent the user elsewhere (see require_actor)."""
    if key := st.session_state.pop(FLASH_WARNING_KEY, None):
        st.warning(t(key), icon="🔒")


# key → (script, catalogue key of its title, URL path, icon)
PAGE_SPECS = {
    "inicio": ("app_pages/inicio.py", "nav.inicio", "inicio", ":material/home:"),
    "mensajes": ("app_pages/mensajes.py", "nav.mensajes", "mensajes", ":material/notifications:"),
    "registrar": ("app_pages/registrar.py", "nav.registrar", "registrar", ":material/add_circle:"),
    "verificar": ("app_pages/verificar.py", "nav.verificar", "verificar", ":material/fact_check:"),
    "bandeja": ("app_pages/bandeja.py", "nav.bandeja", "bandeja", ":material/inbox:"),
    "satisfaccion": ("app_pages/satisfaccion.py", "nav.satisfaccion", "satisfaccion", ":material/insights:"),
    "admin_usuarios": ("app_pages/admin_usuarios.py", "nav.admin_usuarios", "usuarios", ":material/group:"),
    "admin_catalogo": ("app_pages/admin_catalogo.py", "nav.admin_catalogo", "areas-y-opciones", ":material/category:"),
    "admin_sla": ("app_pages/admin_sla.py", "nav.admin_sla", "acuerdos-de-servicio", ":material/timer:"),
    "admin_correo": ("app_pages/admin_correo.py", "nav.admin_correo", "correo", ":material/mail:"),
    "admin_auditoria": ("app_pages/admin_auditoria.py", "nav.admin_auditoria", "auditoria", ":material/history:"),
    "mi_cuenta": ("app_pages/mi_cuenta.py", "nav.mi_cuenta", "mi-cuenta", ":material/person:"),
    "cambiar_clave": ("app_pages/cambiar_clave.py", "nav.cambiar_clave", "cambiar-clave", ":material/key:"),
}
SECTION_TITLES = {"": "", "mesa": "nav.mesa", "asesor": "nav.asesor", "informes": "nav.informes",
                  "admin": "nav.admin", "cuenta": None}


def _page(key: str, *, default: bool = False, unread: int = 0, hidden: bool = False) -> st.Page:
    script, title_key, url_path, icon = PAGE_SPECS[key]
    title = t("nav.mensajes_count", count=unread) if key == "mensajes" and unread else t(title_key)
    return st.Page(script, title=title, url_path=url_path, icon=icon, default=default,
                   visibility="hidden" if hidden else "visible")


def pages_for(actor: Actor | None, logout: Callable[[], None] | None, unread: int = 0) -> dict[str, list[st.Page]]:
    """The navigation of this run: the actor's pages by section, and every other page registered
    hidden, so a URL of a page that is not theirs opens our own Spanish refusal (the page's guard)
    rather than Streamlit's English "Page not found"; while logged out, every page, hidden.
    """
    if actor is None:
        return {"": [_page(k, default=(k == "inicio")) for k in PAGE_SPECS]}
    logout_page = st.Page(logout, title=t("nav.cerrar_sesion"), url_path="cerrar-sesion", icon=":material/logout:")
    sections: dict[str, list[st.Page]] = {}
    if actor.must_change_password:
        sections[""] = [_page("cambiar_clave", default=True), logout_page]
    else:
        for section, keys in access.pages_for_role(actor.role).items():
            title = (
                actor.full_name
                if section == "cuenta"
                else (t(SECTION_TITLES[section]) if SECTION_TITLES[section] else "")
            )
            sections[title] = [_page(k, default=(k == "inicio"), unread=unread) for k in keys]
        sections.setdefault(actor.full_name, []).append(logout_page)
    shown = {"cambiar_clave"} if actor.must_change_password else {
        key for keys in access.pages_for_role(actor.role).values() for key in keys
    }
    hidden = [_page(k, hidden=True) for k in PAGE_SPECS if k not in shown]
    sections.setdefault("", []).extend(hidden)
    return sections


def menu_titles(page_map: dict[str, list[st.Page]]) -> tuple[str, ...]:
    """The titles the menu shows: every page of the map but the ones registered hidden."""
    return tuple(page.title for pages in page_map.values() for page in pages if page.visibility != "hidden")


_THEME_SCRIPT = """
<script>
(function () {
  const want = JSON.stringify(%s);
  const keys = new Set(["stActiveTheme-" + window.location.pathname + "-v2", "stActiveTheme-/-v2"]);
  for (let i = 0; i < localStorage.length; i++) {
    const k = localStorage.key(i);
    if (k && k.startsWith("stActiveTheme-") && k.endsWith("-v2")) keys.add(k);
  }
  let changed = false;
  keys.forEach(function (k) {
    if (localStorage.getItem(k) !== want) { localStorage.setItem(k, want); changed = true; }
  });
  const reloads = Number(sessionStorage.getItem("mesaThemeReloads") || 0);
  if (changed && reloads < 3) {
    sessionStorage.setItem("mesaThemeReloads", String(reloads + 1));
    // A moment first, so the login's remember-me cookie is written before the page reloads.
    setTimeout(function () { window.location.reload(); }, 800);
  } else if (!changed) {
    sessionStorage.removeItem("mesaThemeReloads");
  }
})();
</script>
"""


def apply_theme(actor: Actor) -> None:
    """Show the user's own light/dark mode in this browser.

    Streamlit keeps the theme per browser (localStorage, read at page load): we write the
    user's choice there and reload once when it differs. Never a server-wide config option,
    which would change it for every user of the process.
    """
    if st.context.theme.type == actor.theme and not st.session_state.get("mesa_theme_changed"):
        return
    st.session_state.pop("mesa_theme_changed", None)
    wanted = "Dark" if actor.theme == "dark" else "Light"
    st.html(_THEME_SCRIPT % json.dumps(wanted), unsafe_allow_javascript=True)


def password_change_form(actor: Actor) -> None:
    """Current password, the new one twice, and the policy in plain words."""
    st.caption(t("password.policy", min=MIN_PASSWORD_LEN))
    with st.form("change_password", clear_on_submit=True):
        current = st.text_input(t("account.current_password"), type="password")
        new = st.text_input(t("account.new_password"), type="password")
        repeat = st.text_input(t("account.new_password_repeat"), type="password")
        submitted = st.form_submit_button(t("account.save_password"), type="primary")
    if not submitted:
        return
    try:
        # This session carries on with the new password; the account's other sessions end.
        call(users.change_password, actor=actor, current_password=current, new_password=new,
             new_password_repeat=repeat, keep_session=st.session_state.get(SESSION_KEY))
    except ServiceError as exc:
        show_error(exc)
        return
    with uow(write=False) as session:
        st.session_state[ACTOR_KEY] = users.load_actor(session=session, username=actor.username)
    st.session_state["mesa_flash_success"] = "account.password_changed"
    if actor.must_change_password:  # the temporary password is gone: the desk opens, at Inicio
        st.switch_page(PAGE_SPECS["inicio"][0])
    st.rerun()


def _browser_name(user_agent: str) -> str:
    """A person's words for a User-Agent: "Chrome en Windows", not the raw header."""
    agent = user_agent or ""
    browser = next((name for token, name in (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
                                              ("Chrome/", "Chrome"), ("Safari/", "Safari")) if token in agent), None)
    system = next((name for token, name in (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
                                             ("Windows", "Windows"), ("Mac OS", "macOS"), ("Linux", "Linux"))
                   if token in agent), None)
    if browser is None:
        return t("sessions.unknown_browser")
    return f"{browser} · {system}" if system else browser


def open_sessions_panel(actor: Actor) -> None:
    """Mi cuenta → Sesiones abiertas: where the account is logged in; end one, or all but this one."""
    st.caption(t("sessions.intro"))
    handle = st.session_state.get(SESSION_KEY)
    if message := st.session_state.pop("mesa_sessions_message", None):
        st.success(message)
    found = call(sessions.list_mine, write=False, actor=actor, current=handle, config=settings())
    if any(not item.current for item in found):
        st.button(t("sessions.end_others"), type="primary", on_click=_end_other_sessions, args=(actor,))
    else:
        st.caption(t("sessions.none_other"))
    for index, item in enumerate(found):
        with st.container(border=True):
            left, right = st.columns([4, 1], vertical_alignment="center")
            heading = _browser_name(item.user_agent) + (f" — **{t('sessions.this_one')}**" if item.current else "")
            left.markdown(heading)
            notes = [t("sessions.started", when=when(item.created_at)), t("sessions.last_seen", when=when(item.last_seen_at))]
            if item.remember:
                notes.append(t("sessions.remembered"))
            left.caption(" · ".join(notes))
            if not item.current:
                right.button(t("sessions.end"), key=f"end_session_{index}", on_click=_end_one_session,
                             args=(actor, item.handle))


def _end_one_session(actor: Actor, handle: str) -> None:
    try:
        call(sessions.end_one_of_mine, actor=actor, handle=handle)
    except ServiceError as exc:
        st.session_state["mesa_sessions_message"] = error_text(exc)
    else:
        st.session_state["mesa_sessions_message"] = t("sessions.ended_one")


def _end_other_sessions(actor: Actor) -> None:
    count = call(sessions.end_others_of_mine, actor=actor, keep=st.session_state.get(SESSION_KEY))
    st.session_state["mesa_sessions_message"] = t("sessions.ended_others", count=count)


def clear_user_caches() -> None:
    """Borrar caché: only cached data; shared resources (engine, background sender) stay up."""
    st.cache_data.clear()
    st.session_state["mesa_cache_cleared"] = True


def uploads() -> Uploads:
    """Where attachments go and their size limit, from the settings."""
    current = settings()
    return Uploads(storage=Storage(current.storage_dir), max_mb=current.max_upload_mb)


def when(moment: datetime | None) -> str:
    """A stored UTC time as the organisation reads it: "27 de noviembre de 2026, 10:15"."""
    if moment is None:
        return ""
    local = moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(settings().timezone))
    locale = "en" if language() == "en" else "es_CO"
    return format_datetime(local, "d 'de' MMMM 'de' y, HH:mm" if locale != "en" else "MMMM d, y, HH:mm", locale=locale)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md(text: str) -> str:
    """User text made inert for Markdown: shown as typed, never as links, images, HTML or formulas."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text or "").replace("\n", "  \n")


def file_size(size_bytes: int) -> str:
    if size_bytes < 1024:
        return f"{size_bytes} B"
    if size_bytes < 1024 * 1024:
        return f"{size_bytes / 1024:.0f} KB"
    return f"{size_bytes / 1048576:.1f} MB"


@st.cache_resource(show_spinner=False, on_release=lambda sender: sender.stop())
def _sender_for(url: str, current: Settings) -> BackgroundSender:
    sender = BackgroundSender(_engine_for(url), current, jobs=surveys.periodic_jobs(current))
    sender.start()
    return sender


def start_background_sender() -> None:
    """One outbox sender per server process: server.py starts it with the server; only a desk started
    the old way (`streamlit run app.py`) starts it here, on the first page view, once (daemon).

    "Borrar caché" clears only st.cache_data, so it never starts a second sender.
    """
    current = settings()
    if current.background_sender and not runtime.sender_running():
        _sender_for(current.database_url, current)


def pager(result, state_key: str) -> None:
    """Anterior · Página x de y · Siguiente under a list paged in SQL; the page lives in session state."""
    if result.pages <= 1:
        return

    def go_to(page: int) -> None:
        st.session_state[state_key] = page

    previous, label, following = st.columns([1, 2, 1], vertical_alignment="center")
    previous.button(t("verify.previous"), disabled=result.page <= 1, on_click=go_to, args=(result.page - 1,),
                    key=f"{state_key}_prev", icon=":material/chevron_left:")
    label.markdown(t("verify.page", page=result.page, pages=result.pages))
    following.button(t("verify.next"), disabled=result.page >= result.pages, on_click=go_to,
                     args=(result.page + 1,), key=f"{state_key}_next", icon=":material/chevron_right:")
