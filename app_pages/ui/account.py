"""The account's own widgets, shared by Mi cuenta and the forced Cambiar clave: the password form and
the list of the account's open sessions."""

from __future__ import annotations

import streamlit as st

from app_pages.ui.display import show_error, show_flash, t, when
from app_pages.ui.navigation import page_script
from app_pages.ui.runtime import act, call, settings, uow
from app_pages.ui.state import ACTOR_KEY, FLASH_SUCCESS_KEY, SESSION_KEY
from services import sessions, users
from services.errors import ServiceError
from services.security import MIN_PASSWORD_LEN
from services.users import Actor

_SESSIONS_FLASH = "mesa_sessions"


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
        call(
            users.change_password,
            actor=actor,
            current_password=current,
            new_password=new,
            new_password_repeat=repeat,
            keep_session=st.session_state.get(SESSION_KEY),
        )
    except ServiceError as exc:
        show_error(exc)
        return
    with uow(write=False) as session:
        st.session_state[ACTOR_KEY] = users.load_actor(session=session, username=actor.username)
    st.session_state[FLASH_SUCCESS_KEY] = "account.password_changed"
    if actor.must_change_password:  # the temporary password is gone: the desk opens, at Inicio
        st.switch_page(page_script("inicio"))
    st.rerun()


def _browser_name(user_agent: str) -> str:
    """A person's words for a User-Agent: "Chrome en Windows", not the raw header."""
    agent = user_agent or ""
    browser = next(
        (
            name
            for token, name in (
                ("Edg/", "Edge"),
                ("OPR/", "Opera"),
                ("Firefox/", "Firefox"),
                ("Chrome/", "Chrome"),
                ("Safari/", "Safari"),
            )
            if token in agent
        ),
        None,
    )
    system = next(
        (
            name
            for token, name in (
                ("Android", "Android"),
                ("iPhone", "iPhone"),
                ("iPad", "iPad"),
                ("Windows", "Windows"),
                ("Mac OS", "macOS"),
                ("Linux", "Linux"),
            )
            if token in agent
        ),
        None,
    )
    if browser is None:
        return t("sessions.unknown_browser")
    return f"{browser} · {system}" if system else browser


def open_sessions_panel(actor: Actor) -> None:
    """Mi cuenta → Sesiones abiertas: where the account is logged in; end one, or all but this one."""
    st.caption(t("sessions.intro"))
    handle = st.session_state.get(SESSION_KEY)
    show_flash(_SESSIONS_FLASH)
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
            notes = [
                t("sessions.started", when=when(item.created_at)),
                t("sessions.last_seen", when=when(item.last_seen_at)),
            ]
            if item.remember:
                notes.append(t("sessions.remembered"))
            left.caption(" · ".join(notes))
            if not item.current:
                right.button(
                    t("sessions.end"), key=f"end_session_{index}", on_click=_end_one_session, args=(actor, item.handle)
                )


def _end_one_session(actor: Actor, handle: str) -> None:
    act(sessions.end_one_of_mine, done=t("sessions.ended_one"), flash=_SESSIONS_FLASH, actor=actor, handle=handle)


def _end_other_sessions(actor: Actor) -> None:
    act(
        sessions.end_others_of_mine,
        done=lambda count: t("sessions.ended_others", count=count),
        flash=_SESSIONS_FLASH,
        actor=actor,
        keep=st.session_state.get(SESSION_KEY),
    )
