"""Accounts: the one-time setup, the acting user of each run, profile, password and preferences, and
the admins' Usuarios (list, create, edit, deactivate, reset, unlock, end sessions, import a CSV)."""

from __future__ import annotations

import base64
import csv
import dataclasses
import hashlib
import hmac
import io
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.exc
import sqlalchemy.orm as so

from models import Area, SetupMarker, User, advisor_areas
from models.enums import LANGUAGES, Role, Theme
from services import calendars, catalogue, clock, i18n, outbox, screens, sessions, settings
from services import text as text_module
from services.audit import audit, require_admin
from services.db import contains
from services.errors import Conflict, NotFound, PermissionDenied, ServiceError, ValidationFailed
from services.paging import Page, clamp
from services.security import (
    check_password_policy,
    hash_password,
    needs_rehash,
    normalize_email,
    normalize_full_name,
    normalize_username,
    verify_password,
)


@dataclass(frozen=True)
class Actor:
    """The user acting in a call, as loaded from the database at the start of the run."""

    id: int | None
    username: str
    full_name: str
    email: str
    role: str
    must_change_password: bool = False
    theme: str = Theme.LIGHT
    language: str = "es"
    area_ids: tuple[int, ...] = ()
    password_changed_at: datetime | None = None
    pending_email: str | None = None  # asked for in Mi cuenta, not in use until its link is followed

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_staff(self) -> bool:
        """Advisors, managers and admins: the people who work cases."""
        return self.role in (Role.ADVISOR, Role.MANAGER, Role.ADMIN)

    @classmethod
    def system(cls) -> Actor:
        """The operator at the command line: acts with an administrator's rights."""
        return cls(id=None, username="sistema", full_name="Sistema", email="", role=Role.ADMIN)


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: str
    password: str
    areas: tuple[str, ...] = ()


@dataclass(frozen=True)
class SetupResult:
    admin_username: str
    demo_users: tuple[DemoUser, ...]


DEMO_PEOPLE = (
    ("ana.perez", "Ana Pérez", Role.EMPLOYEE, ()),
    ("carlos.gomez", "Carlos Gómez", Role.EMPLOYEE, ()),
    ("laura.rios", "Laura Ríos", Role.ADVISOR, (catalogue.GESTION_TECNOLOGICA,)),
    ("jorge.diaz", "Jorge Díaz", Role.ADVISOR, (catalogue.SERVICIOS_GENERALES,)),
    ("marta.luna", "Marta Luna", Role.MANAGER, ()),
)


def _actor_of(user: User) -> Actor:
    return Actor(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        email=user.email,
        role=user.role,
        must_change_password=user.must_change_password,
        theme=user.theme,
        language=user.language,
        area_ids=tuple(sorted(a.id for a in user.areas)),
        password_changed_at=user.password_changed_at,
        pending_email=user.pending_email,
    )


# PostgreSQL advisory lock held by the setup's transaction: two visitors racing get one administrator.
_SETUP_LOCK_KEY = 7_270_002


def needs_setup(*, session: so.Session) -> bool:
    """True only while the desk has no active administrator, whoever created its users (the setup page,
    cli.py create-user or seed-demo): a desk provisioned with an administrator never offers it."""
    return not session.scalar(sa.select(sa.exists().where(User.role == Role.ADMIN, User.active.is_(True))))


