"""The names the desk keeps in each browser tab's st.session_state, in one place."""

ACTOR_KEY = "mesa_actor"  # the logged-in user of the last full run (an Actor), set by session.logged_in
SESSION_KEY = "mesa_session"  # the handle of this tab's server-side session (services/sessions.py)
MENU_KEY = "mesa_menu"  # the titles the menu of the last run offered (what a person can click)
FLASH_SUCCESS_KEY = "mesa_flash_success"  # a catalogue key shown as a toast on the next run
FLASH_WARNING_KEY = "mesa_flash_warning"  # why a page sent the user elsewhere (navigation.require_page)
SETUP_RESULT_KEY = "mesa_setup_result"  # the setup's answer (demo passwords), on screen until the admin moves on
ACTOR_CHANGED_KEY = "mesa_actor_changed"  # a call found the user changed since the last full run (runtime.fragment)
