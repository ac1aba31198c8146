"""The desk's server: Streamlit serving app.py, plus what a page script cannot do by itself.

Start it with `streamlit run server.py` (Streamlit finds the `st.App` below):
- the session cookie routes: `POST /_mesa/sesion` trades a login's one-time grant for an HttpOnly
  cookie, `POST /_mesa/salir` ends the cookie's session and deletes the cookie (services/sessions.py);
- `GET /_mesa/salud` for load balancers and monitors: the health of the database, the data folder and the
  outbox as JSON (services/ops.py), 200 while the desk serves (ok or degraded), 503 when it cannot;
- the e-mail sender and the periodic jobs start with the server, not with the first page view, so
  mail keeps flowing after a restart even if nobody opens the desk;
- Streamlit's upload limit follows MESA_MAX_UPLOAD_MB (twice it: the desk refuses an oversize file in
  Spanish before Streamlit's English note would), so one setting rules;
- what is loaded at start (Streamlit, SQLAlchemy, pandas, the services) is frozen out of the garbage
  collector's full passes (`gc.freeze()`), which then look only at what the page runs make. With
  Streamlit's collection after every run turned off (.streamlit/config.toml, `runner.postScriptGC`)
  that takes ~100 ms of CPU off every click (README "In a browser: what a person feels").
"""

from __future__ import annotations

import gc
from contextlib import asynccontextmanager

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from streamlit import config as streamlit_config

from services import ops, runtime, sessions
from services.db import unit_of_work

COOKIE_NAME = sessions.COOKIE_NAME
# A header a cross-site form cannot send without the browser asking us first (CORS), which we never allow.
DESK_HEADER = "x-mesa-desk"


def _refused(reason: str) -> JSONResponse:
    return JSONResponse({"ok": False, "reason": reason}, status_code=403)


async def grant_cookie(request: Request) -> Response:
    """The browser that just logged in trades its one-time grant for the session cookie."""
    if request.headers.get(DESK_HEADER) != "1":
        return _refused("header")
    try:
        grant = (await request.json()).get("grant")
    except ValueError:
        return _refused("body")
    if not isinstance(grant, str):
        return _refused("body")
    desk = runtime.desk()

    def trade():
        with unit_of_work(desk.engine) as session:
            return sessions.trade_grant(session=session, grant=grant, config=desk.settings, key=desk.cookie_key)

    cookie = await run_in_threadpool(trade)
    if cookie is None:
        return _refused("grant")
    answer = Response(status_code=204)
    answer.set_cookie(
        COOKIE_NAME, cookie.value, max_age=cookie.max_age, path="/", secure=cookie.secure, httponly=True, samesite="lax"
    )
    return answer


async def drop_cookie(request: Request) -> Response:
    """Cerrar sesión, or a dead cookie: the cookie's session ends (if it was still open) and the cookie goes."""
    if request.headers.get(DESK_HEADER) != "1":
        return _refused("header")
    desk = runtime.desk()
    value = request.cookies.get(COOKIE_NAME)

    def end():
        with unit_of_work(desk.engine) as session:
            sessions.end_cookie(session=session, cookie=value, key=desk.cookie_key)

    if value:
        await run_in_threadpool(end)
    answer = Response(status_code=204)
    answer.delete_cookie(
        COOKIE_NAME, path="/", secure=desk.settings.app_url.startswith("https://"), httponly=True, samesite="lax"
    )
    return answer


async def health(_request: Request) -> Response:
    """No login (load balancers ask), and nothing in the answer a stranger could use: states, latency, outbox."""

    def check() -> ops.Health:
        try:
            desk = runtime.desk()
        except Exception as exc:  # noqa: BLE001 - a desk that cannot even start is "down", not a traceback
            return ops.unreachable(exc)
        return ops.health(desk.engine, desk.settings)

    report = await run_in_threadpool(check)  # the checks block (database, disk): never on the event loop
    return JSONResponse(
        report.as_dict(),
        status_code=503 if report.status == ops.DOWN else 200,
        headers={"Cache-Control": "no-store"},
    )


@asynccontextmanager
async def lifespan(_app):
    current = await run_in_threadpool(runtime.start_server_services)
    # Streamlit refuses a file above its own limit in the browser, in English; above ours, the desk
    # refuses it in Spanish. So Streamlit's follows ours at twice its size (README "Settings").
    streamlit_config.set_option("server.maxUploadSize", 2 * current.settings.max_upload_mb)
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        runtime.stop_server_services()


app = st.App(
    "app.py",
    routes=[
        Route(sessions.GRANT_ROUTE, grant_cookie, methods=["POST"]),
        Route(sessions.DROP_ROUTE, drop_cookie, methods=["POST"]),
        Route(ops.HEALTH_ROUTE, health, methods=["GET"]),
    ],
    lifespan=lifespan,
)
