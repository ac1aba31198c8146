"""Cases: register one, follow one's own, talk on it and add files, always within the user's rights.

A requester sees only their own cases; asking for any other number, existing or not,
gets the same "Caso no encontrado". Internal notes never leave the staff's side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import (
    Area,
    Attachment,
    Case,
    CaseEvent,
    CaseMessage,
    Counter,
    ServiceOption,
    User,
)
from models.enums import Status, Urgency
from services import clock, notifications, text, workflow
from services.db import contains, on_rollback
from services.errors import NotFound, PermissionDenied, ValidationFailed
from services.paging import Page, clamp
from services.storage import MAX_FILES_PER_CASE, CheckedFile, Storage, check_file
from services.users import Actor

MAX_SUBJECT = 200
MAX_DESCRIPTION = 20_000
MAX_MESSAGE = 20_000
URGENCIES = (Urgency.VERY_LOW, Urgency.LOW, Urgency.MEDIUM, Urgency.HIGH, Urgency.VERY_HIGH)
DEFAULT_URGENCY = Urgency.MEDIUM
PAGE_SIZE = 20


@dataclass(frozen=True)
class NewFile:
    """A file the user picked, with the description they gave it."""

    name: str
    data: bytes
    description: str = ""


@dataclass(frozen=True)
class Uploads:
    """Where files go and how big they may be (from the settings)."""

    storage: Storage
    max_mb: int


@dataclass(frozen=True)
class AttachmentView:
    id: int
    name: str
    description: str
    size_bytes: int
    content_type: str
    created_at: datetime
    uploaded_by: str


@dataclass(frozen=True)
class MessageView:
    id: int
    author: str
    author_is_requester: bool
    body: str
    internal: bool
    created_at: datetime
    attachments: tuple[AttachmentView, ...]


@dataclass(frozen=True)
class EventView:
    kind: str
    actor: str | None
    detail: dict
    internal: bool
    created_at: datetime


@dataclass(frozen=True)
class CaseRow:
    """One line of a list of cases."""

    number: int
    subject: str
    status: str
    urgency: str
    area: str
    option: str
    created_at: datetime
    last_activity_at: datetime


@dataclass(frozen=True)
class CaseDetail:
    number: int
    area: str
    option: str
    subject: str
    description: str
    urgency: str
    status: str
    status_changed_at: datetime
    created_at: datetime
    last_activity_at: datetime
    due_at: datetime | None
    first_response_at: datetime | None
    requester: str
    assignee: str | None
    solution: str | None
    reopen_count: int
    version: int
    attachments: tuple[AttachmentView, ...]
    messages: tuple[MessageView, ...]
    events: tuple[EventView, ...]


CasePage = Page[CaseRow]


def _clean_text(value: str | None) -> str:
    return text.clean(value)


def _check_files(files: Sequence[NewFile], uploads: Uploads, *, already: int = 0) -> list[CheckedFile]:
    if already + len(files) > MAX_FILES_PER_CASE:
        raise ValidationFailed("attachment.too_many", field="attachments", max=MAX_FILES_PER_CASE)
    return [check_file(name=f.name, data=f.data, description=f.description, max_mb=uploads.max_mb) for f in files]


def _store_files(
    session,
    case: Case,
    checked: Sequence[CheckedFile],
    uploads: Uploads,
    actor: Actor,
    message: CaseMessage | None = None,
    internal: bool = False,
) -> list[Attachment]:
    """Write the files before the commit; the unit of work removes new ones if it does not commit."""
    rows = []
    for file in checked:
        if uploads.storage.save(file):
            on_rollback(session, lambda h=file.content_hash: uploads.storage.discard(h))
        row = Attachment(
            case_id=case.id,
            message_id=message.id if message else None,
            uploaded_by_id=actor.id,
            original_name=file.name,
            description=file.description,
            content_type=file.content_type,
            size_bytes=file.size_bytes,
            content_hash=file.content_hash,
            internal=internal,
        )
        session.add(row)
        rows.append(row)
    return rows


def _next_number(session: so.Session) -> int:
    # A row lock on the counter (or SQLite's write lock, taken at BEGIN IMMEDIATE) hands out
    # numbers one at a time: unique and sequential however many people send at once.
    return session.execute(
        sa.update(Counter).where(Counter.name == "case_number").values(value=Counter.value + 1).returning(Counter.value)
    ).scalar_one()


def register_case(
    *,
    session: so.Session,
    actor: Actor,
    uploads: Uploads,
    option_id: int,
    subject: str,
    description: str,
    urgency: str = DEFAULT_URGENCY,
    files: Sequence[NewFile] = (),
    request_token: str | None = None,
) -> CaseDetail:
    """Register a case with its files and its first timeline event, all in the caller's transaction.

    The same request_token (one per form shown) returns the case already registered, so a
    double click or a rerun never makes two.
    """
    if actor.id is None:
        raise PermissionDenied("error.forbidden")
    if request_token:
        existing = session.scalar(
            sa.select(Case).where(Case.requester_id == actor.id, Case.request_token == request_token)
        )
        if existing is not None:
            return _detail(session, existing, actor)
    subject, description = _clean_text(subject), _clean_text(description)
    if not subject and not description:
        raise ValidationFailed("case.subject_and_description_required", field="subject")
    if not subject:
        raise ValidationFailed("case.subject_required", field="subject")
    if not description:
        raise ValidationFailed("case.description_required", field="description")
    if len(subject) > MAX_SUBJECT:
        raise ValidationFailed("case.subject_too_long", field="subject", max=MAX_SUBJECT)
    if len(description) > MAX_DESCRIPTION:
        raise ValidationFailed("case.description_too_long", field="description", max=MAX_DESCRIPTION)
    if urgency not in set(Urgency):
        raise ValidationFailed("case.urgency_invalid", field="urgency")
    option = session.get(ServiceOption, option_id)
    if option is None or not option.active or not option.area.active:
        raise ValidationFailed("case.option_invalid", field="option")
    checked = _check_files(files, uploads)

    now = clock.now()
    case = Case(
        number=_next_number(session),
        area_id=option.area_id,
        option_id=option.id,
        requester_id=actor.id,
        subject=subject,
        description=description,
        urgency=urgency,
        status=Status.NEW,
        created_at=now,
        status_changed_at=now,
        last_activity_at=now,
        due_at=now + timedelta(hours=workflow.sla_hours(session, option.area_id, urgency)),
        request_token=request_token,
    )
    session.add(case)
    session.flush()
    _store_files(session, case, checked, uploads, actor)
    session.add(
        CaseEvent(
            case_id=case.id, actor_id=actor.id, kind="registered", created_at=now, detail={"attachments": len(checked)}
        )
    )
    session.flush()
    notifications.notify(session=session, kind="case_registered", case=case, recipient_ids=[actor.id],
                         actor=actor, quote=description, tell_actor=True)
    if workflow.auto_assign(session, case, now) is None:
        # Nobody took it automatically: it waits in the area's queue, and its advisors are told.
        notifications.notify(session=session, kind="case_queued", case=case, actor=actor, quote=description,
                             recipient_ids=notifications.area_advisors(session, case.area_id),
                             extra={"area": option.area.name})
    session.flush()
    return _detail(session, case, actor)


def _visible_case(session: so.Session, actor: Actor, number: int | str | None) -> Case:
    """The case if the actor may see it; otherwise the same NotFound as for a number that doesn't exist."""
    wanted = workflow.case_number(number)
    case = session.scalar(sa.select(Case).where(Case.number == wanted))
    if case is None or (case.requester_id != actor.id and not workflow.may_view(actor, case)):
        raise NotFound("case.not_found")
    return case


