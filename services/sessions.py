"""Login sessions on the server: the one place that says whether a browser is logged in.

Protocol:
1. A good login opens a row (`open_session`): its id is a random handle that stays in the server's
   memory (the page session's state), and a one-time grant goes to the browser.
2. The browser trades the grant, once and within a minute, for an HttpOnly cookie holding a fresh
   secret signed with the desk's cookie key (`trade_grant`, called by the route in server.py).
   "Recordarme" makes it a persistent cookie; without it the cookie ends with the browser.
3. Every run checks the row (`resume` by handle, `resume_cookie` for a new tab): not ended, not idle
   longer than the idle timeout, younger than the absolute lifetime, its user active. A forged,
   malformed, expired or ended cookie is simply no session: the login form shows.
4. Logout, a password change or reset, a deactivation and an administrator end rows (`end`,
   `end_all_for_user`); a cookie copied before that is worth nothing after it.

The database keeps only SHA-256 digests of the cookie's secret and of the grant.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import User, UserSession
from services import clock
from services.errors import NotFound
from services.settings import Settings

if TYPE_CHECKING:
    from services.users import Actor

COOKIE_NAME = "mesa_sesion"
# The server routes (server.py) the page calls to get or lose the cookie.
GRANT_ROUTE = "/_mesa/sesion"
DROP_ROUTE = "/_mesa/salir"
GRANT_LIFETIME = timedelta(minutes=1)
# last_seen_at is written at most this often: a click is a read, not a write.
TOUCH_EVERY = timedelta(seconds=60)
USER_AGENT_MAX = 300


@dataclass(frozen=True)
class Opened:
    handle: str  # kept in the page session's state on the server
    grant: str  # traded once, by the browser, for the cookie


@dataclass(frozen=True)
class SessionView:
    handle: str  # for the server-side callbacks of Mi cuenta; never rendered
    created_at: datetime
    last_seen_at: datetime
    user_agent: str
    remember: bool
    current: bool


@dataclass(frozen=True)
class CookieGrant:
    value: str
    max_age: int | None  # seconds; None: a browser-session cookie
    secure: bool


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _mac(token: str, key: str) -> str:
    raw = hmac.new(key.encode("utf-8"), token.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def sign(token: str, key: str) -> str:
    """The cookie's value: the token and its HMAC-SHA256 under the desk's cookie key."""
    return f"{token}.{_mac(token, key)}"


def unsign(value: str | None, key: str) -> str | None:
    """The secret of a cookie we signed, or None for anything else (forged, malformed, foreign)."""
    if not value or len(value) > 200 or value.count(".") != 1:
        return None
    token, mac = value.split(".")
    try:
        token.encode("ascii")
    except UnicodeEncodeError:
        return None
    if not token or not hmac.compare_digest(mac, _mac(token, key)):
        return None
    return token


def open_session(*, session: so.Session, user_id: int, remember: bool, user_agent: str = "") -> Opened:
    """A new login of this user; the caller has checked the password."""
    handle = secrets.token_urlsafe(32)
    grant = secrets.token_urlsafe(32)
    now = clock.now()
    session.add(
        UserSession(
            id=handle,
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            remember=remember,
            user_agent=(user_agent or "")[:USER_AGENT_MAX],
            cookie_grant_hash=_digest(grant),
            cookie_grant_expires_at=now + GRANT_LIFETIME,
        )
    )
    session.flush()
    return Opened(handle=handle, grant=grant)


def _expired_reason(row: UserSession | sa.Row, config: Settings, now: datetime) -> str | None:
    if now - row.created_at > timedelta(days=config.session_max_days):
        return "expired"
    if now - row.last_seen_at > timedelta(hours=config.session_idle_hours):
        return "idle"
    return None


def _check(session: so.Session, row: UserSession | None, config: Settings, *, touch: bool) -> int | None:
    if row is None or row.ended_at is not None:
        return None
    now = clock.now()
    reason = _expired_reason(row, config, now)
    if reason is None and not session.scalar(sa.select(User.active).where(User.id == row.user_id)):
        reason = "deactivated"
    if reason is not None:
        if touch:
            row.ended_at, row.end_reason = now, reason
            session.flush()
        return None
    if touch and now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        session.flush()
    return row.user_id


def resume(*, session: so.Session, handle: str | None, config: Settings, touch: bool = True) -> int | None:
    """The user id of this live session, or None. With `touch`, ends a session found idle or too old
    and notes activity (at most once a minute)."""
    if not handle or len(handle) > 64:
        return None
    return _check(session, session.get(UserSession, handle), config, touch=touch)


def live_user(
    *, session: so.Session, handle: str | None, config: Settings, columns: Sequence = (User.id,)
) -> sa.Row | None:
    """These columns of the active user of this live session, or None; read in one statement (plain rows,
    no ORM objects: it is what every run and every call of a page asks) and written nowhere (`resume`
    records why a dead one ended)."""
    if not handle or len(handle) > 64:
        return None
    found = (
        session.connection()
        .execute(
            sa.select(UserSession.ended_at, UserSession.created_at, UserSession.last_seen_at, User.active, *columns)
            .join(User, User.id == UserSession.user_id)
            .where(UserSession.id == handle)
        )
        .first()
    )
    if found is None or found.ended_at is not None or not found.active:
        return None
    return None if _expired_reason(found, config, clock.now()) is not None else found


def needs_touch(*, session: so.Session, handle: str | None) -> bool:
    """Whether `resume` would note activity now (so a read-only run opens a writing one only then)."""
    row = session.get(UserSession, handle) if handle and len(handle) <= 64 else None
    return row is not None and row.ended_at is None and clock.now() - row.last_seen_at >= TOUCH_EVERY


def resume_cookie(*, session: so.Session, cookie: str | None, config: Settings, key: str) -> str | None:
    """The session handle a browser's cookie stands for, if it is ours, signed and live; else None."""
    secret = unsign(cookie, key)
    if secret is None:
        return None
    row = session.scalar(sa.select(UserSession).where(UserSession.cookie_hash == _digest(secret)))
    return row.id if _check(session, row, config, touch=True) is not None else None


