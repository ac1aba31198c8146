"""Mesa de Servicio: page setup, settings, the setup gate, the login gate and the navigation of the user's role.

Served by server.py (`streamlit run server.py`), which adds the session-cookie routes and starts the
e-mail sender with the server.
"""

import streamlit as st

from app_pages import survey, ui
from services import users

st.set_page_config(page_title="Mesa de Servicio", page_icon="🎧", layout="wide")

ui.settings()  # a wrong setting stops here, with its message
ui.start_background_sender()

# The setup's answer (with the demo passwords) stays on screen until the admin moves on.
if ui.call(users.needs_setup, write=False) or "mesa_setup_result" in st.session_state:
    ui.run_setup()

actor = ui.logged_in_actor()  # or the login form, and the run stops
navigation = ui.navigation_for(actor, logout=ui.logout)
ui.apply_theme(actor)
ui.show_page_flashes()
if not actor.must_change_password:
    survey.prompt(actor)
navigation.run()
