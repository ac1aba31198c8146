"""Administración: users, catalogue, SLAs, e-mail outbox and the audit of every change (admins only)."""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import Area, AuditEntry, Case, OutboxEmail, ServiceOption, SlaPolicy, User, advisor_areas
from models.enums import AssignmentMode, OutboxStatus, Role, Urgency
from services import clock, outbox, sessions
from services import text as text_module
from services.db import contains
from services.errors import NotFound, PermissionDenied, ServiceError, ValidationFailed
from services.paging import Page, clamp
from services.security import hash_password, normalize_email, normalize_full_name, normalize_username
from services.users import Actor, create_user

PAGE_SIZE = 50
CSV_COLUMNS = ("usuario", "nombre", "correo", "rol", "areas")
ROLE_NAMES = {"solicitante": Role.EMPLOYEE, "asesor": Role.ADVISOR, "coordinador": Role.MANAGER,
              "administrador": Role.ADMIN, **{r.value: r for r in Role}}


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("error.forbidden")


def audit(session: so.Session, actor: Actor, action: str, target: str, before=None, after=None) -> None:
    """One line of the administration audit: who changed what, before and after."""
    session.add(AuditEntry(actor_id=actor.id, action=action, target=target[:120], before=before, after=after,
                           created_at=clock.now()))


def temporary_password() -> str:
    """A random temporary password (shown once; the user must change it at the next login)."""
    return secrets.token_urlsafe(9)


# --- Users ---------------------------------------------------------------------------------------


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


def list_users(*, session: so.Session, actor: Actor, text: str = "", role: str | None = None,
               area_id: int | None = None, active: bool | None = None, page: int = 1,
               page_size: int = PAGE_SIZE) -> UserPage:
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
    users = session.scalars(sa.select(User).where(*where).order_by(User.username).limit(page_size)
                            .offset((page - 1) * page_size).options(so.selectinload(User.areas))).all()
    now = clock.now()
    rows = tuple(UserRow(u.username, u.full_name, u.email, u.role, u.active,
                         u.locked_until is not None and u.locked_until > now, u.must_change_password,
                         tuple(a.name for a in u.areas)) for u in users)
    return UserPage(rows, total, page, page_size)


def _user(session: so.Session, username: str) -> User:
    user = session.scalar(sa.select(User).where(User.username == (username or "").strip().lower())
                          .options(so.selectinload(User.areas)))
    if user is None:
        raise NotFound("error.user_not_found")
    return user


def _snapshot(user: User) -> dict:
    return {"full_name": user.full_name, "email": user.email, "role": user.role, "active": user.active,
            "areas": sorted(a.name for a in user.areas)}


def add_user(*, session: so.Session, actor: Actor, username: str, full_name: str, email: str, role: str,
             area_names: tuple[str, ...] = (), password: str | None = None, password_hash: str | None = None) -> str:
    """Create a user with a temporary password (typed or generated); returns that password."""
    require_admin(actor)
    password = password or temporary_password()
    created = create_user(session=session, actor=actor, username=username, full_name=full_name, email=email,
                          role=role, password=password, area_names=tuple(area_names) if role == Role.ADVISOR else (),
                          must_change_password=True, password_hash=password_hash)
    audit(session, actor, "user.create", created.username, after={"full_name": created.full_name,
                                                                  "email": created.email, "role": created.role,
                                                                  "areas": sorted(area_names)})
    return password


def update_user(*, session: so.Session, actor: Actor, username: str, full_name: str, email: str, role: str,
                area_names: tuple[str, ...] = ()) -> None:
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
    audit(session, actor, "user.activate" if active else "user.deactivate", user.username,
          before={"active": not active}, after={"active": active})


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


def user_has_cases(session: so.Session, username: str) -> bool:
    user = _user(session, username)
    return session.scalar(sa.select(sa.func.count()).select_from(Case).where(
        sa.or_(Case.requester_id == user.id, Case.assignee_id == user.id))) > 0


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
        row = ImportRow(line, record.get("usuario", ""), record.get("nombre", ""), record.get("correo", ""),
                        record.get("rol", ""), areas)
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


def confirm_import(*, session: so.Session, actor: Actor, content: bytes,
                   passwords: list[tuple[str, str]] | None = None,
                   progress: Callable[[int, int], None] | None = None) -> list[tuple[str, str]]:
    """Create every row or none (one transaction); returns (username, temporary password) pairs."""
    rows = preview_import(session=session, actor=actor, content=content)
    if any(r.errors for r in rows):
        raise ValidationFailed("import.has_errors", count=sum(1 for r in rows if r.errors))
    if passwords is None or len(passwords) < len(rows):
        passwords = temporary_passwords(len(rows))
    created = []
    for index, (row, (password, hashed)) in enumerate(zip(rows, passwords, strict=False), start=1):
        add_user(session=session, actor=actor, username=row.username, full_name=row.full_name, email=row.email,
                 role=row.role, area_names=row.areas, password=password, password_hash=hashed)
        created.append((row.username, password))
        if progress:
            progress(index, len(rows))
    return created