def trade_grant(*, session: so.Session, grant: str | None, config: Settings, key: str) -> CookieGrant | None:
    """The signed cookie for a one-time grant, once and while fresh; None for anything else."""
    if not grant or len(grant) > 100:
        return None
    try:
        digest = _digest(grant)
    except UnicodeEncodeError:
        return None
    row = session.scalar(sa.select(UserSession).where(UserSession.cookie_grant_hash == digest).with_for_update())
    now = clock.now()
    if row is None or row.ended_at is not None or row.cookie_grant_expires_at is None:
        return None
    if row.cookie_grant_expires_at < now:
        return None
    secret = secrets.token_urlsafe(32)
    row.cookie_grant_hash = None
    row.cookie_grant_expires_at = None
    row.cookie_hash = _digest(secret)
    session.flush()
    max_age = int(timedelta(days=config.session_max_days).total_seconds()) if row.remember else None
    return CookieGrant(value=sign(secret, key), max_age=max_age, secure=config.app_url.startswith("https://"))


def end(*, session: so.Session, handle: str | None, reason: str = "logout") -> None:
    """End this session (Cerrar sesión)."""
    if not handle:
        return
    session.execute(
        sa.update(UserSession)
        .where(UserSession.id == handle, UserSession.ended_at.is_(None))
        .values(ended_at=clock.now(), end_reason=reason)
    )


def end_cookie(*, session: so.Session, cookie: str | None, key: str, reason: str = "logout") -> None:
    """End the session a cookie stands for (the logout route; a forged or unknown cookie ends nothing)."""
    secret = unsign(cookie, key)
    if secret is None:
        return
    session.execute(
        sa.update(UserSession)
        .where(UserSession.cookie_hash == _digest(secret), UserSession.ended_at.is_(None))
        .values(ended_at=clock.now(), end_reason=reason)
    )


def end_all_for_user(*, session: so.Session, user_id: int, reason: str, keep: str | None = None) -> int:
    """End every open session of a user (but the one whose handle is `keep`); how many ended."""
    query = sa.update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    if keep:
        query = query.where(UserSession.id != keep)
    return session.execute(query.values(ended_at=clock.now(), end_reason=reason)).rowcount or 0


def list_mine(*, session: so.Session, actor: Actor, current: str | None, config: Settings) -> list[SessionView]:
    """The actor's sessions still open and in time, newest activity first (Mi cuenta)."""
    now = clock.now()
    rows = session.scalars(
        sa.select(UserSession)
        .where(UserSession.user_id == actor.id, UserSession.ended_at.is_(None))
        .order_by(UserSession.last_seen_at.desc())
    )
    return [
        SessionView(r.id, r.created_at, r.last_seen_at, r.user_agent, r.remember, r.id == current)
        for r in rows
        if _expired_reason(r, config, now) is None
    ]


def end_one_of_mine(*, session: so.Session, actor: Actor, handle: str) -> None:
    """End one of the actor's own sessions (Mi cuenta → Cerrar); another user's handle ends nothing."""
    ended = session.execute(
        sa.update(UserSession)
        .where(UserSession.id == handle, UserSession.user_id == actor.id, UserSession.ended_at.is_(None))
        .values(ended_at=clock.now(), end_reason="other")
    ).rowcount
    if not ended:
        raise NotFound("sessions.not_found")


def end_others_of_mine(*, session: so.Session, actor: Actor, keep: str | None) -> int:
    """Cerrar las demás sesiones: every session of the actor but this one; how many ended."""
    return end_all_for_user(session=session, user_id=actor.id, reason="other", keep=keep)
