"""What every page shares, by concern; pages write `from app_pages import ui` and use the names below.

- runtime:    settings, the one engine, units of work, call / act / deferred / reading with the live actor,
              fragments that rerun alone, uploads, the e-mail sender of a desk started the old way
- session:    login, this tab's server-side session and its cookie, Cerrar sesión
- navigation: the menu of the user's role and each page's guard (services/access.py's table)
- display:    catalogue, inert user text, dates, sizes, errors and flashes, pager, light/dark mode
- account:    the password form and the open-sessions panel
- state:      the names kept in st.session_state
"""

from app_pages.ui.account import open_sessions_panel, password_change_form
from app_pages.ui.display import (
    apply_theme,
    error_text,
    file_size,
    highlight,
    language,
    md,
    number,
    page_style,
    pager,
    plain_snippet,
    search_window,
    show_error,
    show_flash,
    show_page_flashes,
    t,
    when,
)
from app_pages.ui.navigation import (
    navigation_for,
    page_script,
    require_page,
    run_setup,
    setup_pending,
)
from app_pages.ui.runtime import (
    Reader,
    act,
    call,
    clear_user_caches,
    deferred,
    engine,
    fragment,
    once_per_run,
    reading,
    rerun_part,
    settings,
    start_background_sender,
    uploads,
)
from app_pages.ui.session import LoggedIn, logged_in, logout
from app_pages.ui.state import ACTOR_KEY

__all__ = [
    "ACTOR_KEY",
    "LoggedIn",
    "Reader",
    "act",
    "apply_theme",
    "call",
    "clear_user_caches",
    "deferred",
    "engine",
    "error_text",
    "file_size",
    "highlight",
    "fragment",
    "language",
    "logged_in",
    "logout",
    "md",
    "navigation_for",
    "number",
    "once_per_run",
    "rerun_part",
    "open_sessions_panel",
    "page_script",
    "page_style",
    "pager",
    "plain_snippet",
    "reading",
    "search_window",
    "password_change_form",
    "require_page",
    "run_setup",
    "settings",
    "setup_pending",
    "show_error",
    "show_flash",
    "show_page_flashes",
    "start_background_sender",
    "t",
    "uploads",
    "when",
]