# --- Catalogue and SLAs --------------------------------------------------------------------------


@dataclass(frozen=True)
class OptionRow:
    id: int
    name: str
    description: str
    active: bool
    position: int
    cases: int


@dataclass(frozen=True)
class AreaDetail:
    id: int
    name: str
    assignment_mode: str
    advisors: tuple[str, ...]
    options: tuple[OptionRow, ...]
    sla: dict[str, int]


def area_details(*, session: so.Session, actor: Actor) -> list[AreaDetail]:
    require_admin(actor)
    counts = dict(session.execute(sa.select(Case.option_id, sa.func.count()).group_by(Case.option_id)).all())
    result = []
    for area in session.scalars(sa.select(Area).order_by(Area.position, Area.name)
                                .options(so.selectinload(Area.options), so.selectinload(Area.advisors))):
        sla = dict(session.execute(sa.select(SlaPolicy.urgency, SlaPolicy.hours).where(SlaPolicy.area_id == area.id)).all())
        result.append(AreaDetail(
            area.id, area.name, area.assignment_mode, tuple(sorted(u.username for u in area.advisors)),
            tuple(OptionRow(o.id, o.name, o.description, o.active, o.position, counts.get(o.id, 0))
                  for o in sorted(area.options, key=lambda o: (o.position, o.name))),
            sla,
        ))
    return result


def _area(session: so.Session, area_id: int) -> Area:
    area = session.get(Area, area_id)
    if area is None:
        raise NotFound("admin.area_not_found")
    return area


def _option_name(raw: str) -> str:
    name = " ".join((raw or "").replace("\x00", "").split())
    if not name:
        raise ValidationFailed("admin.option_name_required", field="name")
    if len(name) > 80:
        raise ValidationFailed("admin.option_name_too_long", field="name", max=80)
    return name


def add_option(*, session: so.Session, actor: Actor, area_id: int, name: str, description: str = "") -> int:
    require_admin(actor)
    area = _area(session, area_id)
    name = _option_name(name)
    if session.scalar(sa.select(ServiceOption.id).where(ServiceOption.area_id == area.id,
                                                        sa.func.lower(ServiceOption.name) == name.lower())):
        raise ValidationFailed("admin.option_exists", field="name", name=name)
    position = (session.scalar(sa.select(sa.func.max(ServiceOption.position))
                               .where(ServiceOption.area_id == area.id)) or 0) + 1
    option = ServiceOption(area_id=area.id, name=name, description=text_module.clean(description)[:300],
                           position=position)
    session.add(option)
    session.flush()
    audit(session, actor, "option.create", f"{area.name} · {name}", after={"description": option.description})
    return option.id


def update_option(*, session: so.Session, actor: Actor, option_id: int, name: str, description: str,
                  active: bool) -> None:
    """Rename, describe, deactivate or reactivate an option (a deactivated one keeps its cases)."""
    require_admin(actor)
    option = session.get(ServiceOption, option_id)
    if option is None:
        raise NotFound("admin.option_not_found")
    name = _option_name(name)
    clash = session.scalar(sa.select(ServiceOption.id).where(
        ServiceOption.area_id == option.area_id, sa.func.lower(ServiceOption.name) == name.lower(),
        ServiceOption.id != option.id))
    if clash:
        raise ValidationFailed("admin.option_exists", field="name", name=name)
    before = {"name": option.name, "description": option.description, "active": option.active}
    option.name, option.description, option.active = name, text_module.clean(description)[:300], active
    after = {"name": option.name, "description": option.description, "active": option.active}
    if before != after:
        audit(session, actor, "option.update", f"{option.area.name} · {name}", before=before, after=after)


def move_option(*, session: so.Session, actor: Actor, option_id: int, offset: int) -> None:
    """Move an option up (-1) or down (+1) in its area's list."""
    require_admin(actor)
    option = session.get(ServiceOption, option_id)
    if option is None:
        raise NotFound("admin.option_not_found")
    siblings = sorted(session.scalars(sa.select(ServiceOption).where(ServiceOption.area_id == option.area_id)),
                      key=lambda o: (o.position, o.name))
    index = siblings.index(option)
    target = index + offset
    if not 0 <= target < len(siblings):
        return
    siblings[index], siblings[target] = siblings[target], siblings[index]
    for position, sibling in enumerate(siblings):
        sibling.position = position
    audit(session, actor, "option.move", f"{option.area.name} · {option.name}", after={"position": target})


