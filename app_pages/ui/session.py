"""Login, this browser tab's server-side session, and Cerrar sesión (the protocol is in services/sessions.py).

The page session's state holds only the session's handle; a new tab finds its session through the
HttpOnly cookie, read on the server (`st.context.cookies`). The browser gets or loses that cookie by
one same-origin request to server.py's routes, made once right after a login or a logout: no cookie
component, no extra rerun.

streamlit-authenticator's `Authenticate` is not used: its remember-me cookie is written by a
JavaScript component (so it cannot be HttpOnly), names only the user and an expiry (so a logout
cannot revoke it), and its form has no "Recordarme". Its `AuthenticationController` still checks
the password against the credentials dict built from the database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import streamlit as st
from streamlit_authenticator.controllers import AuthenticationController

from app_pages.ui.display import show_error, t
from app_pages.ui.navigation import logged_out_navigation, page_script
from app_pages.ui.runtime import call, session_cookie_key, settings, uow
from app_pages.ui.state import ACTOR_CHANGED_KEY, ACTOR_KEY, SESSION_KEY
from services import clock, notifications, sessions, surveys, users
from services.security import DUMMY_HASH, verify_password
from services.users import Actor

COOKIE_NAME, GRANT_ROUTE, DROP_ROUTE = sessions.COOKIE_NAME, sessions.GRANT_ROUTE, sessions.DROP_ROUTE
_GRANT_KEY = "mesa_cookie_grant"
_DROP_KEY = "mesa_cookie_drop"
_SEEN_COOKIE_KEY = "mesa_cookie_seen"
_TOUCHED_KEY = "mesa_session_touched"  # when this tab last noted activity on its session
# What streamlit-authenticator's controller leaves in the session state; the session handle replaces it.
_LIBRARY_KEYS = ("authentication_status", "username", "name", "email", "roles", "logout", "password_hint")


@dataclass(frozen=True)
class LoggedIn:
    """What a full run needs to know of its user, read in one unit of work."""

    actor: Actor
    unread: int  # the menu's "Mensajes (n)"
    survey_questions: list[surveys.Question]  # empty unless asked for, or while the password must change


def logged_in(*, survey_questions: bool = False) -> LoggedIn:
    """The user of this run, asked of the server-side session on every full run (a logout elsewhere, a
    reset or a deactivation ends it here), with their unread count and, when asked for, the questions
    the survey prompt may put to them; when there is no session, the login form, and the run stops."""
    found = _session_actor(survey_questions=survey_questions)
    st.session_state[ACTOR_KEY] = found.actor if found else None
    st.session_state.pop(ACTOR_CHANGED_KEY, None)  # this run draws the page for the user as they are now
    _sync_cookie()
    if found is None:
        logged_out_navigation()
        _render_login()
        st.stop()
    return found


def _session_handle() -> str | None:
    return st.session_state.get(SESSION_KEY)


def _forget(flash: str | None) -> None:
    for key in (SESSION_KEY, ACTOR_KEY, _TOUCHED_KEY, *_LIBRARY_KEYS):
        st.session_state.pop(key, None)
    if flash:
        st.session_state["mesa_flash"] = flash


def _session_actor(*, survey_questions: bool) -> LoggedIn | None:
    """The user of this run: this tab's session, else the browser's cookie; None shows the login form.

    One reading unit of work: the session, its user, the unread count (and the survey's questions when
    asked for). A session that ended (logout in another tab, a password reset, a deactivation, a
    timeout) is forgotten here, with a word on the login form; a cookie that is not a live session of
    ours — forged, malformed, expired, ended — is dropped from the browser.
    """
    config = settings()
    handle = _session_handle()
    if handle is None:
        cookie = st.context.cookies.get(COOKIE_NAME)
        if cookie and st.session_state.get(_SEEN_COOKIE_KEY) != cookie:
            st.session_state[_SEEN_COOKIE_KEY] = cookie  # judged once per tab, not on every rerun
            with uow() as session:
                handle = sessions.resume_cookie(session=session, cookie=cookie, config=config, key=session_cookie_key())
            if handle is None:
                st.session_state[_DROP_KEY] = True
            else:
                st.session_state[SESSION_KEY] = handle
        if handle is None:
            return None
    found, stale = None, False
    with uow(write=False) as session:
        actor = users.load_live_actor(session=session, handle=handle, config=config)
        if actor is not None:
            stale = _touch_may_be_due() and sessions.needs_touch(session=session, handle=handle)
            unread = notifications.unread_count(session=session, actor=actor)
            asked = survey_questions and not actor.must_change_password
            questions = surveys.pending_questions(session=session, actor=actor) if asked else []
            found = LoggedIn(actor, unread, questions)
    if actor is None or stale:
        with uow() as session:  # records why it ended, or notes activity (at most once a minute)
            sessions.resume(session=session, handle=handle, config=config)
    if actor is None:
        _forget("login.session_ended")
        st.session_state[_DROP_KEY] = True
    elif stale:
        st.session_state[_TOUCHED_KEY] = clock.now()
    return found


def _touch_may_be_due() -> bool:
    """False while this tab's own last note of activity is younger than sessions.TOUCH_EVERY: the
    session's last_seen_at is at least that recent, so asking the database would find nothing to do."""
    touched = st.session_state.get(_TOUCHED_KEY)
    return touched is None or clock.now() - touched >= sessions.TOUCH_EVERY


