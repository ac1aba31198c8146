"""E-mail in: the desk reads its mailbox; a reply lands in its case, a mail to an area becomes a case.

Threading, in this order of trust (`find_case`):
1. the case's signed reply address (mesa+caso-123-firma@…, services/mail_address.py) among the recipients
   — a wrong signature is held, never guessed further;
2. In-Reply-To/References naming an e-mail we sent about the case (outbox_emails.message_id) or one
   we already imported into it;
3. "[Caso #123]" in the subject.
Whichever finds the case, the sender must be someone the app itself lets write on it
(workflow.allowed): the requester (a message) or its staff (a reply to the requester). Anything
else — unknown sender, wrong signature, a case not theirs, a closed case — is held for an admin in
Administración → Correo, never dropped and never a case. Auto-replies and bulk mail are kept and
answered by nobody; delivery reports mark the outbox e-mail they are about as bounced.

Exactly once: every e-mail is one row keyed by its Message-ID, written first in the transaction that
applies it. A second reader (or a retry after a crash between commit and the IMAP flag) fails on that
key and the whole second import rolls back; only then is the e-mail flagged \\Seen on the server.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email import errors
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

import sqlalchemy as sa
import sqlalchemy.exc
import sqlalchemy.orm as so
from imap_tools import AND, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessage, MailMessageFlags

from models import Area, Case, InboundEmail, MailReaderState, OutboxEmail
from models.enums import InboundStatus, Status, Urgency
from services import cases, catalogue, clock, i18n, mail_address, mail_text, outbox, workflow
from services.audit import audit, require_admin
from services.cases import NewFile, Uploads
from services.db import on_rollback, unit_of_work
from services.errors import NotFound, ServiceError, ValidationFailed
from services.settings import Settings
from services.storage import MAX_FILES_PER_CASE, CheckedFile, Storage, check_file
from services.text import clean as clean_text
from services.users import Actor, actor_by_email, load_actor

log = logging.getLogger("mesa.mail_in")

SUBJECT_TAG = re.compile(r"\[\s*(?:caso|case)\s*#\s*(\d{1,12})\s*\]", re.IGNORECASE)
BULK_PRECEDENCE = {"bulk", "junk", "auto_reply"}
DAEMONS = {"mailer-daemon", "postmaster"}
BATCH = 25  # e-mails fetched per IMAP round trip
MAX_ROUNDS = 20  # per poll: a full mailbox drains over several polls without starving the outbox


# --- Reading one e-mail ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Bounce:
    """A delivery report: which of our e-mails it is about, to whom, and why it failed."""

    original_message_id: str | None
    recipient: str | None
    reason: str


@dataclass(frozen=True)
class Incoming:
    raw: bytes
    message_id: str
    from_address: str
    from_name: str
    subject: str
    recipients: tuple[str, ...]
    thread_ids: tuple[str, ...]  # In-Reply-To first, then References newest first
    sent_at: datetime | None
    automatic: str | None  # why nobody should answer it (an auto-reply, bulk mail), or None
    bounce: Bounce | None
    text: str  # what the sender wrote now: quoted history and signature removed
    files: tuple[NewFile, ...]


def _ids(value: str | None) -> list[str]:
    return re.findall(r"<[^<>\s]+>", str(value or ""))


def _automatic(message: EmailMessage) -> str | None:
    auto = str(message.get("Auto-Submitted", "")).strip().lower()
    if auto and auto != "no":
        return "auto_submitted"
    if message.get("X-Autoreply") or message.get("X-Autorespond"):
        return "auto_reply"
    if str(message.get("Precedence", "")).strip().lower() in BULK_PRECEDENCE:
        return "bulk"
    if message.get("X-Auto-Response-Suppress"):
        return "auto_reply"
    return None


def _sender(message: EmailMessage) -> tuple[str, str]:
    """(name, address) of the one author, or ("", "") when From is missing, names several addresses or
    parses with defects: "empleado@corp.com <evil@attacker.net>" must never read as the employee."""
    try:
        header = message["From"]
        addresses = header.addresses if header is not None else ()
        defects = header.defects if header is not None else ()
    except (IndexError, TypeError, ValueError):  # a header Python's parser cannot take apart
        return "", ""
    # Old-style phrases ("Ana P." unquoted, as Outlook writes it) and raw 8-bit names are common and
    # harmless; anything the parser had to guess at (InvalidHeaderDefect…) is not taken as a sender.
    harmless = (errors.ObsoleteHeaderDefect, errors.UndecodableBytesDefect)
    doubtful = [d for d in defects if not isinstance(d, harmless)]
    if len(addresses) != 1 or doubtful or "@" not in (addresses[0].addr_spec or ""):
        return "", ""
    return addresses[0].display_name, addresses[0].addr_spec


def _bounce(message: EmailMessage, from_address: str) -> Bounce | None:
    """A delivery report: a DSN (multipart/report with a delivery-status part) — from a mailer daemon or not.
    A person who writes from postmaster@ is a person."""
    if not any(part.get_content_type() == "message/delivery-status" for part in message.walk()):
        return None
    original, recipient, reason = None, None, ""
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            for block in part.get_payload():
                recipient = recipient or parseaddr(str(block.get("Final-Recipient", "")).partition(";")[2])[1]
                recipient = recipient or parseaddr(str(block.get("Original-Recipient", "")).partition(";")[2])[1]
                reason = reason or " ".join(str(block.get("Diagnostic-Code", "")).split())
                reason = reason or str(block.get("Status", "")).strip()
        elif kind in ("message/rfc822", "text/rfc822-headers") and original is None:
            inner = part.get_payload()[0] if kind == "message/rfc822" else None
            headers = inner if inner is not None else mail_text.message_from_bytes(part.get_payload(decode=True) or b"")
            found = _ids(headers.get("Message-ID"))
            original = found[0] if found else None
    return Bounce(original, recipient.lower() if recipient else None, reason[:500] or "—")


def _files(message: EmailMessage) -> tuple[NewFile, ...]:
    """Every part that is not the body: attachments and inline images (a pasted screenshot is evidence)."""
    files = []
    for index, part in enumerate(message.walk(), start=1):
        if part.is_multipart() or part.get_content_type() in ("message/delivery-status", "text/rfc822-headers"):
            continue
        name = part.get_filename()
        if name is None and part.get_content_maintype() == "text" and part.get_content_disposition() != "attachment":
            continue  # a body part (plain or HTML)
        data = part.get_payload(decode=True) or b""
        if name is None:
            extension = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif"}.get(
                part.get_content_type(), "bin"
            )
            name = f"adjunto-{index}.{extension}"
        files.append(NewFile(name=str(name), data=data))
    return tuple(files)


def _synthetic_id(raw: bytes) -> str:
    return f"<sin-id-{hashlib.sha256(raw).hexdigest()[:40]}@mesa>"


def read(raw: bytes) -> Incoming:
    """What the desk needs of one raw e-mail."""
    message = mail_text.message_from_bytes(raw)
    ids = _ids(message.get("Message-ID"))
    message_id = ids[0] if ids else _synthetic_id(raw)
    from_name, from_address = _sender(message)
    headers = [str(v) for name in ("To", "Cc", "Delivered-To", "X-Original-To") for v in message.get_all(name, [])]
    recipients = tuple(dict.fromkeys(a.strip().lower() for _, a in getaddresses(headers) if a))
    thread = _ids(message.get("In-Reply-To")) + list(reversed(_ids(message.get("References"))))
    try:
        sent_at = parsedate_to_datetime(str(message["Date"])).astimezone(UTC).replace(tzinfo=None)
    except (TypeError, ValueError, IndexError):
        sent_at = None
    from_address = from_address.strip().lower()
    bounce = _bounce(message, from_address)
    text = "" if bounce else clean_text(mail_text.new_text(message))
    return Incoming(
        raw=raw,
        message_id=message_id[:250],
        from_address=from_address[:254],
        from_name=clean_text(from_name)[:200],
        subject=clean_text(" ".join(str(message.get("Subject", "")).split()))[:300],
        recipients=recipients,
        thread_ids=tuple(dict.fromkeys(thread)),
        sent_at=sent_at,
        automatic=_automatic(message),
        bounce=bounce,
        text=text,
        files=() if bounce else _files(message),
    )


# --- Where it goes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """The case an e-mail answers and how it was found; or the area it opens a case in; or why neither."""

    case: Case | None = None
    how: str = ""
    area: Area | None = None
    reason: str = ""


def find_case(session: so.Session, mail: Incoming, config: Settings) -> Found:
    """The case (or area) an e-mail is for, in the order of trust written at the top of this module."""
    for address in mail.recipients:
        tagged = mail_address.read_tag(config, address)
        if tagged is not None:
            if not tagged.genuine:
                return Found(reason="bad_signature")
            case = session.scalar(sa.select(Case).where(Case.number == tagged.number))
            return Found(case, "reply_to") if case else Found(reason="no_case")
    if mail.thread_ids:
        ids = list(mail.thread_ids)
        ours = sa.select(OutboxEmail.case_id).where(OutboxEmail.message_id.in_(ids), OutboxEmail.case_id.is_not(None))
        theirs = sa.select(InboundEmail.case_id).where(
            InboundEmail.message_id.in_(ids), InboundEmail.case_id.is_not(None)
        )
        case_ids = set(session.scalars(ours)) | set(session.scalars(theirs))
        if len(case_ids) == 1:
            return Found(session.get(Case, case_ids.pop()), "references")
        # Several cases in one thread (a forward of two cases' e-mails): the subject decides, or an admin.
    tagged = SUBJECT_TAG.search(mail.subject)
    if tagged:
        case = session.scalar(sa.select(Case).where(Case.number == int(tagged[1])))
        return Found(case, "subject") if case else Found(reason="no_case")
    addressed = [a for a in mail.recipients if a]
    if addressed:
        area = session.scalar(
            sa.select(Area).where(sa.func.lower(Area.inbound_address).in_(addressed), Area.active.is_(True)).limit(1)
        )
        if area is not None:
            return Found(area=area, how="area")
    return Found(reason="no_case")


# --- Importing it ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Imported:
    status: str
    reason: str
    case_number: int | None
    duplicate: bool = False


def _keep_raw(session: so.Session, storage: Storage, raw: bytes) -> None:
    """The original .eml in storage (content-addressed), for audit; removed again if nothing commits.
    Called once the e-mail's row holds its key: a second reader of the same e-mail never gets here, so
    its rollback cannot take away the file the first one committed."""
    digest = hashlib.sha256(raw).hexdigest()
    kept = CheckedFile("correo.eml", "eml", "message/rfc822", len(raw), digest, raw, "")
    if storage.save(kept):
        on_rollback(session, lambda: storage.discard(digest))


@dataclass(frozen=True)
class Refused:
    name: str
    why: str


def _sort_files(mail: Incoming, uploads: Uploads, room: int, language: str) -> tuple[list[NewFile], list[Refused]]:
    """The form's rules file by file (type by content, size, count): what goes in, and what not and why."""
    accepted, refused = [], []
    for file in mail.files:
        try:
            check_file(name=file.name, data=file.data, max_mb=uploads.max_mb)
        except ValidationFailed as exc:
            refused.append(Refused(file.name, i18n.t(exc.key, language, **exc.params)))
            continue
        if len(accepted) >= room:
            refused.append(Refused(file.name, i18n.t("attachment.too_many", language, max=MAX_FILES_PER_CASE)))
            continue
        accepted.append(file)
    return accepted, refused