def set_assignment_mode(*, session: so.Session, actor: Actor, area_id: int, mode: str) -> None:
    require_admin(actor)
    if mode not in set(AssignmentMode):
        raise ValidationFailed("admin.mode_invalid", field="mode")
    area = _area(session, area_id)
    if area.assignment_mode != mode:
        audit(session, actor, "area.assignment_mode", area.name, before={"mode": area.assignment_mode},
              after={"mode": mode})
        area.assignment_mode = mode


def set_area_advisors(*, session: so.Session, actor: Actor, area_id: int, usernames: list[str]) -> None:
    require_admin(actor)
    area = _area(session, area_id)
    chosen = list(session.scalars(sa.select(User).where(User.username.in_(usernames))))
    if any(u.role != Role.ADVISOR for u in chosen):
        raise ValidationFailed("admin.only_advisors", field="advisors")
    before = sorted(u.username for u in area.advisors)
    area.advisors = chosen
    after = sorted(u.username for u in chosen)
    if before != after:
        audit(session, actor, "area.advisors", area.name, before={"advisors": before}, after={"advisors": after})


def set_sla(*, session: so.Session, actor: Actor, area_id: int, hours: dict[str, int]) -> None:
    """Due hours per urgency for one area (new cases use them; open ones keep their due time)."""
    require_admin(actor)
    area = _area(session, area_id)
    for urgency, value in hours.items():
        if urgency not in set(Urgency):
            raise ValidationFailed("case.urgency_invalid", field="urgency")
        if not isinstance(value, int) or not 1 <= value <= 24 * 90:
            raise ValidationFailed("admin.sla_hours", field="hours", max=24 * 90)
    before = dict(session.execute(sa.select(SlaPolicy.urgency, SlaPolicy.hours).where(SlaPolicy.area_id == area.id)).all())
    for urgency, value in hours.items():
        row = session.get(SlaPolicy, (area.id, urgency))
        if row is None:
            session.add(SlaPolicy(area_id=area.id, urgency=urgency, hours=value, updated_at=clock.now()))
        else:
            row.hours, row.updated_at = value, clock.now()
    if before != {**before, **hours}:
        audit(session, actor, "area.sla", area.name, before=before, after={**before, **hours})


# --- E-mail and audit ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OutboxRow:
    id: int
    to_address: str
    subject: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


def list_outbox(*, session: so.Session, actor: Actor, status: str | None = None, limit: int = 100) -> list[OutboxRow]:
    require_admin(actor)
    query = sa.select(OutboxEmail).order_by(OutboxEmail.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxEmail.status == status)
    return [OutboxRow(r.id, r.to_address, r.subject, r.status, r.attempts, r.next_attempt_at, r.last_error,
                      r.created_at, r.sent_at) for r in session.scalars(query)]


def outbox_counts(*, session: so.Session, actor: Actor) -> dict[str, int]:
    require_admin(actor)
    counts = dict(session.execute(sa.select(OutboxEmail.status, sa.func.count()).group_by(OutboxEmail.status)).all())
    return {s.value: counts.get(s.value, 0) for s in OutboxStatus}


def retry_email(*, session: so.Session, actor: Actor, email_id: int) -> None:
    require_admin(actor)
    outbox.retry(session=session, email_id=email_id)
    audit(session, actor, "outbox.retry", f"correo {email_id}")


def queue_test_email(*, session: so.Session, actor: Actor, to_address: str, org_name: str) -> None:
    """A test e-mail through the same outbox as every other e-mail."""
    require_admin(actor)
    address = normalize_email(to_address)
    outbox.enqueue(session=session, to_address=address, subject=f"[{org_name}] Correo de prueba de la Mesa de Servicio",
                   body_text="Este es un correo de prueba de la Mesa de Servicio. Si lo recibe, el correo funciona.",
                   body_html="<p>Este es un correo de prueba de la <strong>Mesa de Servicio</strong>. "
                             "Si lo recibe, el correo funciona.</p>")
    audit(session, actor, "outbox.test", address)


@dataclass(frozen=True)
class AuditRow:
    created_at: datetime
    actor: str
    action: str
    target: str
    before: dict | None
    after: dict | None


def list_audit(*, session: so.Session, actor: Actor, limit: int = 200) -> list[AuditRow]:
    require_admin(actor)
    rows = session.execute(
        sa.select(AuditEntry, User.full_name).outerjoin(User, User.id == AuditEntry.actor_id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(limit)
    ).all()
    return [AuditRow(e.created_at, name or "Sistema", e.action, e.target, e.before, e.after) for e, name in rows]