def _staff_view(actor: Actor, case: Case) -> bool:
    return case.requester_id != actor.id and workflow.may_view(actor, case)


def get_case(*, session: so.Session, actor: Actor, number: int | str) -> CaseDetail:
    """One case as the actor may see it (the requester never sees internal notes)."""
    return _detail(session, _visible_case(session, actor, number), actor)


def _detail(session: so.Session, case: Case, actor: Actor) -> CaseDetail:
    staff = _staff_view(actor, case)
    attachment_query = sa.select(Attachment).where(Attachment.case_id == case.id)
    message_query = sa.select(CaseMessage).where(CaseMessage.case_id == case.id)
    event_query = sa.select(CaseEvent).where(CaseEvent.case_id == case.id)
    if not staff:
        attachment_query = attachment_query.where(Attachment.internal.is_(False))
        message_query = message_query.where(CaseMessage.internal.is_(False))
        event_query = event_query.where(CaseEvent.internal.is_(False))
    attachment_rows = session.scalars(attachment_query.order_by(Attachment.created_at, Attachment.id)).all()
    message_rows = session.scalars(message_query.order_by(CaseMessage.created_at, CaseMessage.id)).all()
    event_rows = session.scalars(event_query.order_by(CaseEvent.created_at, CaseEvent.id)).all()
    people = {case.requester_id, case.assignee_id}
    people |= {a.uploaded_by_id for a in attachment_rows} | {m.author_id for m in message_rows}
    people |= {e.actor_id for e in event_rows}
    people.discard(None)
    names = dict(session.execute(sa.select(User.id, User.full_name).where(User.id.in_(people))).all())
    attachments = [
        (
            row.message_id,
            AttachmentView(
                row.id,
                row.original_name,
                row.description,
                row.size_bytes,
                row.content_type,
                row.created_at,
                names.get(row.uploaded_by_id, ""),
            ),
        )
        for row in attachment_rows
    ]
    messages = tuple(
        MessageView(
            m.id,
            names.get(m.author_id, ""),
            m.author_id == case.requester_id,
            m.body,
            m.internal,
            m.created_at,
            tuple(a for mid, a in attachments if mid == m.id),
        )
        for m in message_rows
    )
    events = tuple(
        EventView(e.kind, names.get(e.actor_id) if e.actor_id else None, e.detail or {}, e.internal, e.created_at)
        for e in event_rows
    )
    area_name, option_name = session.execute(
        sa.select(Area.name, ServiceOption.name)
        .join(ServiceOption, ServiceOption.area_id == Area.id)
        .where(ServiceOption.id == case.option_id)
    ).one()
    return CaseDetail(
        number=case.number,
        area=area_name,
        option=option_name,
        subject=case.subject,
        description=case.description,
        urgency=case.urgency,
        status=case.status,
        status_changed_at=case.status_changed_at,
        created_at=case.created_at,
        last_activity_at=case.last_activity_at,
        due_at=case.due_at,
        first_response_at=case.first_response_at,
        requester=names.get(case.requester_id, ""),
        assignee=names.get(case.assignee_id) if case.assignee_id else None,
        solution=case.solution,
        reopen_count=case.reopen_count,
        version=case.version,
        attachments=tuple(a for _, a in attachments),
        messages=messages,
        events=events,
    )