def complete_setup(
    *,
    session: so.Session,
    username: str,
    full_name: str,
    email: str,
    password: str,
    password_repeat: str,
    load_demo: bool,
    on_progress: Callable[[int, int], None] | None = None,
) -> SetupResult:
    """Create the first administrator and, if asked, the demo catalogue and users.

    Allowed only while no active administrator exists, checked again under a lock inside this
    transaction (SQLite's writers are serialised; PostgreSQL takes an advisory lock). Each password
    costs a bcrypt hash: `on_progress(done, total)` is told after each one, for the page's progress bar.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SETUP_LOCK_KEY})
    if not needs_setup(session=session):
        raise Conflict("setup.already_done")
    username = normalize_username(username)
    if password != password_repeat:
        raise ValidationFailed("password.mismatch", field="password_repeat")
    check_password_policy(password, username=username, full_name=full_name, email=email)
    steps = 1 + (len(DEMO_PEOPLE) if load_demo else 0)
    admin = User(
        username=username,
        full_name=normalize_full_name(full_name),
        email=normalize_email(email),
        role=Role.ADMIN,
        password_hash=hash_password(password),
    )
    if on_progress:
        on_progress(1, steps)
    session.add(admin)
    session.flush()
    marker = session.get(SetupMarker, 1)
    if marker is None:
        session.add(SetupMarker(id=1, admin_id=admin.id))
    else:
        marker.admin_id = admin.id  # a desk provisioned without an administrator gets its first one
    session.flush()
    demo: tuple[DemoUser, ...] = ()
    if load_demo:
        catalogue.seed_demo_catalogue(session=session)
        calendars.seed_demo(session=session)
        demo = _create_demo_users(
            session=session, taken={username}, on_each=lambda done: on_progress and on_progress(1 + done, steps)
        )
    return SetupResult(admin_username=username, demo_users=demo)


def temporary_password() -> str:
    """A random temporary password (shown once; the user must change it at the next login)."""
    return secrets.token_urlsafe(9)


def _create_demo_users(
    *, session: so.Session, taken: set[str], on_each: Callable[[int], object] | None = None
) -> tuple[DemoUser, ...]:
    created = []
    for done, (username, full_name, role, area_names) in enumerate(DEMO_PEOPLE, start=1):
        if on_each:
            on_each(done)
        if username in taken or session.scalar(sa.select(User.id).where(User.username == username)):
            continue
        password = temporary_password()
        areas = list(session.scalars(sa.select(Area).where(Area.name.in_(area_names))))
        session.add(
            User(
                username=username,
                full_name=full_name,
                email=f"{username}@example.org",
                role=role,
                password_hash=hash_password(password),
                areas=areas,
            )
        )
        created.append(DemoUser(username, full_name, role, password, tuple(area_names)))
    session.flush()
    return tuple(created)


def demo_users_csv(demo: tuple[DemoUser, ...], *, language: str = i18n.DEFAULT_LANGUAGE) -> bytes:
    """The demo users and their temporary passwords as the setup page shows them, as a CSV file to keep
    (UTF-8 with a BOM so a spreadsheet reads the accents)."""
    t = i18n.t
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([t(f"setup.col_{c}", language) for c in ("username", "name", "role", "areas", "password")])
    for u in demo:
        writer.writerow([u.username, u.full_name, t(f"role.{u.role}", language), ", ".join(u.areas), u.password])
    return buffer.getvalue().encode("utf-8-sig")


def seed_demo(*, session: so.Session) -> tuple[DemoUser, ...]:
    """The demo catalogue, its areas' working hours and the demo users on an existing desk (cli.py seed-demo);
    what exists is kept."""
    catalogue.seed_demo_catalogue(session=session)
    calendars.seed_demo(session=session)
    return _create_demo_users(session=session, taken=set())


def create_user(
    *,
    session: so.Session,
    actor: Actor,
    username: str,
    full_name: str,
    email: str,
    role: str,
    password: str,
    area_names: tuple[str, ...] = (),
    must_change_password: bool = False,
    password_hash: str | None = None,
) -> Actor:
    """A new account; only administrators create accounts."""
    require_admin(actor)
    username = normalize_username(username)
    if role not in set(Role):
        raise ValidationFailed("user.role_invalid", field="role")
    check_password_policy(password, username=username, full_name=full_name, email=email)
    if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise ValidationFailed("user.username_taken", field="username", username=username)
    areas = list(session.scalars(sa.select(Area).where(Area.name.in_(area_names))))
    missing = set(area_names) - {a.name for a in areas}
    if missing:
        raise ValidationFailed("user.area_unknown", field="areas", area=", ".join(sorted(missing)))
    user = User(
        username=username,
        full_name=normalize_full_name(full_name),
        email=normalize_email(email),
        role=role,
        # A hash made beforehand keeps bcrypt's work out of the transaction (bulk imports).
        password_hash=password_hash or hash_password(password),
        must_change_password=must_change_password,
        areas=areas,
    )
    session.add(user)
    session.flush()
    return _actor_of(user)


LOCK_AFTER_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)


def login_credentials(*, session: so.Session, username: str | None = None) -> dict:
    """The credentials dict streamlit-authenticator checks: active, unlocked users (all, or just one).

    A locked account is simply absent, so its login fails with the same words as a wrong
    password and nobody learns whether the username exists.
    """
    now = clock.now()
    query = sa.select(User.username, User.full_name, User.email, User.password_hash, User.role).where(
        User.active.is_(True), sa.or_(User.locked_until.is_(None), User.locked_until <= now)
    )
    if username is not None:
        query = query.where(User.username == username.strip().lower())
    usernames = {}
    for row in session.execute(query):
        first, _, last = row.full_name.partition(" ")
        usernames[row.username] = {
            "email": row.email,
            "first_name": first,
            "last_name": last,
            "password": row.password_hash,
            "roles": [row.role],
        }
    return {"usernames": usernames}


def record_failed_login(*, session: so.Session, username: str) -> bool:
    """Count a wrong password in the database (every server process sees it); True when it locks the account.

    Five failures within 15 minutes lock the username for 15 minutes.
    """
    user = session.scalar(sa.select(User).where(User.username == (username or "").strip().lower()).with_for_update())
    if user is None:
        return False
    now = clock.now()
    if user.first_failed_login_at is None or now - user.first_failed_login_at > FAILURE_WINDOW:
        user.failed_logins = 0
        user.first_failed_login_at = now
    user.failed_logins += 1
    locked = user.failed_logins >= LOCK_AFTER_FAILURES
    if locked:
        user.locked_until = now + LOCK_DURATION
        user.failed_logins = 0
        user.first_failed_login_at = None
    session.flush()
    return locked


def record_successful_login(*, session: so.Session, username: str, password: str | None = None) -> None:
    """A good login clears the failure count, and re-hashes the password (just checked by the caller)
    when it is stored at another bcrypt cost than MESA_BCRYPT_ROUNDS."""
    username = username.strip().lower()
    session.execute(
        sa.update(User)
        .where(User.username == username)
        .values(failed_logins=0, first_failed_login_at=None, locked_until=None)
    )
    stored = session.scalar(sa.select(User.password_hash).where(User.username == username))
    if password is not None and stored is not None and needs_rehash(stored):
        session.execute(  # only if no password change came in between
            sa.update(User)
            .where(User.username == username, User.password_hash == stored)
            .values(password_hash=hash_password(password))
        )


# An Actor's fields but its areas, as columns: the live check of every run reads them as plain rows.
_ACTOR_COLUMNS = tuple(getattr(User, f.name) for f in dataclasses.fields(Actor) if f.name not in ("area_ids",))


def load_live_actor(*, session: so.Session, handle: str | None, config: settings.Settings) -> Actor | None:
    """The acting user of this tab's live server-side session, or None when it ended or the user is inactive.
    Two plain statements (the session with the user, then their areas): 0.15 ms where loading the User
    with its areas as objects took 0.65, on every run and every call of a page."""
    row = sessions.live_user(session=session, handle=handle, config=config, columns=_ACTOR_COLUMNS)
    if row is None:
        return None
    areas = session.connection().execute(
        sa.select(advisor_areas.c.area_id).where(advisor_areas.c.user_id == row.id).order_by(advisor_areas.c.area_id)
    )
    return Actor(**{c.key: getattr(row, c.key) for c in _ACTOR_COLUMNS}, area_ids=tuple(areas.scalars()))


def load_actor(*, session: so.Session, username: str | None) -> Actor | None:
    """The acting user for this run, or None when the account no longer exists or is inactive."""
    if not username:
        return None
    user = session.scalar(
        sa.select(User)
        .where(User.username == username.strip().lower(), User.active.is_(True))
        .options(so.selectinload(User.areas))
    )
    return None if user is None else _actor_of(user)


def actor_by_email(*, session: so.Session, address: str) -> Actor | None:
    """The active user with this e-mail address (case-insensitive): who wrote an e-mail to the desk.

    None when nobody has it, or when two people share it (then the e-mail cannot say who wrote it).
    """
    address = (address or "").strip().lower()
    if not address:
        return None
    found = session.scalars(
        sa.select(User)
        .where(sa.func.lower(User.email) == address, User.active.is_(True))
        .options(so.selectinload(User.areas))
        .limit(2)
    ).all()
    return _actor_of(found[0]) if len(found) == 1 else None


def _own_user(session: so.Session, actor: Actor) -> User:
    user = session.get(User, actor.id) if actor.id is not None else None
    if user is None or not user.active:
        raise NotFound("error.user_not_found")
    return user


EMAIL_CONFIRMATION_HOURS = 24
EMAIL_CONFIRMATION_LIFETIME = timedelta(hours=EMAIL_CONFIRMATION_HOURS)
# Mixed into the HMAC so a confirmation link and a session cookie, both signed with the cookie key,
# can never stand in for each other.
_EMAIL_TOKEN_PURPOSE = b"mesa.confirm-email\x00"


def update_profile(*, session: so.Session, actor: Actor, full_name: str, email: str) -> Actor:
    """One's own name (at once) and e-mail (only once the new address confirms it).

    The desk's trusted mail must not go to an address its user does not own: a different address
    waits as pending, a link goes to it and a notice to the address in use, which stays in use
    until the link is followed. Asking for the current address again drops a pending change.
    """
    user = _own_user(session, actor)
    user.full_name = normalize_full_name(full_name)
    wanted = normalize_email(email)
    if wanted == user.email:
        user.pending_email = user.pending_email_requested_at = None
    elif not _pending_request_live(user, wanted):
        user.pending_email = wanted
        user.pending_email_requested_at = clock.now()
        _queue_email_change_mails(session, user)
    session.flush()
    return _actor_of(user)


def _pending_request_live(user: User, email: str) -> bool:
    """The same address is already waiting and its link still works (saving the name again sends nothing)."""
    return (
        user.pending_email == email
        and user.pending_email_requested_at is not None
        and clock.now() - user.pending_email_requested_at <= EMAIL_CONFIRMATION_LIFETIME
    )


def _email_token_mac(payload: str, key: str) -> str:
    raw = hmac.new(key.encode("utf-8"), _EMAIL_TOKEN_PURPOSE + payload.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _email_token(user: User, key: str) -> str:
    """`payload.mac`, URL-safe: the user, the pending address and when it was asked for, signed."""
    fields = [user.id, user.pending_email, user.pending_email_requested_at.isoformat()]
    payload = base64.urlsafe_b64encode(json.dumps(fields).encode("utf-8")).decode("ascii").rstrip("=")
    return f"{payload}.{_email_token_mac(payload, key)}"


def _read_email_token(token: str, key: str) -> tuple[int, str, datetime]:
    """The signed fields of a confirmation link, or ValidationFailed for anything we did not sign."""
    payload, _, mac = (token or "").strip().partition(".")
    try:
        expected = _email_token_mac(payload, key).encode("ascii")
        if not payload or len(payload) > 2000 or not hmac.compare_digest(mac.encode("ascii"), expected):
            raise ValueError("bad signature")
        user_id, email, requested_at = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return int(user_id), str(email), datetime.fromisoformat(requested_at)
    except (ValueError, TypeError, UnicodeError):
        raise ValidationFailed("email_change.invalid") from None


def _queue_email_change_mails(session: so.Session, user: User) -> None:
    """The link to the new address and a notice to the one in use, in the user's language."""
    config = settings.current()
    lang = user.language
    link = screens.url(
        "mi_cuenta", base=config.app_url, confirmar_correo=_email_token(user, settings.cookie_key(config))
    )
    details = {
        "name": user.full_name,
        "new": user.pending_email,
        "org": config.org_name,
        "hours": EMAIL_CONFIRMATION_HOURS,
    }
    for kind, to_address, link_url in (
        ("email_change", user.pending_email, link),
        ("email_change_notice", user.email, screens.url("mi_cuenta", base=config.app_url)),
    ):
        context = {
            "org_name": config.org_name,
            "subject": i18n.t(f"mail.{kind}.subject", lang, **details),
            "heading": i18n.t(f"mail.{kind}.heading", lang, **details),
            "paragraphs": [
                i18n.t(f"mail.{kind}.intro", lang, **details),
                i18n.t(f"mail.{kind}.outro", lang, **details),
            ],
            "fields": [],
            "quote": None,
            "quote_label": "",
            "link_url": link_url,
            "link_label": i18n.t(f"mail.{kind}.link", lang),
            "footer": i18n.t("mail.footer", lang, org=config.org_name),
        }
        outbox.enqueue_mail(session=session, to_address=to_address, subject=context["subject"], context=context)


