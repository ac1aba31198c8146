"""Cases: register one, follow one's own, talk on it and add files, always within the user's rights (workflow.allowed).

A requester sees only their own cases; asking for any other number, existing or not,
gets the same "Caso no encontrado". Internal notes never leave the staff's side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import Area, Attachment, Case, CaseEvent, CaseMessage, Counter, ServiceOption
from models.enums import Status, Urgency
from services import clock, notifications, sla, text, workflow
from services import search as text_search
from services.db import on_rollback
from services.errors import NotFound, PermissionDenied, ValidationFailed
from services.paging import Page, read_page
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


def _attachment_view(row: Attachment, uploaded_by: str) -> AttachmentView:
    return AttachmentView(
        row.id, row.original_name, row.description, row.size_bytes, row.content_type, row.created_at, uploaded_by
    )


@dataclass(frozen=True)
class MessageView:
    id: int
    author: str
    author_is_requester: bool
    body: str
    internal: bool
    created_at: datetime
    attachments: tuple[AttachmentView, ...]
    # For a message just posted: the case's version before it and after it. Equal to the version the
    # poster saw, the first says nothing else changed the case since (the work view then draws again only
    # the conversation and the box the message came from).
    case_versions: tuple[int, int] | None = None


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
    # With a search: where its words are in the case's text (between search.SNIPPET_START and _END).
    snippet: str = ""


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
    option_id: int  # the reclassify form starts from it
    assignee_id: int | None  # who has it, by id: a page compares ids, never names
    actions: workflow.CaseActions  # what the reader may do to it: pages render these flags
    first_response_due_at: datetime | None = None
    waiting_since: datetime | None = None
    # For its requester: the promise made at registration and where it stands in the area's queue.
    promised_at: datetime | None = None
    promise_basis: str | None = None
    queue_position: int | None = None
    # Business time to each target in the area's calendar (negative once past; None: no target, or met).
    left: timedelta | None = None
    first_response_left: timedelta | None = None


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
    now: datetime,
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
            created_at=now,
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
    by_mail: dict | None = None,
) -> CaseDetail:
    """Register a case with its files and its first timeline event, all in the caller's transaction.

    Only a case that arrives by e-mail may use an area's mail-only option: `by_mail` (services/mail_in.py)
    says which e-mail and what of it was refused, kept on the timeline event.

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
            return _read(session, existing, actor)
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
    if option is None or not option.active or not option.area.active or (option.mail_only and by_mail is None):
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
        request_token=request_token,
    )
    sla.schedule(session, case)  # due times in the area's business time
    sla.promise(session, case)  # when cases like it get resolved, from the desk's history
    session.add(case)
    session.flush()
    _store_files(session, case, checked, uploads, actor, now)
    session.add(
        CaseEvent(
            case_id=case.id,
            actor_id=actor.id,
            kind="registered",
            created_at=now,
            detail={"attachments": len(checked), **({} if by_mail is None else {"mail": by_mail})},
        )
    )
    session.flush()
    notifications.notify(
        session=session,
        kind="case_registered",
        case=case,
        recipient_ids=[actor.id],
        actor=actor,
        quote=description,
        tell_actor=True,
    )
    if workflow.auto_assign(session, case, now) is None:
        # Nobody took it automatically: it waits in the area's queue, and its advisors are told.
        notifications.notify(
            session=session,
            kind="case_queued",
            case=case,
            actor=actor,
            quote=description,
            recipient_ids=notifications.area_advisors(session, case.area_id),
            extra={"area": option.area.name},
        )
    session.flush()
    return _read(session, case, actor)


# What the case screens show, loaded in four statements however long the case's history is.
_DETAIL_LOADS = (
    so.joinedload(Case.area, innerjoin=True),
    so.joinedload(Case.option, innerjoin=True),
    so.joinedload(Case.requester, innerjoin=True),
    so.joinedload(Case.assignee),
    so.selectinload(Case.attachments).joinedload(Attachment.uploaded_by, innerjoin=True),
    so.selectinload(Case.messages).joinedload(CaseMessage.author, innerjoin=True),
    so.selectinload(Case.events).joinedload(CaseEvent.actor),
)