def _attempt_login() -> None:
    """Ingresar's callback: runs before the script, so the run that follows already knows the user."""
    username = (st.session_state.get("login_username") or "").strip().lower()
    password = st.session_state.get("login_password") or ""
    remember = bool(st.session_state.get("login_remember"))
    st.session_state["login_password"] = ""  # never kept in the page session
    with uow(write=False) as session:
        credentials = users.login_credentials(session=session, username=username) if username else {"usernames": {}}
    if username not in credentials["usernames"]:
        # Unknown, inactive or locked: the same bcrypt work a wrong password costs, and the same answer.
        verify_password("no-es-la-clave", DUMMY_HASH)
        st.session_state["mesa_login_failed"] = True
        return
    checker = AuthenticationController(credentials, auto_hash=False, secret_key=session_cookie_key())
    accepted = checker.login(username, password)
    for key in _LIBRARY_KEYS:
        st.session_state.pop(key, None)
    if not accepted:
        call(users.record_failed_login, username=username)
        st.session_state["mesa_login_failed"] = True
        return
    with uow() as session:
        users.record_successful_login(session=session, username=username, password=password)
        actor = users.load_actor(session=session, username=username)
        opened = sessions.open_session(
            session=session, user_id=actor.id, remember=remember, user_agent=st.context.headers.get("User-Agent", "")
        )
    st.session_state[SESSION_KEY] = opened.handle
    st.session_state[_TOUCHED_KEY] = clock.now()  # a session opened now was seen now
    st.session_state[_GRANT_KEY] = opened.grant
    st.session_state.pop(_DROP_KEY, None)


def _render_login() -> None:
    """Usuario, Clave, Recordarme, Ingresar: one answer for a wrong password, an unknown or a locked user."""
    flash = st.session_state.pop("mesa_flash", None)
    failed = st.session_state.pop("mesa_login_failed", False)
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        st.title(f":material/support_agent: {t('app.name')}")
        st.caption(t("login.intro"))
        # The notice's place is kept when there is none, so the form stays where it was between runs: a
        # form that moves (after "Sesión cerrada.") is drawn twice while the run goes on, the old one faded.
        notice = st.empty()
        if flash:
            notice.info(t(flash))
        with st.form("mesa_login"):
            st.subheader(t("login.title"))
            st.text_input(t("login.username"), key="login_username", autocomplete="username")
            st.text_input(t("login.password"), type="password", key="login_password", autocomplete="current-password")
            st.checkbox(
                t("login.remember"),
                key="login_remember",
                help=t("login.remember_help", days=f"{settings().session_max_days:g}"),
            )
            st.form_submit_button(t("login.submit"), type="primary", on_click=_attempt_login)
        if failed:
            show_error(t("login.failed"))


def _browser_request(path: str, body: dict) -> None:
    """One same-origin POST from the page (the server answers with Set-Cookie); nothing to see."""
    options = {
        "method": "POST",
        "credentials": "same-origin",
        "headers": {"Content-Type": "application/json", "X-Mesa-Desk": "1"},
        "body": json.dumps(body),
    }
    script = f"<script>fetch({json.dumps(path)}, {json.dumps(options)});</script>"
    st.html(script, unsafe_allow_javascript=True)


def _sync_cookie() -> None:
    """Hand the browser its cookie after a login, or take it away after a logout or a dead session."""
    if grant := st.session_state.pop(_GRANT_KEY, None):
        _browser_request(GRANT_ROUTE, {"grant": grant})
    elif st.session_state.pop(_DROP_KEY, False):
        _browser_request(DROP_ROUTE, {})


def logout() -> None:
    """Cerrar sesión: the session ends on the server (a copied cookie is worth nothing), the cookie goes.
    Called before the menu is drawn (navigation.navigation_for), so the address of the tab goes straight
    to Inicio's and none of Cerrar sesión's stays in its history."""
    with uow() as session:
        sessions.end(session=session, handle=_session_handle(), reason="logout")
    _forget("login.logged_out")
    st.session_state[_DROP_KEY] = True
    st.switch_page(page_script("inicio"))