def confirm_email(*, session: so.Session, actor: Actor, token: str) -> Actor:
    """Follow the link sent to a new address: it becomes the user's e-mail.

    Only the user who asked, within EMAIL_CONFIRMATION_LIFETIME, and only for the request pending now:
    a link from an earlier request, or one already followed, is void.
    """
    user_id, email, requested_at = _read_email_token(token, settings.cookie_key(settings.current()))
    user = _own_user(session, actor)
    if user_id != user.id:
        raise PermissionDenied("email_change.not_yours")
    if clock.now() - requested_at > EMAIL_CONFIRMATION_LIFETIME:
        raise ValidationFailed("email_change.expired", hours=EMAIL_CONFIRMATION_HOURS)
    if (user.pending_email, user.pending_email_requested_at) != (email, requested_at):
        raise ValidationFailed("email_change.superseded")
    user.email = email
    user.pending_email = user.pending_email_requested_at = None
    session.flush()
    return _actor_of(user)


def change_password(
    *,
    session: so.Session,
    actor: Actor,
    current_password: str,
    new_password: str,
    new_password_repeat: str,
    keep_session: str | None = None,
) -> None:
    """Change one's own password: the current one is required, the new one follows the policy.

    Every other session of the account ends; the one whose handle is `keep_session` (the browser
    tab that changed it) goes on.
    """
    user = _own_user(session, actor)
    if not current_password or not verify_password(current_password, user.password_hash):
        raise ValidationFailed("password.current_wrong", field="current_password")
    if new_password != new_password_repeat:
        raise ValidationFailed("password.mismatch", field="new_password_repeat")
    check_password_policy(
        new_password, username=user.username, full_name=user.full_name, email=user.email, field="new_password"
    )
    if verify_password(new_password, user.password_hash):
        raise ValidationFailed("password.same_as_current", field="new_password")
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    user.password_changed_at = clock.now()
    sessions.end_all_for_user(session=session, user_id=user.id, reason="password", keep=keep_session)
    session.flush()


