"""Mi cuenta: name and e-mail, password, and the manual's "Opciones adicionales" (cache, visual mode)."""

import streamlit as st

from app_pages import ui
from services import users

actor = ui.require_page("mi_cuenta")
t = ui.t

st.title(t("account.title"))
profile, password, open_sessions, options = st.tabs(
    [t("account.profile"), t("account.change_password"), t("sessions.title"), t("account.options")]
)

with profile:
    # The link sent to a new address lands here (after the login, if needed); it is used once.
    if token := st.query_params.get("confirmar_correo"):
        del st.query_params["confirmar_correo"]
        confirmed = ui.act(
            users.confirm_email,
            done=lambda who: t("account.email_confirmed", email=ui.md(who.email)),
            actor=actor,
            token=token,
        )
        if confirmed is not None:
            actor = st.session_state[ui.ACTOR_KEY] = confirmed
    st.text_input(t("account.username"), value=actor.username, disabled=True)
    st.text_input(t("account.role"), value=t(f"role.{actor.role}"), disabled=True)
    with st.form("profile"):
        full_name = st.text_input(t("account.full_name"), value=actor.full_name, max_chars=120)
        # A pending address fills the field, so saving the name alone does not cancel the request.
        email = st.text_input(t("account.email"), value=actor.pending_email or actor.email, max_chars=254)
        if actor.pending_email:
            st.caption(t("account.email_pending", email=ui.md(actor.pending_email), current=ui.md(actor.email)))
        if st.form_submit_button(t("account.save_profile"), type="primary"):
            updated = ui.act(
                users.update_profile, done=t("account.profile_saved"), actor=actor, full_name=full_name, email=email
            )
            if updated is not None:
                st.session_state[ui.ACTOR_KEY] = updated
                if updated.pending_email:
                    st.info(
                        t("account.email_link_sent", email=ui.md(updated.pending_email), current=ui.md(updated.email))
                    )

with password:
    ui.password_change_form(actor)

with open_sessions:
    ui.open_sessions_panel(actor)

with options:
    st.button(t("account.clear_cache"), help=t("account.clear_cache_help"), on_click=ui.clear_user_caches)
    if st.session_state.pop("mesa_cache_cleared", False):
        st.success(t("account.cache_cleared"))
    languages = {"es": "Español", "en": "English"}
    language = st.selectbox(
        t("account.language"),
        options=list(languages),
        format_func=languages.get,
        index=list(languages).index(actor.language),
        key="mesa_language_choice",
    )
    if language != actor.language and (updated := ui.act(users.set_language, actor=actor, language=language)):
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
    if chosen != actor.theme and (
        updated := ui.act(users.set_theme, done=t("account.theme_saved"), actor=actor, theme=chosen)
    ):
        st.session_state[ui.ACTOR_KEY] = updated
        st.session_state["mesa_theme_changed"] = True
        ui.apply_theme(updated)