def get_case(*, session: so.Session, actor: Actor, number: int | str) -> CaseDetail:
    """One case as the actor may see it (the requester never sees internal notes)."""
    case = workflow.find_case(session, number, options=_DETAIL_LOADS)
    actions = workflow.allowed(actor, case)
    actions.require("view")
    return _detail(case, actions, session)


def _read(session: so.Session, case: Case, actor: Actor) -> CaseDetail:
    """The detail of a case this unit of work just wrote (its history read back as get_case reads it)."""
    query = sa.select(Case).where(Case.id == case.id).options(*_DETAIL_LOADS)
    return _detail(
        session.scalar(query.execution_options(populate_existing=True)), workflow.allowed(actor, case), session
    )


def _message_view(message: CaseMessage, author: str, case: Case, attachments: Sequence[AttachmentView]) -> MessageView:
    return MessageView(
        message.id,
        author,
        message.author_id == case.requester_id,
        message.body,
        message.internal,
        message.created_at,
        tuple(attachments),
    )


def _detail(case: Case, actions: workflow.CaseActions, session: so.Session) -> CaseDetail:
    """The case with the relationships _DETAIL_LOADS loaded; internal rows only for the staff's side."""

    def shown(rows):
        return [row for row in rows if actions.see_internal or not row.internal]

    files = [(row.message_id, _attachment_view(row, row.uploaded_by.full_name)) for row in shown(case.attachments)]
    messages = tuple(
        _message_view(m, m.author.full_name, case, [view for on, view in files if on == m.id])
        for m in shown(case.messages)
    )
    events = tuple(
        EventView(e.kind, e.actor.full_name if e.actor else None, e.detail or {}, e.internal, e.created_at)
        for e in shown(case.events)
    )
    return CaseDetail(
        number=case.number,
        area=case.area.name,
        option=case.option.name,
        subject=case.subject,
        description=case.description,
        urgency=case.urgency,
        status=case.status,
        status_changed_at=case.status_changed_at,
        created_at=case.created_at,
        last_activity_at=case.last_activity_at,
        due_at=case.due_at,
        first_response_at=case.first_response_at,
        requester=case.requester.full_name,
        assignee=case.assignee.full_name if case.assignee else None,
        solution=case.solution,
        reopen_count=case.reopen_count,
        version=case.version,
        attachments=tuple(view for _, view in files),
        messages=messages,
        events=events,
        option_id=case.option_id,
        assignee_id=case.assignee_id,
        actions=actions,
        first_response_due_at=case.first_response_due_at,
        waiting_since=case.waiting_since,
        promised_at=case.promised_at,
        promise_basis=case.promise_basis,
        queue_position=sla.queue_position(session, case) if actions.own_case else None,
        **_time_left(session, case, actions),
    )


def _time_left(session: so.Session, case: Case, actions: workflow.CaseActions) -> dict[str, timedelta | None]:
    """Business time to each target of an open case, for the staff's side (one more read: the calendar)."""
    if case.status in (Status.RESOLVED, Status.CLOSED) or not actions.see_internal:
        return {"left": None, "first_response_left": None}
    calendar, now = sla.calendar_for(session, case.area_id), clock.now()
    first = None if case.first_response_at else case.first_response_due_at
    return {
        "left": sla.left(case.due_at, case.waiting_since, now, calendar),
        "first_response_left": sla.left(first, case.waiting_since, now, calendar),
    }


