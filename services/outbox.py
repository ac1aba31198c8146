"""The e-mail outbox: rows written with the change that causes them, delivered after commit.

Each row gets its Message-ID when it is written. A sender claims rows (status "sending", its
name, the time) in one short transaction, sends them over SMTP, and records each result in
another. Claims use SELECT … FOR UPDATE SKIP LOCKED where the database has it (PostgreSQL) and
SQLite's single write lock otherwise, so any number of senders never take the same row.
A claim lasts LEASE (a minute): while its batch runs, the sender renews it before each e-mail
and every LEASE/3 during a long send, and skips a row that is no longer its own. A sender that
dies leaves its rows "sending" and a minute later another one claims them. An e-mail sent just
before its sender died goes again then, with the same Message-ID: mail clients show it once.
Admins watch the queue in Administración → Correo: they retry a failed e-mail and queue a test one.
"""

from __future__ import annotations

import contextlib
import html
import logging
import os
import smtplib
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
import sqlalchemy as sa
import sqlalchemy.orm as so
import yagmail

from models import Case, OutboxEmail
from models.enums import OutboxStatus
from services import clock, i18n, mail_address, settings
from services.audit import audit, require_admin
from services.db import unit_of_work
from services.security import normalize_email
from services.settings import Settings

if TYPE_CHECKING:
    from services.users import Actor

log = logging.getLogger("mesa.outbox")

# Growing delays between attempts (scaled so the first is MESA_OUTBOX_FIRST_RETRY_SECONDS);
# after the last one the row is marked failed for an admin.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
LEASE = timedelta(seconds=60)
BATCH = 20
TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class Claimed:
    id: int
    to_address: str
    subject: str
    body_text: str
    body_html: str
    message_id: str
    reply_to: str | None = None
    in_reply_to: str | None = None
    thread_refs: str | None = None


@dataclass(frozen=True)
class DeliveryReport:
    sent: int
    failed: int

    @property
    def attempted(self) -> int:
        return self.sent + self.failed


def _new_message_id(mail_from: str) -> str:
    return make_msgid(domain=mail_from.rpartition("@")[2] or "localhost")


def enqueue(
    *, session: so.Session, to_address: str, subject: str, body_text: str, body_html: str, case_id: int | None = None
) -> None:
    """Queue an e-mail in the caller's transaction: it exists only if the change commits.

    Its Message-ID, in the domain of the desk's sender address, is made now and kept for every attempt.
    An e-mail about a case answers the last one this recipient got about it (In-Reply-To/References),
    or the e-mail of theirs being answered (`answering`), so mail clients show one thread; its Reply-To
    is the case's own address (services/mail_address.py).
    """
    config = settings.current()
    row = OutboxEmail(
        to_address=to_address,
        subject=" ".join(subject.split())[:300],
        body_text=body_text,
        body_html=body_html,
        case_id=case_id,
        status=OutboxStatus.PENDING,
        next_attempt_at=clock.now(),
        message_id=_new_message_id(config.mail_from),
    )
    if case_id is not None:
        number = session.scalar(sa.select(Case.number).where(Case.id == case_id))
        row.reply_to = mail_address.reply_address(config, number)
        row.in_reply_to, row.thread_refs = _thread(session, case_id, to_address)
    session.add(row)


def answering(session: so.Session, *, address: str, message_id: str) -> None:
    """Within this transaction, e-mails to `address` answer its e-mail `message_id` (mail_in sets it)."""
    session.info[_ANSWERING] = (address.lower(), message_id)


_ANSWERING = "mesa.outbox.answering"


def _thread(session: so.Session, case_id: int, to_address: str) -> tuple[str | None, str | None]:
    """(In-Reply-To, References) for a new e-mail about the case to this address."""
    sent = session.scalars(
        sa.select(OutboxEmail.message_id)
        .where(
            OutboxEmail.case_id == case_id, OutboxEmail.to_address == to_address, OutboxEmail.message_id.is_not(None)
        )
        .order_by(OutboxEmail.id)
    ).all()
    chain = [sent[0], sent[-1]] if sent else []
    address, message_id = session.info.get(_ANSWERING, ("", ""))
    if address and address == to_address.lower():
        chain.append(message_id)
    chain = list(dict.fromkeys(chain))  # in order, once each
    return (chain[-1], " ".join(chain)) if chain else (None, None)