def list_my_cases(
    *,
    session: so.Session,
    actor: Actor,
    include_closed: bool = False,
    search: str = "",
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> CasePage:
    """The actor's own cases, newest activity first, one page at a time (paged in SQL)."""
    where = [Case.requester_id == actor.id]
    if not include_closed:
        where.append(Case.status != Status.CLOSED)
    words = _clean_text(search).lstrip("#")
    if words:
        matches = [contains(Case.subject, word) for word in words.split()]
        if words.isdecimal() and len(words) < 18:
            matches = [sa.or_(Case.number == int(words), sa.and_(*matches))]
        where.extend(matches)
    total = session.scalar(sa.select(sa.func.count()).select_from(Case).where(*where))
    page = clamp(page, total, page_size)
    rows = session.execute(
        sa.select(
            Case.number,
            Case.subject,
            Case.status,
            Case.urgency,
            Area.name,
            ServiceOption.name,
            Case.created_at,
            Case.last_activity_at,
        )
        .join(Area, Area.id == Case.area_id)
        .join(ServiceOption, ServiceOption.id == Case.option_id)
        .where(*where)
        .order_by(Case.last_activity_at.desc(), Case.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    return CasePage(tuple(CaseRow(*row) for row in rows), total, page, page_size)


def count_my_open_cases(*, session: so.Session, actor: Actor) -> int:
    return session.scalar(
        sa.select(sa.func.count()).select_from(Case).where(Case.requester_id == actor.id, Case.status != Status.CLOSED)
    )


def _touch(case: Case, now: datetime) -> None:
    case.last_activity_at = now


def post_message(
    *,
    session: so.Session,
    actor: Actor,
    uploads: Uploads,
    number: int | str,
    body: str,
    internal: bool = False,
    files: Sequence[NewFile] = (),
) -> MessageView:
    """A message on the case's conversation; internal notes are for the case's staff only."""
    case = _visible_case(session, actor, number)
    if case.requester_id != actor.id:
        workflow.require_work(actor, case)  # staff who only read (managers) neither reply nor write notes
    staff = _staff_view(actor, case)
    if internal and not staff:
        raise PermissionDenied("error.forbidden")
    body = _clean_text(body)
    if not body:
        raise ValidationFailed("message.body_required", field="body")
    if len(body) > MAX_MESSAGE:
        raise ValidationFailed("message.body_too_long", field="body", max=MAX_MESSAGE)
    if case.status == Status.CLOSED:
        raise ValidationFailed("case.closed", number=case.number)
    checked = _check_files(files, uploads, already=_attachment_count(session, case, internal=internal))
    now = clock.now()
    message = CaseMessage(case_id=case.id, author_id=actor.id, body=body, internal=internal, created_at=now)
    session.add(message)
    session.flush()
    rows = _store_files(session, case, checked, uploads, actor, message=message, internal=internal)
    session.add(
        CaseEvent(
            case_id=case.id,
            actor_id=actor.id,
            kind="note" if internal else "message",
            internal=internal,
            created_at=now,
            detail={"attachments": len(rows)},
        )
    )
    if not internal:  # an internal note is not news the requester can see
        _touch(case, now)
        workflow.on_public_message(session, case, actor, staff, now)
        told = [case.requester_id] if staff else notifications.case_staff(session, case)
        notifications.notify(session=session, kind="message_received", case=case, recipient_ids=told,
                             actor=actor, quote=body)
    session.flush()
    return MessageView(
        message.id,
        actor.full_name,
        case.requester_id == actor.id,
        body,
        internal,
        now,
        tuple(
            AttachmentView(r.id, r.original_name, r.description, r.size_bytes, r.content_type, now, actor.full_name)
            for r in rows
        ),
    )


def _attachment_count(session: so.Session, case: Case, *, internal: bool = False) -> int:
    """Files on the case on one side: the requester's limit counts only the files they can see."""
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(Attachment)
        .where(Attachment.case_id == case.id, Attachment.internal.is_(internal))
    )


def add_attachments(
    *, session: so.Session, actor: Actor, uploads: Uploads, number: int | str, files: Sequence[NewFile]
) -> tuple[AttachmentView, ...]:
    """More files on a case (the summary's **Adjuntar**), by its requester or its staff."""
    case = _visible_case(session, actor, number)
    if case.requester_id != actor.id:
        workflow.require_work(actor, case)
    if not files:
        raise ValidationFailed("attachment.none", field="attachments")
    if case.status == Status.CLOSED:
        raise ValidationFailed("case.closed", number=case.number)
    checked = _check_files(files, uploads, already=_attachment_count(session, case))
    now = clock.now()
    rows = _store_files(session, case, checked, uploads, actor)
    session.add(
        CaseEvent(
            case_id=case.id,
            actor_id=actor.id,
            kind="attachments_added",
            created_at=now,
            detail={"count": len(rows), "names": [r.original_name for r in rows]},
        )
    )
    _touch(case, now)
    session.flush()
    return tuple(
        AttachmentView(r.id, r.original_name, r.description, r.size_bytes, r.content_type, now, actor.full_name)
        for r in rows
    )


def read_attachment(
    *, session: so.Session, actor: Actor, storage: Storage, attachment_id: int
) -> tuple[str, str, bytes]:
    """(name, content type, bytes) of a file the actor may see; anything else is "not found"."""
    row = session.get(Attachment, attachment_id)
    if row is None:
        raise NotFound("attachment.not_found")
    case = session.get(Case, row.case_id)
    visible = case.requester_id == actor.id or workflow.may_view(actor, case)
    if not visible or (row.internal and not _staff_view(actor, case)):
        raise NotFound("attachment.not_found")
    return row.original_name, row.content_type, storage.read(row.content_hash)