def set_theme(*, session: so.Session, actor: Actor, theme: str) -> Actor:
    if theme not in set(Theme):
        raise ValidationFailed("account.theme_invalid", field="theme")
    user = _own_user(session, actor)
    user.theme = theme
    session.flush()
    return _actor_of(user)


def set_language(*, session: so.Session, actor: Actor, language: str) -> Actor:
    """The language the desk speaks to this user (pages and e-mails)."""
    if language not in LANGUAGES:
        raise ValidationFailed("account.language_invalid", field="language")
    user = _own_user(session, actor)
    user.language = language
    session.flush()
    return _actor_of(user)


# --- Usuarios (admins only) ----------------------------------------------------------------------

PAGE_SIZE = 50
CSV_COLUMNS = ("usuario", "nombre", "correo", "rol", "areas")
ROLE_NAMES = {
    "solicitante": Role.EMPLOYEE,
    "asesor": Role.ADVISOR,
    "coordinador": Role.MANAGER,
    "administrador": Role.ADMIN,
    **{r.value: r for r in Role},
}


@dataclass(frozen=True)
class UserRow:
    username: str
    full_name: str
    email: str
    role: str
    active: bool
    locked: bool
    must_change_password: bool
    areas: tuple[str, ...]


UserPage = Page[UserRow]