def enqueue_mail(
    *, session: so.Session, to_address: str, subject: str, context: dict, case_id: int | None = None
) -> None:
    """Queue the desk's e-mail (templates/notification.txt and .html, the HTML escaped) filled with `context`."""
    enqueue(
        session=session,
        to_address=to_address,
        subject=subject,
        case_id=case_id,
        body_text=TEMPLATES.get_template("notification.txt").render(context),
        body_html=TEMPLATES.get_template("notification.html").render(context),
    )


def sender_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def claim(
    engine: sa.Engine, *, worker: str, now: datetime | None = None, limit: int = BATCH, mail_from: str | None = None
) -> list[Claimed]:
    """Take up to `limit` due rows for this sender, so no other sender takes them.

    A row queued before Message-IDs were stored gets one now (in `mail_from`'s domain), kept from here on.
    """
    now = now or clock.now()
    due = sa.or_(
        sa.and_(OutboxEmail.status == OutboxStatus.PENDING, OutboxEmail.next_attempt_at <= now),
        sa.and_(OutboxEmail.status == OutboxStatus.SENDING, OutboxEmail.claimed_at < now - LEASE),
    )
    query = sa.select(OutboxEmail).where(due).order_by(OutboxEmail.next_attempt_at, OutboxEmail.id).limit(limit)
    if engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    with unit_of_work(engine) as session:
        rows = session.scalars(query).all()
        for row in rows:
            row.status = OutboxStatus.SENDING
            row.claimed_by = worker
            row.claimed_at = now
            if row.message_id is None:
                row.message_id = _new_message_id(mail_from or settings.current().mail_from)
        return [
            Claimed(
                r.id,
                r.to_address,
                r.subject,
                r.body_text,
                r.body_html,
                r.message_id,
                r.reply_to,
                r.in_reply_to,
                r.thread_refs,
            )
            for r in rows
        ]


def renew(engine: sa.Engine, *, worker: str, ids: set[int], now: datetime | None = None) -> set[int]:
    """Restart the lease of the rows among `ids` this sender still holds; which ones those are."""
    if not ids:
        return set()
    ours = sa.and_(
        OutboxEmail.id.in_(ids), OutboxEmail.claimed_by == worker, OutboxEmail.status == OutboxStatus.SENDING
    )
    with unit_of_work(engine) as session:
        session.execute(sa.update(OutboxEmail).where(ours).values(claimed_at=now or clock.now()))
        return set(session.scalars(sa.select(OutboxEmail.id).where(ours)))


class _Lease(threading.Thread):
    """A batch's claim kept fresh while it is sent: renewed every LEASE/3, even during one long SMTP send."""

    def __init__(self, engine: sa.Engine, *, worker: str, ids: set[int], now: datetime | None):
        super().__init__(name="mesa-outbox-lease", daemon=True)
        self.engine, self.worker, self.now = engine, worker, now
        self.held = set(ids)
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def renew(self) -> set[int]:
        with self.lock:
            held = set(self.held)
        ours = renew(self.engine, worker=self.worker, ids=held, now=self.now)
        with self.lock:
            self.held &= ours
        return ours

    def release(self, email_id: int) -> None:
        with self.lock:
            self.held.discard(email_id)

    def run(self) -> None:
        while not self.stopping.wait((LEASE / 3).total_seconds()):
            try:
                self.renew()
            except Exception:  # noqa: BLE001 - a missed renewal is retried; the lease has two more chances
                log.exception("outbox lease renewal failed")

    def stop(self) -> None:
        self.stopping.set()
        self.join()