def _by_mail(row: InboundEmail, refused: list[Refused]) -> dict:
    """What the case's timeline keeps of the e-mail: which one, and the files that did not go in and why."""
    return {"inbound": row.id, "refused": [{"name": r.name, "why": r.why} for r in refused]}


def _tell_refused(session: so.Session, case: Case, actor: Actor, refused: list[Refused], config: Settings) -> None:
    """The sender hears which files did not go in, and why (nothing is said to an automatic sender)."""
    if not refused:
        return
    lang = actor.language
    t = i18n.t
    outbox.enqueue_mail(
        session=session,
        to_address=actor.email,
        subject=f"[{t('mail.case_tag', lang, number=case.number)}] {t('mail.files_refused.subject', lang)}",
        case_id=case.id,
        context={
            "org_name": config.org_name,
            "subject": t("mail.files_refused.subject", lang),
            "heading": t("mail.files_refused.heading", lang, number=case.number),
            "paragraphs": [t("mail.files_refused.intro", lang, name=actor.full_name)],
            "fields": [(r.name, r.why) for r in refused],
            "quote": None,
            "quote_label": "",
            "link_url": "",
            "link_label": "",
            "footer": t("mail.footer", lang, org=config.org_name),
        },
    )


def _post(session, mail: Incoming, row: InboundEmail, case: Case, actor: Actor, uploads: Uploads, config) -> str:
    """The e-mail as a message in the conversation, from the requester's side or the staff's."""
    actions = workflow.allowed(actor, case)
    if not (actions.message_as_requester if actions.own_case else actions.reply):
        return "case_closed" if case.status == Status.CLOSED and (actions.own_case or actions.work) else "not_allowed"
    room = MAX_FILES_PER_CASE - cases.attachment_count(session, case)
    accepted, refused = _sort_files(mail, uploads, room, actor.language)
    body = mail.text or i18n.t("mail_in.no_text", actor.language)
    cases.post_message(
        session=session,
        actor=actor,
        uploads=uploads,
        number=case.number,
        body=body[: cases.MAX_MESSAGE],
        files=accepted,
        by_mail=_by_mail(row, refused),
    )
    _tell_refused(session, case, actor, refused, config)
    return ""


