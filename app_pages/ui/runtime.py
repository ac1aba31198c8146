"""What pages run on: the settings, the one engine, units of work, the acting user as the database
says now, the e-mail sender of a desk started the old way, and where uploads go.

Every service a page runs goes through `call` (now), `act` (now, with its outcome told), `reading`
(several reads in one unit of work) or `deferred` (later, when the browser asks for a download): all
act with the user as this tab's live session says now. A page's `fragment` reruns alone, without app.py's checks: when a call finds the
user changed since the page was drawn (logged out, deactivated, another role), the whole page reruns.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from app_pages.ui.display import error_text, md, show_error, t
from app_pages.ui.state import ACTOR_CHANGED_KEY, SESSION_KEY
from services import jobs, runtime, users
from services import settings as desk_settings
from services.cases import Uploads
from services.db import DeskSession, Engine, make_engine, unit_of_work
from services.errors import PermissionDenied, ServiceError, Unavailable
from services.migrate import upgrade
from services.outbox import BackgroundSender
from services.settings import Settings, SettingsError
from services.storage import Storage
from services.users import Actor

T = TypeVar("T")
ONCE_PER_RUN_KEY = "mesa_once_per_run"


def settings() -> Settings:
    """The settings in effect; a wrong one stops the app with its message instead of a traceback."""
    try:
        return desk_settings.current()
    except SettingsError as exc:
        show_error(t("app.settings_error", error=md(str(exc))))
        st.stop()


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    engine = make_engine(url)
    if url.startswith("sqlite"):
        upgrade(engine)
    return engine


def engine() -> Engine:
    return _engine_for(settings().database_url)


@st.cache_resource(show_spinner=False)
def _cookie_key_for(current: Settings) -> str:
    return desk_settings.cookie_key(current)


def session_cookie_key() -> str:
    return _cookie_key_for(settings())


@contextmanager
def uow(*, write: bool = True) -> Iterator[DeskSession]:
    with unit_of_work(engine(), write=write) as session:
        yield session


def _live_actor(session: DeskSession, actor: Actor, *, handle: str | None, config: Settings) -> Actor:
    """The acting user as the database says now, through this tab's live session: a button pressed
    after a logout elsewhere, a deactivation, a role change or a password reset acts with today's
    rights, or not at all."""
    current = users.load_live_actor(session=session, handle=handle, config=config)
    if current is None or current.id != actor.id:
        raise PermissionDenied("login.session_ended")
    return current


def _with_live_actor(session: DeskSession, kwargs: dict, *, handle: str | None, config: Settings) -> dict:
    actor = kwargs.get("actor")
    if isinstance(actor, Actor) and actor.id is not None:
        return {**kwargs, "actor": _live_actor(session, actor, handle=handle, config=config)}
    return kwargs


def _checked(session: DeskSession, kwargs: dict) -> dict:
    """kwargs with the live actor; marks the tab when the user changed since the page was drawn."""
    try:
        live = _with_live_actor(session, kwargs, handle=st.session_state.get(SESSION_KEY), config=settings())
    except PermissionDenied:
        st.session_state[ACTOR_CHANGED_KEY] = True
        raise
    if live.get("actor") != kwargs.get("actor"):
        st.session_state[ACTOR_CHANGED_KEY] = True  # it still acts, with the rights of today
    return live


def call(service: Callable, *, write: bool = True, **kwargs):
    """Run one service in its own unit of work with the acting user; errors roll back and propagate."""
    with uow(write=write) as session:
        return service(session=session, **_checked(session, kwargs))


class Reader:
    """Services run one after another in one reading unit of work, as one user checked once."""

    def __init__(self, session: DeskSession, actor: Actor):
        self._session, self.actor = session, actor

    def __call__(self, service: Callable, **kwargs):
        return service(session=self._session, actor=self.actor, **kwargs)


@contextmanager
def reading(actor: Actor) -> Iterator[Reader]:
    """What a part of a page shows, read in one unit of work with one check of the live session
    (instead of a unit of work and a check per `call`): `with ui.reading(actor) as read: read(service, ...)`."""
    with uow(write=False) as session:
        yield Reader(session, _checked(session, {"actor": actor})["actor"])


def fragment(body: Callable[..., None] | None = None, *, key: str | None = None):
    """`st.fragment` for a part of a page that reruns alone on its own clicks, without app.py.

    With a `key`, a callback elsewhere on the page may rerun this part alone: `rerun_part(key)`.

    app.py's checks are missing from such a rerun: when a call in it (or in a callback before it) found
    the user changed since the page was drawn — the session ended, the account was deactivated, the role
    or the areas changed — the whole page reruns on purpose (st.rerun()), so the login form or the
    page's guard answers as on any full run, rather than a refusal inside the fragment. app.py clears
    the mark on every full run.
    """

    if body is None:
        return functools.partial(fragment, key=key)

    @st.fragment(key=key)
    @functools.wraps(body)
    def run(*args, **kwargs) -> None:
        if not st.session_state.get(ACTOR_CHANGED_KEY):
            try:
                body(*args, **kwargs)
            except Unavailable as exc:  # the database is restarting: said in words, the next click retries
                show_error(exc)
            except ServiceError:
                if not st.session_state.get(ACTOR_CHANGED_KEY):
                    raise
        if st.session_state.get(ACTOR_CHANGED_KEY):
            st.rerun()

    return run


def once_per_run(name: str, compute: Callable[[], T]) -> T:
    """`compute()`, once for the fragments that one keyed rerun (rerun_part with several keys) runs
    together, which would each compute it otherwise; afresh in any other run.

    The run is told by Streamlit's list of the fragments it runs (`fragment_ids_this_run`, a new list
    for every run, None on a full run): the values are kept with that very list, one entry in the session
    for all names, and the next keyed run replaces them, so a session holds no more than one run's. Without
    it (another Streamlit), every call computes.
    """
    run = getattr(get_script_run_ctx(), "fragment_ids_this_run", None)
    if not run:
        return compute()
    kept_run, values = st.session_state.get(ONCE_PER_RUN_KEY, (None, {}))
    if kept_run is not run:
        values = {}
        st.session_state[ONCE_PER_RUN_KEY] = (run, values)
    if name not in values:
        values[name] = compute()
    return values[name]


def rerun_part(key: str | list[str]) -> NoReturn:
    """From a widget's callback: rerun only the fragment(s) made with `fragment(key=...)` instead of the
    part the widget is in (Streamlit 1.67's keyed rerun). The widget itself shows its new value in the
    browser already; what it changes is drawn by those fragments alone. It ends the callback."""
    st.rerun(scope=key)


def deferred(service: Callable, *, write: bool = False, **kwargs) -> Callable[[], Any]:
    """`call`, later: for a download's data, which Streamlit asks for when the button is clicked, in
    a thread of its own with no session state. What `call` reads from this tab is read now; the
    session is checked then, so a logout or a deactivation since the page was drawn gets nothing."""
    handle, config, bound = st.session_state.get(SESSION_KEY), settings(), engine()

    def run():
        with unit_of_work(bound, write=write) as session:
            return service(session=session, **_with_live_actor(session, kwargs, handle=handle, config=config))

    return run


def act(service: Callable, *, done: str | Callable[[Any], str] | None = None, flash: str | None = None, **kwargs):
    """Run one service (as `call`), then tell how it went: the refusal, or `done` (a text, or a
    function of the result that makes it).

    From a widget's callback pass `flash`: the words wait in the session state until the page shows
    them with `show_flash(flash)` (what a callback draws itself lands above the page). Returns the
    service's result, or None when it was refused.
    """
    try:
        result = call(service, **kwargs)
    except ServiceError as exc:
        if flash:
            st.session_state[f"{flash}_error"] = error_text(exc)
        else:
            show_error(exc)
        return None
    if done is not None:
        words = done(result) if callable(done) else done
        if flash:
            st.session_state[f"{flash}_done"] = words
        else:
            st.success(words, icon="✅")
    return result


def uploads() -> Uploads:
    """Where attachments go and their size limit, from the settings."""
    current = settings()
    return Uploads(storage=Storage(current.storage_dir), max_mb=current.max_upload_mb)


def clear_user_caches() -> None:
    """Borrar caché: only cached data; shared resources (engine, background sender) stay up."""
    st.cache_data.clear()
    st.session_state["mesa_cache_cleared"] = True


@st.cache_resource(show_spinner=False, on_release=lambda sender: sender.stop())
def _sender_for(url: str, current: Settings) -> BackgroundSender:
    sender = BackgroundSender(_engine_for(url), current, jobs=jobs.periodic_jobs(current))
    sender.start()
    return sender


def start_background_sender() -> None:
    """One outbox sender per server process: server.py starts it with the server; only a desk started
    the old way (`streamlit run app.py`) starts it here, on the first page view, once (daemon).

    "Borrar caché" clears only st.cache_data, so it never starts a second sender.
    """
    current = settings()
    if current.background_sender and not runtime.sender_running():
        _sender_for(current.database_url, current)