def _record(
    engine: sa.Engine, claimed: Claimed, *, worker: str, now: datetime, error: str | None, scale: float = 1.0
) -> None:
    with unit_of_work(engine) as session:
        row = session.get(OutboxEmail, claimed.id)
        if row is None or row.status != OutboxStatus.SENDING or row.claimed_by != worker:
            return  # our lease ran out and another sender owns the row now
        row.attempts += 1
        row.claimed_by = None
        row.claimed_at = None
        if error is None:
            row.status = OutboxStatus.SENT
            row.sent_at = now
            row.last_error = None
        elif row.attempts >= MAX_ATTEMPTS:
            row.status = OutboxStatus.FAILED
            row.last_error = error
        else:
            row.status = OutboxStatus.PENDING
            row.next_attempt_at = now + BACKOFF[row.attempts - 1] * scale
            row.last_error = error


def build_message(claimed: Claimed, config: Settings) -> EmailMessage:
    """A real multipart/alternative e-mail: our plain-text part and our (escaped) HTML part.

    It says it was written by a machine (RFC 3834 Auto-Submitted, and Outlook's suppression header), so
    other desks and out-of-office replies do not answer it: no mail loops.
    """
    message = EmailMessage()
    message["Subject"] = claimed.subject
    message["From"] = formataddr((config.org_name, config.mail_from))
    message["To"] = claimed.to_address
    message["Message-ID"] = claimed.message_id
    if claimed.reply_to:
        message["Reply-To"] = formataddr((config.org_name, claimed.reply_to))
    if claimed.in_reply_to:
        message["In-Reply-To"] = claimed.in_reply_to
        message["References"] = claimed.thread_refs or claimed.in_reply_to
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message.set_content(claimed.body_text)
    message.add_alternative(claimed.body_html, subtype="html")
    return message


def _connect(config: Settings) -> yagmail.SMTP:
    """yagmail opens the connection: plain, STARTTLS or SSL, and a login only when a user is set."""
    connection = yagmail.SMTP(
        user=config.smtp_user or config.mail_from,
        password=config.smtp_password if config.smtp_user else None,
        host=config.smtp_host,
        port=config.smtp_port,
        smtp_starttls=config.smtp_starttls,
        smtp_ssl=config.smtp_ssl,
        smtp_skip_login=not config.smtp_user,
        soft_email_validation=False,
        timeout=10,
    )
    connection.login()
    return connection


def deliver_pending(
    engine: sa.Engine,
    config: Settings,
    *,
    worker: str | None = None,
    now: datetime | None = None,
    max_batches: int = 50,
) -> DeliveryReport:
    """Send what is due, batch by batch; every failure keeps its row for a later attempt.

    We hand yagmail's connection a message we build ourselves: yagmail's own builder puts
    the HTML source in the text part and raw text into the HTML part.
    """
    if not config.smtp_host:
        return DeliveryReport(0, 0)
    worker = worker or sender_name()
    sent = failed = 0
    for _ in range(max_batches):
        batch = claim(engine, worker=worker, now=now, mail_from=config.mail_from)
        if not batch:
            break
        lease = _Lease(engine, worker=worker, ids={item.id for item in batch}, now=now)
        lease.start()
        try:
            batch_sent, batch_failed, connect_error = _send_batch(
                engine, config, batch, worker=worker, now=now, lease=lease
            )
        finally:
            lease.stop()
        sent, failed = sent + batch_sent, failed + batch_failed
        if connect_error:
            break
    return DeliveryReport(sent, failed)


def _send_batch(
    engine: sa.Engine, config: Settings, batch: list[Claimed], *, worker: str, now: datetime | None, lease: _Lease
) -> tuple[int, int, str | None]:
    """One connection for the batch; each e-mail sent only while still ours, then recorded."""
    sent = failed = 0
    connection, connect_error = None, None
    try:
        connection = _connect(config)
    except Exception as exc:  # refused, timeout, TLS, login: the whole batch waits
        connect_error = f"{type(exc).__name__}: {exc}"
    for item in batch:
        error = connect_error
        if connection is not None:
            if item.id not in lease.renew():
                continue  # our lease ran out (a pause longer than LEASE) and another sender has it now
            try:
                refused = connection.smtp.sendmail(
                    config.mail_from, [item.to_address], build_message(item, config).as_string()
                )
                if refused:
                    error = f"rechazado por el servidor: {refused}"
            except (smtplib.SMTPException, OSError) as exc:
                error = f"{type(exc).__name__}: {exc}"
        _record(
            engine,
            item,
            worker=worker,
            now=now or clock.now(),
            error=error,
            scale=config.outbox_first_retry_seconds / 60,
        )
        lease.release(item.id)
        if error is None:
            sent += 1
        else:
            failed += 1
            log.warning("outbox e-mail %s not sent: %s", item.id, error)
    if connection is not None:
        with contextlib.suppress(Exception):  # a failed QUIT changes nothing already recorded
            connection.close()
    return sent, failed, connect_error