def _open_case(session, mail: Incoming, row: InboundEmail, area: Area, actor: Actor, uploads: Uploads, config) -> Case:
    """A new case in the area's "Sin clasificar", urgency Medio, from a known user's e-mail."""
    accepted, refused = _sort_files(mail, uploads, MAX_FILES_PER_CASE, actor.language)
    subject = mail.subject or i18n.t("mail_in.no_subject", actor.language)
    detail = cases.register_case(
        session=session,
        actor=actor,
        uploads=uploads,
        option_id=catalogue.mail_option(session, area.id).id,
        subject=subject[: cases.MAX_SUBJECT],
        description=(mail.text or subject)[: cases.MAX_DESCRIPTION],
        urgency=Urgency.MEDIUM,
        files=accepted,
        by_mail=_by_mail(row, refused),
    )
    case = session.scalar(sa.select(Case).where(Case.number == detail.number))
    _tell_refused(session, case, actor, refused, config)
    return case


def _apply(session: so.Session, mail: Incoming, row: InboundEmail, config: Settings, uploads: Uploads) -> None:
    """Decide what the e-mail becomes and do it, writing the outcome on its row."""
    if mail.bounce is not None:
        row.status, row.reason = InboundStatus.BOUNCE, _mark_bounced(session, mail.bounce)
        return
    if mail.automatic == "unreadable" or not mail.from_address:
        row.status, row.reason = InboundStatus.HELD, mail.automatic or "no_sender"
        return
    if mail.automatic or mail.from_address == config.mail_from.lower():
        row.status, row.reason = InboundStatus.IGNORED, mail.automatic or "own_address"
        return
    found = find_case(session, mail, config)
    row.case_id = found.case.id if found.case else None
    actor = actor_by_email(session=session, address=mail.from_address)
    row.sender_id = actor.id if actor else None
    if actor is None or found.reason:
        row.status, row.reason = InboundStatus.HELD, "unknown_sender" if actor is None else found.reason
        return
    if found.case is not None and _unthreaded_staff(session, mail, found.case, actor):
        # Staff write to the requester in the desk's name: a subject anyone can type, or a case address
        # the requester also knows, is not enough; the e-mail must answer one the desk sent to them.
        row.status, row.reason = InboundStatus.HELD, "staff_unthreaded"
        return
    outbox.answering(session, address=mail.from_address, message_id=mail.message_id)
    try:
        with session.begin_nested():  # a refusal undoes the half-done message, never the held row
            if found.case is not None:
                refusal = _post(session, mail, row, found.case, actor, uploads, config)
                if refusal:
                    row.status, row.reason = InboundStatus.HELD, refusal
                    return
                row.status, row.reason = InboundStatus.MESSAGE, found.how
            else:
                case = _open_case(session, mail, row, found.area, actor, uploads, config)
                row.status, row.reason, row.case_id = InboundStatus.NEW_CASE, found.how, case.id
    except ServiceError as exc:
        log.info("e-mail %s held: %s", row.id, exc.key)
        row.status, row.reason = InboundStatus.HELD, "refused"


