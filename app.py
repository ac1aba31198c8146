"""Mesa de Servicio: page setup, settings, the login gate and the navigation of the user's role."""

import streamlit as st
import streamlit_authenticator as stauth

from app_pages import common as ui
from app_pages import survey
from services import notifications, users

COOKIE_NAME = "mesa_sesion"

st.set_page_config(page_title="Mesa de Servicio", page_icon=":material/support_agent:", layout="wide")

settings = ui.settings()
ui.start_background_sender()

with ui.uow(write=False) as session:
    first_start = users.needs_setup(session=session)
# The setup's answer (with the demo passwords) stays on screen until the admin moves on.
if first_start or "mesa_setup_result" in st.session_state:
    st.navigation(
        [st.Page("app_pages/setup.py", title=ui.t("setup.title"), url_path="configuracion")], position="hidden"
    ).run()
    st.stop()

# Register every page before anything renders: the remember-me cookie component makes the
# browser rerun at once, and that rerun must already know the page the URL asked for
# (/verificar?caso=123 survives the login). The navigation of the user's role follows below.
st.navigation(ui.pages_for(None, logout=None), position="hidden")

logged_in_as = st.session_state.get("username") if st.session_state.get("authentication_status") else None
with ui.uow(write=False) as session:
    credentials = users.login_credentials(session=session, username=logged_in_as)
authenticator = stauth.Authenticate(
    credentials,
    cookie_name=COOKIE_NAME,
    cookie_key=ui.session_cookie_key(),
    cookie_expiry_days=settings.cookie_expiry_days,
    auto_hash=False,
)

def session_still_valid(current) -> bool:
    """The account is active and this session began after its last password change.

    The first run after a login records the password's date; a login by a remember-me
    cookie counts only if the cookie was issued after that date (a reset ends old cookies).
    """
    if current is None:
        return False
    stamp = st.session_state.get("mesa_password_stamp")
    if stamp is None:
        by_form = st.session_state.pop("mesa_form_login", False)
        if not by_form and not ui.cookie_newer_than(authenticator, current.password_changed_at):
            return False
        st.session_state["mesa_password_stamp"] = stamp = current.password_changed_at
    return current.password_changed_at == stamp


def end_session() -> None:
    authenticator.logout(location="unrendered")
    for key in (ui.ACTOR_KEY, "mesa_password_stamp", "mesa_form_login"):
        st.session_state.pop(key, None)
    st.session_state["mesa_flash"] = "login.session_ended"


# Every run re-checks the account: a deactivated user's or an old password's session ends here.
actor = None
if logged_in_as:
    with ui.uow(write=False) as session:
        actor = users.load_actor(session=session, username=logged_in_as)
    if not session_still_valid(actor):
        end_session()
        actor = None

if actor is None:
    ui.render_login(authenticator, credentials)
    if st.session_state.get("authentication_status"):
        with ui.uow(write=False) as session:
            actor = users.load_actor(session=session, username=st.session_state["username"])
        if not session_still_valid(actor):
            end_session()
            st.rerun()

st.session_state[ui.ACTOR_KEY] = actor
unread = 0
if actor is not None:
    with ui.uow(write=False) as session:
        unread = notifications.unread_count(session=session, actor=actor)
page_map = ui.pages_for(actor, logout=lambda: ui.logout(authenticator), unread=unread)
navigation = st.navigation(page_map, position="top" if actor else "hidden")
if actor is None:
    st.stop()
ui.apply_theme(actor)
if flash := st.session_state.pop("mesa_flash_success", None):
    st.toast(ui.t(flash), icon="✅")
if not actor.must_change_password:
    survey.prompt(actor)
navigation.run()