def list_users(
    *,
    session: so.Session,
    actor: Actor,
    text: str = "",
    role: str | None = None,
    area_id: int | None = None,
    active: bool | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> UserPage:
    require_admin(actor)
    where = []
    for word in text_module.clean(text).split():
        where.append(sa.or_(contains(User.username, word), contains(User.full_name, word), contains(User.email, word)))
    if role:
        where.append(User.role == role)
    if active is not None:
        where.append(User.active.is_(active))
    if area_id:
        where.append(User.id.in_(sa.select(advisor_areas.c.user_id).where(advisor_areas.c.area_id == area_id)))
    total = session.scalar(sa.select(sa.func.count()).select_from(User).where(*where))
    page = clamp(page, total, page_size)
    users = session.scalars(
        sa.select(User)
        .where(*where)
        .order_by(User.username)
        .limit(page_size)
        .offset((page - 1) * page_size)
        .options(so.selectinload(User.areas))
    ).all()
    now = clock.now()
    rows = tuple(
        UserRow(
            u.username,
            u.full_name,
            u.email,
            u.role,
            u.active,
            u.locked_until is not None and u.locked_until > now,
            u.must_change_password,
            tuple(a.name for a in u.areas),
        )
        for u in users
    )
    return UserPage(rows, total, page, page_size)


def _user(session: so.Session, username: str) -> User:
    user = session.scalar(
        sa.select(User).where(User.username == (username or "").strip().lower()).options(so.selectinload(User.areas))
    )
    if user is None:
        raise NotFound("error.user_not_found")
    return user


def _snapshot(user: User) -> dict:
    return {
        "full_name": user.full_name,
        "email": user.email,
        "role": user.role,
        "active": user.active,
        "areas": sorted(a.name for a in user.areas),
    }


def add_user(
    *,
    session: so.Session,
    actor: Actor,
    username: str,
    full_name: str,
    email: str,
    role: str,
    area_names: tuple[str, ...] = (),
    password: str | None = None,
    password_hash: str | None = None,
) -> str:
    """Create a user with a temporary password (typed or generated); returns that password."""
    require_admin(actor)
    password = password or temporary_password()
    created = create_user(
        session=session,
        actor=actor,
        username=username,
        full_name=full_name,
        email=email,
        role=role,
        password=password,
        area_names=tuple(area_names) if role == Role.ADVISOR else (),
        must_change_password=True,
        password_hash=password_hash,
    )
    audit(
        session,
        actor,
        "user.create",
        created.username,
        after={
            "full_name": created.full_name,
            "email": created.email,
            "role": created.role,
            "areas": sorted(area_names),
        },
    )
    return password


def update_user(
    *,
    session: so.Session,
    actor: Actor,
    username: str,
    full_name: str,
    email: str,
    role: str,
    area_names: tuple[str, ...] = (),
) -> None:
    require_admin(actor)
    user = _user(session, username)
    if role not in set(Role):
        raise ValidationFailed("user.role_invalid", field="role")
    if user.id == actor.id and role != Role.ADMIN:
        raise ValidationFailed("user.cannot_demote_self")
    before = _snapshot(user)
    user.full_name = normalize_full_name(full_name)
    user.email = normalize_email(email)
    if user.email != before["email"]:  # the administrator's address wins over a change still unconfirmed
        user.pending_email = user.pending_email_requested_at = None
    user.role = role
    areas = list(session.scalars(sa.select(Area).where(Area.name.in_(area_names)))) if role == Role.ADVISOR else []
    user.areas = areas
    session.flush()
    audit(session, actor, "user.update", user.username, before=before, after=_snapshot(user))


def set_user_active(*, session: so.Session, actor: Actor, username: str, active: bool) -> None:
    """Deactivate or reactivate (users are never deleted: their cases keep them)."""
    require_admin(actor)
    user = _user(session, username)
    if user.id == actor.id and not active:
        raise ValidationFailed("user.cannot_deactivate_self")
    if user.active == active:
        return
    user.active = active
    if not active:
        sessions.end_all_for_user(session=session, user_id=user.id, reason="deactivated")
    audit(
        session,
        actor,
        "user.activate" if active else "user.deactivate",
        user.username,
        before={"active": not active},
        after={"active": active},
    )


def reset_password(*, session: so.Session, actor: Actor, username: str) -> str:
    """A new temporary password, to be changed at the next login; returns it (shown once)."""
    require_admin(actor)
    user = _user(session, username)
    password = temporary_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.password_changed_at = clock.now()
    sessions.end_all_for_user(session=session, user_id=user.id, reason="password")
    user.locked_until = None
    user.failed_logins = 0
    audit(session, actor, "user.reset_password", user.username)
    return password


def end_user_sessions(*, session: so.Session, actor: Actor, username: str) -> int:
    """Cerrar sus sesiones: every open session of the user ends (a lost phone, a shared computer)."""
    require_admin(actor)
    user = _user(session, username)
    ended = sessions.end_all_for_user(session=session, user_id=user.id, reason="admin")
    audit(session, actor, "user.end_sessions", user.username, after={"sessions": ended})
    return ended


def unlock(*, session: so.Session, actor: Actor, username: str) -> None:
    require_admin(actor)
    user = _user(session, username)
    before = {"locked_until": user.locked_until.isoformat() if user.locked_until else None}
    user.locked_until = None
    user.failed_logins = 0
    user.first_failed_login_at = None
    audit(session, actor, "user.unlock", user.username, before=before, after={"locked_until": None})


@dataclass
class ImportRow:
    line: int
    username: str
    full_name: str
    email: str
    role: str
    areas: tuple[str, ...]
    errors: list[tuple[str, dict]] = field(default_factory=list)


def preview_import(*, session: so.Session, actor: Actor, content: bytes) -> list[ImportRow]:
    """Read a CSV (usuario,nombre,correo,rol,areas) and say, row by row, what is wrong; saves nothing."""
    require_admin(actor)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252")
    reader = csv.DictReader(io.StringIO(text), delimiter=";" if text.count(";") > text.count(",") else ",")
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in CSV_COLUMNS[:4] if c not in header]
    if missing:
        raise ValidationFailed("import.missing_columns", columns=", ".join(missing))
    known_areas = set(session.scalars(sa.select(Area.name)))
    taken = set(session.scalars(sa.select(User.username)))
    rows, seen = [], set()
    for line, raw in enumerate(reader, start=2):
        record = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        areas = tuple(a.strip() for a in record.get("areas", "").split("|") if a.strip())
        row = ImportRow(
            line,
            record.get("usuario", ""),
            record.get("nombre", ""),
            record.get("correo", ""),
            record.get("rol", ""),
            areas,
        )
        try:
            row.username = normalize_username(row.username)
            if row.username in taken or row.username in seen:
                row.errors.append(("user.username_taken", {"username": row.username}))
            seen.add(row.username)
        except ServiceError as exc:
            row.errors.append((exc.key, exc.params))
        for check in (normalize_full_name, normalize_email):
            try:
                check(row.full_name if check is normalize_full_name else row.email)
            except ServiceError as exc:
                row.errors.append((exc.key, exc.params))
        role = ROLE_NAMES.get(row.role.lower())
        if role is None:
            row.errors.append(("user.role_invalid", {}))
        else:
            row.role = role
        unknown = [a for a in areas if a not in known_areas]
        if unknown:
            row.errors.append(("user.area_unknown", {"area": ", ".join(unknown)}))
        rows.append(row)
    if not rows:
        raise ValidationFailed("import.empty")
    return rows