def retry(*, session: so.Session, email_id: int) -> None:
    """Put a failed e-mail back in the queue now (the admins' "reintentar")."""
    row = session.get(OutboxEmail, email_id)
    if row is not None and row.status in (OutboxStatus.FAILED, OutboxStatus.PENDING):
        if row.status == OutboxStatus.FAILED:
            row.attempts = 0  # a fresh series of attempts
        row.status = OutboxStatus.PENDING
        row.next_attempt_at = clock.now()


class BackgroundSender(threading.Thread):
    """One per server process (and `cli.py worker`): drains the outbox every few seconds."""

    def __init__(self, engine: sa.Engine, config: Settings, *, interval: float = 5.0, jobs=()):
        super().__init__(name="mesa-outbox-sender", daemon=True)
        self.engine, self.config, self.interval, self.jobs = engine, config, interval, tuple(jobs)
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                deliver_pending(self.engine, self.config)
                for job in self.jobs:
                    job(self.engine)
            except Exception:  # noqa: BLE001 - the sender must outlive a bad minute of the database
                log.exception("background sender round failed")
            self.stopping.wait(self.interval)

    def stop(self, timeout: float = 15.0) -> None:
        self.stopping.set()
        self.join(timeout)


# --- The admins' view (Administración → Correo) -------------------------------------------------


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
    bounced_at: datetime | None = None
    bounce_reason: str | None = None


BOUNCED = "bounced"  # not a status of its own: a sent e-mail a delivery report came back for


def list_outbox(*, session: so.Session, actor: Actor, status: str | None = None, limit: int = 100) -> list[OutboxRow]:
    require_admin(actor)
    query = sa.select(OutboxEmail).order_by(OutboxEmail.id.desc()).limit(limit)
    if status == BOUNCED:
        query = query.where(OutboxEmail.bounced_at.is_not(None))
    elif status:
        query = query.where(OutboxEmail.status == status)
    return [
        OutboxRow(
            r.id,
            r.to_address,
            r.subject,
            r.status,
            r.attempts,
            r.next_attempt_at,
            r.last_error,
            r.created_at,
            r.sent_at,
            r.bounced_at,
            r.bounce_reason,
        )
        for r in session.scalars(query)
    ]


def outbox_counts(*, session: so.Session, actor: Actor) -> dict[str, int]:
    require_admin(actor)
    counts = dict(session.execute(sa.select(OutboxEmail.status, sa.func.count()).group_by(OutboxEmail.status)).all())
    bounced = session.scalar(sa.select(sa.func.count()).where(OutboxEmail.bounced_at.is_not(None)))
    return {**{s.value: counts.get(s.value, 0) for s in OutboxStatus}, BOUNCED: bounced}


def retry_email(*, session: so.Session, actor: Actor, email_id: int) -> None:
    require_admin(actor)
    retry(session=session, email_id=email_id)
    audit(session, actor, "outbox.retry", f"correo {email_id}")


def queue_test_email(*, session: so.Session, actor: Actor, to_address: str, org_name: str) -> None:
    """A test e-mail through the same outbox as every other e-mail."""
    require_admin(actor)
    address = normalize_email(to_address)
    enqueue(
        session=session,
        to_address=address,
        subject=f"[{org_name}] {i18n.t('mail.test.subject', actor.language)}",
        body_text=i18n.t("mail.test.body", actor.language),
        body_html=f"<p>{html.escape(i18n.t('mail.test.body', actor.language))}</p>",
    )
    audit(session, actor, "outbox.test", address)