def _unthreaded_staff(session: so.Session, mail: Incoming, case: Case, actor: Actor) -> bool:
    """Staff who would reply by mail without naming (In-Reply-To/References) an e-mail we sent them."""
    actions = workflow.allowed(actor, case)
    if actions.own_case or not actions.reply:
        return False  # the requester's rule, or no right to reply at all (held as not allowed)
    sent_to_them = session.scalar(
        sa.select(OutboxEmail.id)
        .where(
            OutboxEmail.message_id.in_(list(mail.thread_ids) or [""]),
            OutboxEmail.case_id == case.id,
            sa.func.lower(OutboxEmail.to_address) == actor.email.lower(),
        )
        .limit(1)
    )
    return sent_to_them is None


def _mark_bounced(session: so.Session, bounce: Bounce) -> str:
    query = sa.select(OutboxEmail)
    if bounce.original_message_id:
        query = query.where(OutboxEmail.message_id == bounce.original_message_id)
    elif bounce.recipient:
        query = query.where(sa.func.lower(OutboxEmail.to_address) == bounce.recipient).order_by(OutboxEmail.id.desc())
    else:
        return "unmatched"
    sent = session.scalar(query.limit(1))
    if sent is None:
        return "unmatched"
    sent.bounced_at, sent.bounce_reason = clock.now(), bounce.reason
    return "matched"