def temporary_passwords(count: int, progress: Callable[[int, int], None] | None = None) -> list[tuple[str, str]]:
    """(password, bcrypt hash) pairs made before the import's transaction: hashing ~0.25 s each must not
    hold SQLite's write lock while other people register cases."""
    pairs = []
    for index in range(1, count + 1):
        password = temporary_password()
        pairs.append((password, hash_password(password)))
        if progress:
            progress(index, count)
    return pairs


def confirm_import(
    *,
    session: so.Session,
    actor: Actor,
    content: bytes,
    passwords: list[tuple[str, str]] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[tuple[str, str]]:
    """Create every row or none (one transaction); returns (username, temporary password) pairs."""
    rows = preview_import(session=session, actor=actor, content=content)
    if any(r.errors for r in rows):
        raise ValidationFailed("import.has_errors", count=sum(1 for r in rows if r.errors))
    if passwords is None or len(passwords) < len(rows):
        passwords = temporary_passwords(len(rows))
    created = []
    for index, (row, (password, hashed)) in enumerate(zip(rows, passwords, strict=False), start=1):
        add_user(
            session=session,
            actor=actor,
            username=row.username,
            full_name=row.full_name,
            email=row.email,
            role=row.role,
            area_names=row.areas,
            password=password,
            password_hash=hashed,
        )
        created.append((row.username, password))
        if progress:
            progress(index, len(rows))
    return created
