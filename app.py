"""Mesa de Servicio: page setup, settings, the setup gate, the login gate and the navigation of the user's role.

Served by server.py (`streamlit run server.py`), which adds the session-cookie routes and starts the
e-mail sender with the server.

This script runs on full reruns only: a click inside a page's fragment (the Bandeja's list, a case's
work view or conversation, Mensajes' list, a dialog) reruns that fragment alone. So the work below is
kept to one reading unit of work per run.
"""

import streamlit as st

from app_pages import survey, ui
from services.errors import Unavailable

st.set_page_config(page_title="Mesa de Servicio", page_icon="🎧", layout="wide")

ui.settings()  # a wrong setting stops here, with its message
ui.page_style(max_upload_mb=ui.settings().max_upload_mb)
ui.start_background_sender()

if ui.setup_pending():  # asks the database only until this process has seen an administrator
    ui.run_setup()

try:
    # This tab's session, its user, the unread count and the survey's questions: one unit of work; or the
    # login form, and the run stops.
    signed_in = ui.logged_in(survey_questions=survey.may_ask())
    actor = signed_in.actor
    navigation = ui.navigation_for(actor, unread=signed_in.unread, logout=ui.logout)
    ui.apply_theme(actor)
    ui.show_page_flashes()
    if not actor.must_change_password:
        survey.prompt(actor, signed_in.survey_questions)
    navigation.run()
except Unavailable as exc:  # PostgreSQL restarting: words instead of a traceback; the next click tries again
    ui.show_error(exc)
