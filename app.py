"""Mesa de Servicio: page setup, settings, the login gate and the navigation of the user's role.

Served by server.py (`streamlit run server.py`), which adds the session-cookie routes and starts the
e-mail sender with the server.
"""

import streamlit as st

from app_pages import common as ui
from app_pages import login, survey
from services import notifications, users

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

# Every run asks the server-side session: a logout elsewhere, a reset or a deactivation ends it here.
actor = login.current_actor()
st.session_state[ui.ACTOR_KEY] = actor
login.sync_cookie()
if actor is None:
    st.session_state.pop(ui.MENU_KEY, None)
    # Every page is registered while logged out, so a deep link (/verificar?caso=123) survives the login.
    st.navigation(ui.pages_for(None, logout=None), position="hidden")
    login.render_login()
    st.stop()

with ui.uow(write=False) as session:
    unread = notifications.unread_count(session=session, actor=actor)
page_map = ui.pages_for(actor, logout=login.logout, unread=unread)
navigation = st.navigation(page_map, position="top")
st.session_state[ui.MENU_KEY] = ui.menu_titles(page_map)
ui.apply_theme(actor)
if flash := st.session_state.pop("mesa_flash_success", None):
    st.toast(ui.t(flash), icon="✅")
ui.show_flash_warning()
if not actor.must_change_password:
    survey.prompt(actor)
navigation.run()
