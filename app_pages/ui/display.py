"""How pages say things: the catalogue in the user's language, inert user text, dates, sizes, errors,
the flash messages a callback leaves for the next run, the pager and the user's light/dark mode."""

from __future__ import annotations

import json
import re
from datetime import datetime

import streamlit as st
from babel.dates import format_datetime
from babel.numbers import format_decimal

from app_pages.ui.state import ACTOR_KEY, FLASH_SUCCESS_KEY, FLASH_WARNING_KEY
from services import clock, i18n
from services.errors import ServiceError
from services.search import SNIPPET_END, SNIPPET_START
from services.users import Actor


def language() -> str:
    current = st.session_state.get(ACTOR_KEY)
    return current.language if current is not None else "es"


def t(key: str, **params) -> str:
    return i18n.t(key, language(), **params)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md(text: str) -> str:
    """User text made inert for Markdown: shown as typed, never as links, images, HTML or formulas."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text or "").replace("\n", "  \n")


def highlight(snippet: str) -> str:
    """A search's snippet as inert Markdown, its matched words in bold (services.search marks them)."""
    return md(snippet).replace(SNIPPET_START, "**").replace(SNIPPET_END, "**")


def plain_snippet(snippet: str) -> str:
    """A search's snippet for a table cell: the words as they are, the marks dropped."""
    return snippet.replace(SNIPPET_START, "").replace(SNIPPET_END, "")


def when(moment: datetime | None) -> str:
    """A stored UTC time as the organisation reads it: "27 de noviembre de 2026, 10:15"."""
    if moment is None:
        return ""
    local = clock.to_local(moment)
    locale = "en" if language() == "en" else "es_CO"
    return format_datetime(local, "d 'de' MMMM 'de' y, HH:mm" if locale != "en" else "MMMM d, y, HH:mm", locale=locale)


def number(count: int) -> str:
    """1200 as people here write it: "1.200" (and "1,200" in English)."""
    return format_decimal(count, locale="en" if language() == "en" else "es_CO")


def file_size(size_bytes: int) -> str:
    if size_bytes < 1024:
        return f"{size_bytes} B"
    if size_bytes < 1024 * 1024:
        return f"{size_bytes / 1024:.0f} KB"
    return f"{size_bytes / 1048576:.1f} MB"


def error_text(exc: ServiceError) -> str:
    """The user's words for a refusal: what the user typed in it (names, files) inert, status codes
    with their names."""
    params = {k: md(v) if isinstance(v, str) else v for k, v in exc.params.items()}
    for name in ("source", "target"):
        if name in params:
            params[f"{name}_label"] = t(f"status.{exc.params[name]}")
    return t(exc.key, **params)


def show_error(error: ServiceError | str, *, icon: str = "⚠️") -> None:
    """The one way a page shows an error. A service's error goes through `error_text`, so nothing a
    user typed in it renders as Markdown; a str is a text `error_text` or the catalogue already made
    (one kept in the session state for the next run, say)."""
    st.error(error_text(error) if isinstance(error, ServiceError) else error, icon=icon)


def show_flash(name: str) -> None:
    """The outcome an action left under `name` (runtime.act with `flash=name`): the refusal, or the
    words of success, once."""
    if error := st.session_state.pop(f"{name}_error", None):
        show_error(error)
    if done := st.session_state.pop(f"{name}_done", None):
        st.success(done, icon="✅")


def show_page_flashes() -> None:
    """What the last run left to say on arrival: a toast for a saved change, the reason a page
    sent the user here (navigation.require_page)."""
    if flash := st.session_state.pop(FLASH_SUCCESS_KEY, None):
        st.toast(t(flash), icon="✅")
    if key := st.session_state.pop(FLASH_WARNING_KEY, None):
        st.warning(t(key), icon=":material/link_off:" if key == "error.no_such_page" else "🔒")


def pager(result, state_key: str) -> None:
    """Anterior · Página x de y · Siguiente under a list paged in SQL; the page lives in session state."""
    if result.pages <= 1:
        return

    def go_to(page: int) -> None:
        st.session_state[state_key] = page

    row = st.container(horizontal=True, horizontal_alignment="distribute", vertical_alignment="center")
    row.button(
        t("verify.previous"),
        disabled=result.page <= 1,
        on_click=go_to,
        args=(result.page - 1,),
        key=f"{state_key}_prev",
        icon=":material/chevron_left:",
    )
    row.markdown(t("verify.page", page=result.page, pages=result.pages), width="content")
    row.button(
        t("verify.next"),
        disabled=result.page >= result.pages,
        on_click=go_to,
        args=(result.page + 1,),
        key=f"{state_key}_next",
        icon=":material/chevron_right:",
    )


def search_window(result, window_key: str, page_key: str) -> None:
    """Over a search's list that matched more cases than it ranked (services.search.WINDOWS): what was
    left out, and, while a wider window is left, the button that ranks that many (kept in session state
    under `window_key` until the words change; the list goes back to its first page)."""
    if not result.more:
        return
    st.info(t("search.more", window=number(result.window)), icon=":material/filter_list:")
    if result.wider is None:
        return

    def widen() -> None:
        st.session_state[window_key] = result.wider
        st.session_state[page_key] = 1

    st.button(
        t("search.wider", count=number(result.wider)),
        key=f"{window_key}_wider",
        on_click=widen,
        icon=":material/manage_search:",
    )