def list_my_cases(
    *,
    session: so.Session,
    actor: Actor,
    include_closed: bool = False,
    search: str = "",
    page: int = 1,
    page_size: int = PAGE_SIZE,
    window: int | None = None,
) -> CasePage:
    """The actor's own cases, newest activity first, one page at a time (paged in SQL); a search ranks the
    newest `window` matching cases (services.search.window_for)."""
    where = [Case.requester_id == actor.id]
    if not include_closed:
        where.append(Case.status != Status.CLOSED)
    words = _clean_text(search).lstrip("#")
    found = table = None
    order = (Case.last_activity_at.desc(), Case.id.desc())
    if words:
        # The words anywhere in what the requester may read of their own cases (never the staff's notes),
        # the best match first, among the newest matching cases; a number is also the case's number.
        scope = text_search.scope_for(actor, own=True)
        found = text_search.matches(session, words, scope, window=window)
        if found is not None and found.scores:
            table = found.table(session.get_bind().dialect.name)
        matched = sa.false() if table is None else Case.id.in_(sa.select(table.c.case_id))
        if words.isdecimal() and len(words) < 18:
            matched = sa.or_(Case.number == int(words), matched)
        where.append(matched)
        if table is not None:
            order = (table.c.score.nulls_last(), *order)
    count_query = sa.select(sa.func.count()).select_from(Case)
    if table is not None:
        count_query = count_query.outerjoin(table, table.c.case_id == Case.id)
    query = (
        sa.select(
            Case.number,
            Case.subject,
            Case.status,
            Case.urgency,
            Area.name,
            ServiceOption.name,
            Case.created_at,
            Case.last_activity_at,
            Case.id,
        )
        .join(Case.area)
        .join(Case.option)
    )
    if table is not None:
        query = query.outerjoin(table, table.c.case_id == Case.id)
    rows, total, page = read_page(
        session,
        query.where(*where).order_by(*order),
        count_query.where(*where),
        page,
        page_size,
        together=table is not None,
    )
    pieces = text_search.snippets(session, words, scope, found, [r[-1] for r in rows]) if found is not None else {}
    return CasePage(
        tuple(CaseRow(*r[:-1], snippet=pieces.get(r[-1], "")) for r in rows),
        total,
        page,
        page_size,
        **text_search.window_fields(found),
    )


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
    by_mail: dict | None = None,
) -> MessageView:
    """A message on the case's conversation, from the requester's side or the staff's; notes are the staff's only.

    `by_mail`: it came by e-mail (services/mail_in.py); which one and what of it was refused, kept on its event.
    """
    case = workflow.find_case(session, number)
    version_before = case.version
    actions = workflow.allowed(actor, case)
    actions.require("note" if internal else "message_as_requester" if actions.own_case else "reply")
    staff = actions.see_internal
    body = _clean_text(body)
    if not body:
        raise ValidationFailed("message.body_required", field="body")
    if len(body) > MAX_MESSAGE:
        raise ValidationFailed("message.body_too_long", field="body", max=MAX_MESSAGE)
    checked = _check_files(files, uploads, already=attachment_count(session, case, internal=internal))
    now = clock.now()
    message = CaseMessage(case_id=case.id, author_id=actor.id, body=body, internal=internal, created_at=now)
    session.add(message)
    session.flush()
    rows = _store_files(session, case, checked, uploads, actor, now, message=message, internal=internal)
    session.add(
        CaseEvent(
            case_id=case.id,
            actor_id=actor.id,
            kind="note" if internal else "message",
            internal=internal,
            created_at=now,
            detail={"attachments": len(rows), **({} if by_mail is None else {"mail": by_mail})},
        )
    )
    if not internal:  # an internal note is not news the requester can see
        _touch(case, now)
        workflow.on_public_message(session, case, actor, staff, now)
        told = [case.requester_id] if staff else notifications.case_staff(session, case)
        notifications.notify(
            session=session, kind="message_received", case=case, recipient_ids=told, actor=actor, quote=body
        )
    session.flush()
    view = _message_view(message, actor.full_name, case, [_attachment_view(row, actor.full_name) for row in rows])
    return replace(view, case_versions=(version_before, case.version))


def attachment_count(session: so.Session, case: Case, *, internal: bool = False) -> int:
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
    case = workflow.find_case(session, number)
    workflow.allowed(actor, case).require("attach")
    if not files:
        raise ValidationFailed("attachment.none", field="attachments")
    checked = _check_files(files, uploads, already=attachment_count(session, case))
    now = clock.now()
    rows = _store_files(session, case, checked, uploads, actor, now)
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
    return tuple(_attachment_view(row, actor.full_name) for row in rows)


def read_attachment(
    *, session: so.Session, actor: Actor, storage: Storage, attachment_id: int
) -> tuple[str, str, bytes]:
    """(name, content type, bytes) of a file the actor may see; anything else is "not found"."""
    row = session.get(Attachment, attachment_id)
    if row is None:
        raise NotFound("attachment.not_found")
    actions = workflow.allowed(actor, session.get(Case, row.case_id))
    if not actions.view or (row.internal and not actions.see_internal):
        raise NotFound("attachment.not_found")
    return row.original_name, row.content_type, storage.read(row.content_hash)