def import_message(engine: sa.Engine, raw: bytes, config: Settings, uploads: Uploads) -> Imported:
    """Import one e-mail exactly once: its row first (unique Message-ID), then what it becomes, one commit.
    An e-mail the desk cannot read at all is kept, held as "unreadable", for an admin to look at."""
    try:
        mail = read(raw)
    except Exception:  # noqa: BLE001 - a malformed header or part must not stop the e-mails behind it
        log.exception("e-mail unreadable; held")
        mail = _unreadable(raw)
    try:
        with unit_of_work(engine) as session:
            existing = session.scalar(sa.select(InboundEmail).where(InboundEmail.message_id == mail.message_id))
            if existing is not None:
                return _imported(session, existing, duplicate=True)
            row = InboundEmail(
                message_id=mail.message_id,
                from_address=mail.from_address or "desconocido",
                from_name=mail.from_name,
                subject=mail.subject,
                body=mail.text,
                status=InboundStatus.HELD,
                raw_hash=hashlib.sha256(raw).hexdigest(),
                raw_size=len(raw),
                sent_at=mail.sent_at,
                imported_at=clock.now(),
            )
            session.add(row)
            session.flush()  # a second reader of the same e-mail waits here, then fails on the key
            _keep_raw(session, uploads.storage, raw)
            _apply(session, mail, row, config, uploads)
            session.flush()
            return _imported(session, row)
    except sqlalchemy.exc.IntegrityError:
        with unit_of_work(engine, write=False) as session:
            existing = session.scalar(sa.select(InboundEmail).where(InboundEmail.message_id == mail.message_id))
            if existing is None:
                raise
            return _imported(session, existing, duplicate=True)


