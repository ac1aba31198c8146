"""Mi cuenta: name and e-mail, password, and the manual's "Opciones adicionales" (cache, visual mode)."""

import streamlit as st

from app_pages import common as ui
from services import users
from services.errors import ServiceError

actor = ui.require_actor()
t = ui.t

st.title(t("account.title"))
profile, password, open_sessions, options = st.tabs(
    [t("account.profile"), t("account.change_password"), t("sessions.title"), t("account.options")]
)

with profile:
    # The link sent to a new address lands here (after the login, if needed); it is used once.
    if token := st.query_params.get("confirmar_correo"):
        del st.query_params["confirmar_correo"]
        try:
            actor = ui.call(users.confirm_email, actor=actor, token=token)
        except ServiceError as exc:
            ui.show_error(exc)
        else:
            st.session_state[ui.ACTOR_KEY] = actor
            st.success(t("account.email_confirmed", email=ui.md(actor.email)))
    st.text_input(t("account.username"), value=actor.username, disabled=True)
    st.text_input(t("account.role"), value=t(f"role.{actor.role}"), disabled=True)
    with st.form("profile"):
        full_name = st.text_input(t("account.full_name"), value=actor.full_name, max_chars=120)
        # A pending address fills the field, so saving the name alone does not cancel the request.
        email = st.text_input(t("account.email"), value=actor.pending_email or actor.email, max_chars=254)
        if actor.pending_email:
            st.caption(t("account.email_pending", email=ui.md(actor.pending_email), current=ui.md(actor.email)))
        if st.form_submit_button(t("account.save_profile"), type="primary"):
            try:
                updated = ui.call(users.update_profile, actor=actor, full_name=full_name, email=email)
            except ServiceError as exc:
                ui.show_error(exc)
            else:
                st.session_state[ui.ACTOR_KEY] = updated
                st.success(t("account.profile_saved"))
                if updated.pending_email:
                    st.info(t("account.email_link_sent", email=ui.md(updated.pending_email),
                              current=ui.md(updated.email)))

with password:
    ui.password_change_form(actor)

with open_sessions:
    ui.open_sessions_panel(actor)

with options:
    st.button(t("account.clear_cache"), help=t("account.clear_cache_help"), on_click=ui.clear_user_caches)
    if st.session_state.pop("mesa_cache_cleared", False):
        st.success(t("account.cache_cleared"))
    languages = {"es": "Español", "en": "English"}
    language = st.selectbox(t("account.language"), options=list(languages), format_func=languages.get,
                            index=list(languages).index(actor.language), key="mesa_language_choice")
    if language != actor.language:
        try:
            updated = ui.call(users.set_language, actor=actor, language=language)
        except ServiceError as exc:
            ui.show_error(exc)
        else:
            st.session_state[ui.ACTOR_KEY] = updated
            st.rerun()
    labels = {"light": t("account.theme_light"), "dark": t("account.theme_dark")}
    chosen = st.radio(
        t("account.theme"),
        options=list(labels),
        format_func=labels.get,
        index=list(labels).index(actor.theme),
        horizontal=True,
        key="mesa_theme_choice",
    )
    if chosen != actor.theme:
        try:
            updated = ui.call(users.set_theme, actor=actor, theme=chosen)
        except ServiceError as exc:
            ui.show_error(exc)
        else:
            st.session_state[ui.ACTOR_KEY] = updated
            st.session_state["mesa_theme_changed"] = True
            st.success(t("account.theme_saved"))
            ui.apply_theme(updated)