# Streamlit leaves 6rem above the content under its top navigation bar (3.75rem): an empty band of
# ~60 px above every title. The bar plus a little air is enough. A style-only st.html takes no room.
#
# Streamlit's own English words that no argument sets (README: "What is still English, and why"):
# - "Press Enter to apply" / "Press Ctrl+Enter to apply" under a field being typed in: hidden. The
#   counter after it ("4/200", behind a "•") stays; a lone span is the counter when the field has a
#   maxlength (Streamlit always counts then), else the instruction. Hidden first and shown again by
#   :has(), because Chromium may apply a :has() rule a moment late: late, it delays a counter, never
#   lets the English through.
# - the dataframe's toolbar (Show/hide columns, Download as CSV, Search, Fullscreen): hidden; the pages
#   that matter have their own exports.
# - the file uploader's "Upload" button, its "20MB per file" note (Streamlit's limit, twice ours, see
#   server.py) and the "Drag and drop a file here" it shows while a file is dragged over it: their
#   words replaced by the catalogue's, drawn by ::after over a zero-size original.
# - the "Skip to main content" link a keyboard's first Tab shows: the same (a screen reader hears both).
# And an article's own headings (app_pages/knowledge_view.py) a size below the page's title.
_PAGE_STYLE = """<style>
[data-testid='stMainBlockContainer'] { padding-top: 4.25rem; }
[data-testid='InputInstructions'] > span:first-child { display: none; }
[data-testid='InputInstructions'] > span + span::before { display: none; }
:is([data-testid='stTextInput'], [data-testid='stTextArea']):has(input[maxlength], textarea[maxlength])
  [data-testid='InputInstructions'] > span:only-child { display: inline; }
[data-testid='stElementToolbar'] { display: none; }
[data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer'] p { font-size: 0; }
[data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer'] p::after {
  content: %(upload)s; font-size: 0.875rem;
}
[data-testid='stFileUploaderDropzone'] > div:not([data-testid]) > span { font-size: 0; }
[data-testid='stFileUploaderDropzone'] > div:not([data-testid]) > span::after { content: %(drop)s; font-size: 0.875rem; }
[data-testid='stFileUploaderDropzoneInstructions'] span { font-size: 0; }
[data-testid='stFileUploaderDropzoneInstructions'] span::after { content: %(limit)s; font-size: 0.875rem; }
a[data-testid='stSkipToContent'], a[data-testid='stSkipToContent']:focus-visible { font-size: 0; }
a[data-testid='stSkipToContent']::after { content: %(skip)s; font-size: 0.875rem; }
[class*='st-key-kb_article_body'] h1 { font-size: 1.6rem; }
[class*='st-key-kb_article_body'] h2 { font-size: 1.35rem; }
[class*='st-key-kb_article_body'] :is(h3, h4, h5, h6) { font-size: 1.1rem; }
</style>"""


def page_style(*, max_upload_mb: int) -> None:
    """The desk's few layout corrections, and Streamlit's English words hidden or said in the user's
    language, on every full run (the login page too: there, and before a login's first full run, in
    Spanish)."""
    texts = {
        "upload": t("ui.upload_button"),
        "drop": t("ui.upload_drop"),
        "limit": t("ui.upload_limit", max=max_upload_mb),
        "skip": t("ui.skip_to_content"),
    }
    st.html(_PAGE_STYLE % {name: json.dumps(text, ensure_ascii=False) for name, text in texts.items()})


_THEME_SCRIPT = """
<script>
(function () {
  const want = JSON.stringify(%s);
  const keys = new Set(["stActiveTheme-" + window.location.pathname + "-v2", "stActiveTheme-/-v2"]);
  for (let i = 0; i < localStorage.length; i++) {
    const k = localStorage.key(i);
    if (k && k.startsWith("stActiveTheme-") && k.endsWith("-v2")) keys.add(k);
  }
  keys.forEach(function (k) {
    if (localStorage.getItem(k) !== want) localStorage.setItem(k, want);
  });
  // Reload only when the page shows the other mode: the server's idea of it (st.context.theme) can be
  // stale for a session's first runs, and a key written for a newly visited address is not a wrong page.
  const app = document.querySelector('[data-testid="stApp"]');
  const rgb = ((app && getComputedStyle(app).backgroundColor) || "").match(/[0-9]+/g) || [];
  const shownDark = rgb.length >= 3 && 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] < 128;
  const wrong = shownDark !== (want === JSON.stringify("Dark"));
  const reloads = Number(sessionStorage.getItem("mesaThemeReloads") || 0);
  if (wrong && reloads < 3) {
    sessionStorage.setItem("mesaThemeReloads", String(reloads + 1));
    // A moment first, so the login's remember-me cookie is written before the page reloads.
    setTimeout(function () { window.location.reload(); }, 800);
  } else if (!wrong) {
    sessionStorage.removeItem("mesaThemeReloads");
  }
})();
</script>
"""


def apply_theme(actor: Actor) -> None:
    """Show the user's own light/dark mode in this browser.

    Streamlit keeps the theme per browser (localStorage, read at page load): we write the
    user's choice there and reload once when it differs. Never a server-wide config option,
    which would change it for every user of the process.
    """
    if st.context.theme.type == actor.theme and not st.session_state.get("mesa_theme_changed"):
        return
    st.session_state.pop("mesa_theme_changed", None)
    wanted = "Dark" if actor.theme == "dark" else "Light"
    st.html(_THEME_SCRIPT % json.dumps(wanted), unsafe_allow_javascript=True)