def _unreadable(raw: bytes) -> Incoming:
    """What can be said of an e-mail Python's parser gave up on: nothing but its bytes."""
    return Incoming(
        raw=raw,
        message_id=_synthetic_id(raw),
        from_address="",
        from_name="",
        subject="",
        recipients=(),
        thread_ids=(),
        sent_at=None,
        automatic="unreadable",
        bounce=None,
        text="",
        files=(),
    )


def _imported(session: so.Session, row: InboundEmail, duplicate: bool = False) -> Imported:
    number = session.scalar(sa.select(Case.number).where(Case.id == row.case_id)) if row.case_id else None
    return Imported(row.status, row.reason, number, duplicate)


# --- The mailbox reader ---------------------------------------------------------------------------


def reader_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class _RawMessage(MailMessage):
    """imap_tools' message, keeping the bytes the server sent: the .eml as it was, and a way to tell a
    message cut short by a connection that broke mid-FETCH (fewer bytes than its RFC822.SIZE)."""

    def __init__(self, fetch_data: list):
        super().__init__(fetch_data)
        self.raw = self._get_message_data_parts(fetch_data)[0]

    @property
    def whole(self) -> bool:
        return bool(self.raw) and (not self.size_rfc822 or len(self.raw) == self.size_rfc822)


@contextlib.contextmanager
def mailbox(config: Settings, timeout: float = 15.0) -> Iterator[MailBox]:
    """A logged-in IMAP connection to the desk's folder (SSL, STARTTLS or plain as configured)."""
    kinds = {"ssl": MailBox, "starttls": MailBoxStartTls, "none": MailBoxUnencrypted}
    box = kinds[config.imap_security](config.imap_host, config.imap_port, timeout=timeout)
    box.email_message_class = _RawMessage
    box.login(config.imap_user or "", config.imap_password or "", initial_folder=config.imap_folder)
    try:
        yield box
    finally:
        with contextlib.suppress(Exception):  # a failed LOGOUT changes nothing already imported
            box.logout()


@dataclass(frozen=True)
class PollReport:
    imported: int
    duplicates: int
    error: str | None


def _record_poll(engine: sa.Engine, name: str, *, imported: int, error: str | None) -> None:
    now = clock.now()
    with unit_of_work(engine) as session:
        state = session.get(MailReaderState, name)
        if state is None:
            state = MailReaderState(name=name, imported=0)
            session.add(state)
        state.last_poll_at = now
        state.imported += imported
        state.last_error = error
        if error is None:
            state.last_ok_at = now


def poll(engine: sa.Engine, config: Settings, *, name: str | None = None) -> PollReport:
    """Read every unseen e-mail of the folder, import each once, then flag it \\Seen on the server.

    An e-mail imported just before the server (or this process) went away is read again next time and
    found already imported: it is only flagged then.
    """
    if not config.imap_host:
        return PollReport(0, 0, None)
    uploads = Uploads(Storage(config.storage_dir), config.max_upload_mb)
    imported = duplicates = 0
    error = None
    try:
        with mailbox(config) as box:
            for _ in range(MAX_ROUNDS):
                batch = list(box.fetch(AND(seen=False), mark_seen=False, limit=BATCH, bulk=True))
                for message in batch:
                    if not message.whole:
                        raise ConnectionError(f"correo {message.uid} recibido incompleto")
                    result = import_message(engine, message.raw, config, uploads)
                    duplicates += result.duplicate
                    imported += not result.duplicate
                    box.flag(message.uid, MailMessageFlags.SEEN, True)
                if len(batch) < BATCH:
                    break
    except Exception as exc:  # noqa: BLE001 - the server down, a refused login: told in Administración → Correo
        error = f"{type(exc).__name__}: {exc}"[:1000]
        log.warning("mailbox poll failed: %s", error)
    _record_poll(engine, name or reader_name(), imported=imported, error=error)
    return PollReport(imported, duplicates, error)


class Reader:
    """The periodic job the outbox senders run (services/outbox.BackgroundSender, `cli.py worker`):
    polls the mailbox every MESA_IMAP_POLL_SECONDS."""

    def __init__(self, config: Settings):
        self.config = config
        self.next_poll = 0.0

    def __call__(self, engine: sa.Engine) -> None:
        if not self.config.imap_host or time.monotonic() < self.next_poll:
            return
        self.next_poll = time.monotonic() + self.config.imap_poll_seconds
        poll(engine, self.config)


def test_connection(*, actor: Actor, config: Settings) -> tuple[bool, str]:
    """Administración → Correo's "Probar conexión": log in, count the unseen e-mails, log out."""
    require_admin(actor)
    if not config.imap_host:
        return False, i18n.t("admin.mail.imap_none")
    try:
        with mailbox(config, timeout=10) as box:
            unseen = len(box.uids(AND(seen=False)))
    except Exception as exc:  # noqa: BLE001 - any failure is the admin's answer
        return False, f"{type(exc).__name__}: {exc}"
    return True, i18n.t("admin.mail.imap_ok", count=unseen)


# --- The admins' side (Administración → Correo) ---------------------------------------------------


@dataclass(frozen=True)
class InboundView:
    id: int
    from_address: str
    from_name: str
    subject: str
    body: str
    status: str
    reason: str
    case_number: int | None
    imported_at: datetime
    raw_size: int


@dataclass(frozen=True)
class ReaderView:
    name: str
    last_poll_at: datetime | None
    last_ok_at: datetime | None
    last_error: str | None
    imported: int


def list_inbound(
    *, session: so.Session, actor: Actor, status: str | None = InboundStatus.HELD, limit: int = 50
) -> list[InboundView]:
    """The e-mails read, newest first (by default the held ones, which wait for an admin)."""
    require_admin(actor)
    query = (
        sa.select(InboundEmail, Case.number)
        .outerjoin(Case, Case.id == InboundEmail.case_id)
        .order_by(InboundEmail.id.desc())
        .limit(limit)
    )
    if status:
        query = query.where(InboundEmail.status == status)
    return [
        InboundView(
            r.id, r.from_address, r.from_name, r.subject, r.body, r.status, r.reason, number, r.imported_at, r.raw_size
        )
        for r, number in session.execute(query)
    ]


def inbound_counts(*, session: so.Session, actor: Actor) -> dict[str, int]:
    require_admin(actor)
    counts = dict(session.execute(sa.select(InboundEmail.status, sa.func.count()).group_by(InboundEmail.status)).all())
    return {s.value: counts.get(s.value, 0) for s in InboundStatus}


def readers(*, session: so.Session, actor: Actor, limit: int = 5) -> list[ReaderView]:
    """The readers that polled last (one per app process or worker)."""
    require_admin(actor)
    rows = session.scalars(
        sa.select(MailReaderState).order_by(MailReaderState.last_poll_at.desc().nulls_last()).limit(limit)
    )
    return [ReaderView(r.name, r.last_poll_at, r.last_ok_at, r.last_error, r.imported) for r in rows]


def _held(session: so.Session, inbound_id: int) -> InboundEmail:
    row = session.get(InboundEmail, inbound_id, with_for_update=True)
    if row is None:
        raise NotFound("mail_in.not_found")
    if row.status != InboundStatus.HELD:
        raise ValidationFailed("mail_in.already_handled")
    return row


def _reread(row: InboundEmail, uploads: Uploads) -> Incoming:
    return read(uploads.storage.read(row.raw_hash))


def _handled(session: so.Session, row: InboundEmail, actor: Actor, status: str, case: Case | None) -> None:
    row.status, row.handled_by_id, row.handled_at = status, actor.id, clock.now()
    if case is not None:
        row.case_id = case.id


def accept_into_case(
    *, session: so.Session, actor: Actor, uploads: Uploads, config: Settings, inbound_id: int, number: int | str
) -> int:
    """A held e-mail into a case. From someone the case lets write, it is their message; from anyone else it
    is an internal note by the admin that quotes the sender, so no stranger's words reach the requester as
    the desk's."""
    require_admin(actor)
    row = _held(session, inbound_id)
    case = workflow.find_case(session, number)
    mail = _reread(row, uploads)
    sender = actor_by_email(session=session, address=row.from_address)
    refusal = "not_allowed"
    if sender is not None:
        actions = workflow.allowed(sender, case)
        if actions.message_as_requester if actions.own_case else actions.reply:
            refusal = _post(session, mail, row, case, sender, uploads, config)
    if refusal:
        workflow.allowed(actor, case).require("note")
        room = MAX_FILES_PER_CASE - cases.attachment_count(session, case, internal=True)
        accepted, refused = _sort_files(mail, uploads, room, actor.language)
        quoted = i18n.t("mail_in.quoted", name=row.from_name or row.from_address, address=row.from_address)
        cases.post_message(
            session=session,
            actor=actor,
            uploads=uploads,
            number=case.number,
            body=f"{quoted}\n\n{mail.text or row.subject}"[: cases.MAX_MESSAGE],
            internal=True,
            files=accepted,
            by_mail=_by_mail(row, refused),
        )
    _handled(session, row, actor, InboundStatus.MESSAGE, case)
    audit(session, actor, "mail_in.accept", f"correo {row.id} → caso {case.number}")
    return case.number


def create_case_from(
    *,
    session: so.Session,
    actor: Actor,
    uploads: Uploads,
    config: Settings,
    inbound_id: int,
    area_id: int | None,
    requester: str | None = None,
) -> int:
    """A held e-mail becomes a case of the area, for its sender (a user) or the requester the admin names."""
    require_admin(actor)
    row = _held(session, inbound_id)
    person = actor_by_email(session=session, address=row.from_address)
    if requester:
        person = load_actor(session=session, username=requester)
        if person is None:
            raise ValidationFailed("mail_in.requester_unknown", field="requester", username=requester)
    if person is None:
        raise ValidationFailed("mail_in.requester_required", field="requester")
    area = session.get(Area, area_id) if area_id else None
    if area is None or not area.active:
        raise ValidationFailed("mail_in.area_required", field="area")
    case = _open_case(session, _reread(row, uploads), row, area, person, uploads, config)
    _handled(session, row, actor, InboundStatus.NEW_CASE, case)
    audit(session, actor, "mail_in.create_case", f"correo {row.id} → caso {case.number}")
    return case.number


def discard(*, session: so.Session, actor: Actor, inbound_id: int) -> None:
    require_admin(actor)
    row = _held(session, inbound_id)
    _handled(session, row, actor, InboundStatus.DISCARDED, None)
    audit(session, actor, "mail_in.discard", f"correo {row.id} de {row.from_address}")


def raw_email(*, session: so.Session, actor: Actor, storage: Storage, inbound_id: int) -> tuple[str, bytes]:
    """The original .eml of an e-mail read (for audit): its file name and bytes. For admins, and for the
    staff who read the case it went into (a requester never gets it: it may hold what was cut away)."""
    row = session.get(InboundEmail, inbound_id)
    if row is None:
        raise NotFound("mail_in.not_found")
    if not actor.is_admin:
        case = session.get(Case, row.case_id) if row.case_id else None
        if case is None or not workflow.allowed(actor, case).see_internal:
            raise NotFound("mail_in.not_found")
    return f"correo-{row.id}.eml", storage.read(row.raw_hash)
