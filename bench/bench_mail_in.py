"""E-mail in: how many replies a second the mailbox reader imports, and how long one takes from APPEND to the case.

    .venv/bin/python -m bench.bench_mail_in [--cases 200] [--requesters 50] [--messages 500] [--rounds 3]
                                            [--replies 20] [--poll 1] [--database-url URL]

A fresh desk (SQLite file in a temporary folder; with --database-url, scratch databases on that
PostgreSQL server, created and dropped as tests/conftest.py does) with N cases by M requesters, and a
real IMAP server: Debian's Dovecot on 127.0.0.1, started by tests/imap.py (the bench imports the test
helpers, as bench/bench_mail.py imports tests/smtp.py).

1. Throughput. Each round APPENDs --messages fresh replies, built as Gmail builds them (plain and HTML
   twins, the desk's own e-mail quoted below the new text, one in five with a small PNG screenshot),
   threaded three ways: References to the desk's stored outbox Message-ID with an edited subject,
   References plus "Re: [Caso #N]", the subject tag alone. Then mail_in.poll runs until the folder has
   no unseen mail. The same raw bytes then go through mail_in.import_message on a copy of the desk
   made before the first round (no IMAP), and through mail_in.read alone (parsing and reply
   stripping, no database), which splits a message's time into IMAP, parsing, storage (Storage.save
   timed on that copy) and the rest. Through IMAP and import-only take turns going first, each after
   an untimed os.sync(): Storage.save fsyncs every file, and would otherwise pay for what the phase
   before left unwritten. Figures are the median of the rounds; the rows are counted afterwards
   (each e-mail landed once, in a case message, its quoted history stripped).
2. APPEND → visible. A reader thread polls every --poll seconds (a loop around mail_in.poll, the
   shape of outbox.BackgroundSender running mail_in.Reader); --replies single replies are APPENDed
   one at a time at a random moment of the poll cycle, and each is timed until the requester's
   cases.get_case shows its text. The poll interval bounds it: wait for the next poll + one poll.
3. The issue's goal: at least 20 messages imported per second (poll, through IMAP).

Nothing is sent (no SMTP host): the notifications the replies cause stay queued in the outbox. The
figures are the machine's as it is: other work running beside the bench moves them.
"""

from __future__ import annotations

import os

os.environ.setdefault("MESA_BCRYPT_ROUNDS", "4")  # read when services.security is imported

import argparse  # noqa: E402
import imaplib  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import struct  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
import zlib  # noqa: E402
from contextlib import closing  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import datetime, timedelta, timezone  # noqa: E402
from email.message import EmailMessage  # noqa: E402
from email.utils import format_datetime, make_msgid  # noqa: E402
from pathlib import Path  # noqa: E402

import sqlalchemy as sa  # noqa: E402

from bench.common import print_table  # noqa: E402
from models import Case, CaseMessage, InboundEmail, OutboxEmail, ServiceOption  # noqa: E402
from services import cases, catalogue, mail_in, settings, users  # noqa: E402
from services.cases import Uploads  # noqa: E402
from services.db import make_engine, unit_of_work  # noqa: E402
from services.migrate import upgrade  # noqa: E402
from services.storage import Storage  # noqa: E402
from tests.imap import ImapServer  # noqa: E402

GOAL = 20  # messages imported per second, through IMAP (the goal)
DESK_ADDRESS = "mesa@empresa.test"
BOGOTA = timezone(timedelta(hours=-5))
PASSWORD = "Clave-de-medicion-1"
ATTACH_SHARE = 0.2  # replies with a PNG screenshot
MAX_ATTACHED = 8  # per case, under MAX_FILES_PER_CASE (10): every file goes in, none is refused
NAMES = ("Ana Pérez", "Luis Gómez", "Marta Núñez", "Jorge Ibáñez", "Sofía Muñoz", "Andrés Peña", "Lucía Ríos")
SENTENCES = (
    "Ya reinicié el equipo como me indicaron y el problema sigue igual.",
    "La impresora del tercer piso vuelve a mostrar el error de papel atascado.",
    "Adjunto una captura de pantalla del mensaje que aparece al iniciar sesión.",
    "¿Pueden revisarlo hoy? Estoy en el puesto 3-14 hasta las cinco de la tarde.",
    "Gracias por la ayuda; funcionó un rato pero esta mañana falló de nuevo.",
    "El sistema me pide cambiar la contraseña y luego no me deja entrar.",
)


@dataclass(frozen=True)
class DeskCase:
    number: int
    username: str
    email: str
    full_name: str
    outbox_id: str  # the Message-ID of the desk's e-mail to the requester, as their client quotes it
    outbox_subject: str
    outbox_text: str
    outbox_html: str


# --- The desk ---------------------------------------------------------------------------------------


def build_desk(engine: sa.Engine, n_cases: int, n_requesters: int, rng: random.Random) -> list[DeskCase]:
    """Setup done, the demo catalogue, an advisor per area, M requesters and N cases spread among them."""
    upgrade(engine)
    with unit_of_work(engine) as session:
        users.complete_setup(
            session=session,
            username="admin.mesa",
            full_name="Admin Mesa",
            email="admin@empresa.test",
            password=PASSWORD,
            password_repeat=PASSWORD,
            load_demo=False,
        )
        catalogue.seed_demo_catalogue(session=session)
        for i, area in enumerate(catalogue.DEMO_CATALOGUE, start=1):
            users.create_user(
                session=session,
                actor=users.Actor.system(),
                username=f"asesor.{i}",
                full_name=f"Asesor de {area}",
                email=f"asesor.{i}@empresa.test",
                role="advisor",
                password=PASSWORD,
                area_names=(area,),
            )
        requesters = []
        for i in range(n_requesters):
            username = f"solicitante.{i:03d}"
            users.create_user(
                session=session,
                actor=users.Actor.system(),
                username=username,
                full_name=f"{NAMES[i % len(NAMES)]} {i:03d}",
                email=f"{username}@cliente.test",
                role="employee",
                password=PASSWORD,
            )
            requesters.append(users.load_actor(session=session, username=username))
        options = session.scalars(sa.select(ServiceOption.id).where(ServiceOption.mail_only.is_(False))).all()
        uploads = Uploads(Storage(settings.current().storage_dir), 10)  # no files: nothing is written
        registered = []
        for i in range(n_cases):
            actor = requesters[i % n_requesters]
            detail = cases.register_case(
                session=session,
                actor=actor,
                uploads=uploads,
                option_id=rng.choice(options),
                subject=f"Solicitud {i}: {rng.choice(SENTENCES)[:60]}",
                description=" ".join(rng.sample(SENTENCES, 3)),
                request_token=uuid.uuid4().hex,
            )
            registered.append((detail.number, actor))
        desk = []
        for number, actor in registered:
            ours = session.scalars(
                sa.select(OutboxEmail)
                .join(Case, Case.id == OutboxEmail.case_id)
                .where(Case.number == number, OutboxEmail.to_address == actor.email)
                .order_by(OutboxEmail.id)
                .limit(1)
            ).one()
            desk.append(
                DeskCase(
                    number,
                    actor.username,
                    actor.email,
                    actor.full_name,
                    ours.message_id,
                    ours.subject,
                    ours.body_text,
                    ours.body_html,
                )
            )
    return desk


def copy_database(url: str, folder: Path, server: str | None) -> str:
    """A second desk, identical to the first as it is now: the import-only figure's."""
    if server is None:
        target = folder / "direct.db"
        source = sa.make_url(url).database
        with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
            src.backup(dst)
        return f"sqlite:///{target}"
    name = f"{sa.make_url(url).database}_direct"
    _admin(server, f'CREATE DATABASE "{name}" TEMPLATE "{sa.make_url(url).database}"')
    return sa.make_url(server).set(database=name).render_as_string(hide_password=False)


def _admin(server: str, statement: str) -> None:
    maintenance = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with maintenance.connect() as conn:
        conn.exec_driver_sql(statement)
    maintenance.dispose()


def drop_database(server: str, name: str) -> None:
    """As tests/conftest.py: an autovacuum worker our role may not end finishes in moments, so try again."""
    for _ in range(40):
        try:
            _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except sa.exc.ProgrammingError as exc:
            if "pg_signal_backend" not in str(exc):
                raise
            time.sleep(0.25)


# --- The replies ------------------------------------------------------------------------------------


def screenshot_png(rng: random.Random, width: int = 240, height: int = 140) -> bytes:
    """A small real PNG (a few KB), different every time: flat bands with noisy "text" rows, like a screenshot."""
    rows = []
    for y in range(height):
        if y % 9 in (3, 4):
            row = bytes(rng.randrange(256) for _ in range(width * 3))
        else:
            shade = 235 - (y // 20) * 6
            row = bytes((shade, shade, 250)) * width
        rows.append(b"\x00" + row)
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def gmail_reply(case: DeskCase, *, kind: str, token: str, png: bytes | None, rng: random.Random) -> bytes:
    """A reply as Gmail sends it: new text on top, the desk's e-mail quoted below, plain and HTML twins."""
    message = EmailMessage()
    message["Received"] = "by 2002:a05:7300:5b8c:b0:1a2:3b4c:5d6e with SMTP id z12csp123456dyb; Thu, 27 Nov 2026"
    message["X-Received"] = "by 2002:a17:906:4fd4:b0:a9a:1234:5678 with SMTP id p20mr1234567ejz.12.1732720307000"
    message["DKIM-Signature"] = (
        "v=1; a=rsa-sha256; c=relaxed/relaxed; d=gmail.com; s=20230601; t=1732720307; x=1733325107; "
        "h=to:subject:message-id:date:from:in-reply-to:references:mime-version:from:to:cc:subject:date; "
        "bh=" + "A" * 44 + "; b=" + "x" * 340
    )
    message["X-Google-Smtp-Source"] = "AGHT+IF" + "q" * 80
    message["Date"] = format_datetime(datetime.now(BOGOTA))
    message["From"] = f"{case.full_name} <{case.email}>"
    message["To"] = f"Mesa de Servicio <{DESK_ADDRESS}>"
    message["Message-ID"] = make_msgid(domain="mail.gmail.com")
    if kind == "subject":  # a new e-mail with the case's tag typed in, no thread headers
        message["Subject"] = f"[Caso #{case.number}] Más información"
    else:
        message["In-Reply-To"] = case.outbox_id
        message["References"] = case.outbox_id
        message["Subject"] = f"Re: {case.outbox_subject}" if kind == "both" else "Re: sigue el problema"
    new = [rng.choice(SENTENCES), rng.choice(SENTENCES), f"Referencia interna {token}."]
    name = case.full_name.split()[0]
    attribution = f"El jue, 27 nov 2026 a las 10:02, Mesa de Servicio (<{DESK_ADDRESS}>) escribió:"
    quoted = "\n".join(f"> {line}".rstrip() for line in case.outbox_text.splitlines())
    plain = f"Hola,\n\n{' '.join(new[:2])}\n\n{new[2]}\n\n{name}\n\n{attribution}\n\n{quoted}\n"
    html = (
        f'<div dir="ltr"><div>Hola,</div><div><br></div><div>{" ".join(new[:2])}</div><div><br></div>'
        f"<div>{new[2]}</div><div><br></div><div>{name}</div></div><br>"
        f'<div class="gmail_quote"><div dir="ltr" class="gmail_attr">{attribution}<br></div>'
        '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid '
        f'rgb(204,204,204);padding-left:1ex">{case.outbox_html}</blockquote></div>'
    )
    message.set_content(plain, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    if png is not None:
        message.add_attachment(png, maintype="image", subtype="png", filename="captura.png")
    return message.as_bytes()


class Mailroom:
    """Makes the replies: which case, which threading, whether a screenshot; each with a token to find it by."""

    KINDS = ("references", "both", "subject")

    def __init__(self, desk: list[DeskCase], rng: random.Random):
        self.desk, self.rng, self.count = desk, rng, 0
        self.attached = dict.fromkeys((c.number for c in desk), 0)

    def reply(self, case: DeskCase | None = None) -> tuple[DeskCase, str, bytes]:
        case = case or self.rng.choice(self.desk)
        kind = self.KINDS[self.count % len(self.KINDS)]
        attach = self.rng.random() < ATTACH_SHARE and self.attached[case.number] < MAX_ATTACHED
        self.attached[case.number] += attach
        self.count += 1
        token = f"R{self.count:06d}-{uuid.uuid4().hex[:8]}"
        png = screenshot_png(self.rng) if attach else None
        return case, token, gmail_reply(case, kind=kind, token=token, png=png, rng=self.rng)


def append_all(server: ImapServer, raws: list[bytes]) -> None:
    """APPEND every message over one connection (an MTA's delivery, without 500 logins)."""
    imap = imaplib.IMAP4(server.host, server.port, timeout=30)
    try:
        imap.login(server.user, server.password)
        for raw in raws:
            typ, data = imap.append("INBOX", None, None, raw)
            if typ != "OK":
                raise RuntimeError(f"APPEND failed: {typ} {data}")
    finally:
        imap.logout()


# --- Measuring --------------------------------------------------------------------------------------


def poll_until_empty(engine: sa.Engine, config: settings.Settings, server: ImapServer) -> int:
    """mail_in.poll until the folder has no unseen mail; how many it imported."""
    imported = 0
    for _ in range(1000):
        report = mail_in.poll(engine, config, name="bench")
        if report.error:
            raise RuntimeError(f"poll failed: {report.error}")
        imported += report.imported
        if not server.uids(criteria="UNSEEN"):
            return imported
    raise RuntimeError("the folder never emptied")


def landed(engine: sa.Engine) -> tuple[int, int, int, dict[str, int], int]:
    """(inbound rows, distinct Message-IDs, case messages, inbound rows by status/reason, bodies with quotes)."""
    with unit_of_work(engine, write=False) as session:
        inbound = session.scalar(sa.select(sa.func.count()).select_from(InboundEmail))
        distinct = session.scalar(sa.select(sa.func.count(sa.distinct(InboundEmail.message_id))))
        messages = session.scalar(sa.select(sa.func.count()).select_from(CaseMessage))
        by = session.execute(
            sa.select(InboundEmail.status, InboundEmail.reason, sa.func.count()).group_by(
                InboundEmail.status, InboundEmail.reason
            )
        ).all()
        quoted = session.scalar(
            sa.select(sa.func.count()).select_from(CaseMessage).where(CaseMessage.body.like("%escribió:%"))
        )
    return inbound, distinct, messages, {f"{s}/{r}": n for s, r, n in by}, quoted


def append_to_visible(
    engine: sa.Engine, config: settings.Settings, server: ImapServer, mailroom: Mailroom, replies: int, every: float
) -> tuple[list[float], list[tuple[float, int]]]:
    """Seconds from APPEND to the requester's get_case showing the reply, and the reader's poll durations."""
    stop = threading.Event()
    polls: list[tuple[float, int]] = []  # (seconds, imported) of each poll
    errors: list[str] = []

    def reader() -> None:  # outbox.BackgroundSender.run's loop, with mail_in.Reader as its only job
        while not stop.is_set():
            started = time.perf_counter()
            report = mail_in.poll(engine, config, name="bench-lector")
            polls.append((time.perf_counter() - started, report.imported))
            if report.error:
                errors.append(report.error)
            stop.wait(every)

    thread = threading.Thread(target=reader, name="bench-mail-reader", daemon=True)
    thread.start()
    with unit_of_work(engine, write=False) as session:
        actors = {c.username: users.load_actor(session=session, username=c.username) for c in mailroom.desk}
    seconds = []
    try:
        for _ in range(replies):
            time.sleep(mailroom.rng.uniform(0, every))  # at any moment of the reader's cycle
            case, token, raw = mailroom.reply()
            started = time.perf_counter()
            server.append(raw)  # one delivery, one connection
            while True:
                with unit_of_work(engine, write=False) as session:
                    detail = cases.get_case(session=session, actor=actors[case.username], number=case.number)
                if any(token in m.body for m in detail.messages):
                    seconds.append(time.perf_counter() - started)
                    break
                if time.perf_counter() - started > 60:
                    raise RuntimeError(f"reply {token} not visible after 60 s: {errors[-1:]}")
                time.sleep(0.02)  # a screen refreshing; lighter on the reader thread than a busy loop
    finally:
        stop.set()
        thread.join(timeout=60)
    if errors:
        raise RuntimeError(f"the reader failed: {errors[0]}")
    return seconds, polls


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--requesters", type=int, default=50)
    parser.add_argument("--messages", type=int, default=500, help="replies per throughput round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--replies", type=int, default=20, help="single replies timed from APPEND to visible")
    parser.add_argument("--poll", type=float, default=1.0, help="seconds between the reader's polls")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server URL whose database may CREATE DATABASE (postgresql+psycopg://mesa:mesa@"
        "127.0.0.1:5432/postgres): scratch databases are made there and dropped (default: SQLite in a temp folder)",
    )
    args = parser.parse_args(argv)
    if args.database_url and not args.database_url.startswith("postgresql"):
        parser.error("--database-url names a PostgreSQL server (SQLite is the default)")
    rng = random.Random(args.seed)
    folder = Path(tempfile.mkdtemp(prefix="mesa-bench-mail-in-"))
    server = ImapServer(folder / "imap").start()
    os.environ.update(
        {
            "MESA_DATA_DIR": str(folder / "data"),
            "MESA_MAIL_FROM": DESK_ADDRESS,
            "MESA_BACKGROUND_SENDER": "false",
            "MESA_IMAP_HOST": server.host,
            "MESA_IMAP_PORT": str(server.port),
            "MESA_IMAP_SECURITY": "none",
            "MESA_IMAP_USER": server.user,
            "MESA_IMAP_PASSWORD": server.password,
        }
    )
    os.environ.pop("MESA_SMTP_HOST", None)  # what the desk queues stays queued
    scratch = []
    if args.database_url:
        name = f"mesa_bench_mail_in_{os.getpid()}"
        drop_database(args.database_url, name)
        _admin(args.database_url, f'CREATE DATABASE "{name}"')
        scratch = [name, f"{name}_direct"]
        url = sa.make_url(args.database_url).set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{folder / 'data' / 'mesa.db'}"
    os.environ["MESA_DATABASE_URL"] = url
    config = settings.current()
    engine = direct = None
    try:
        engine = make_engine(url)
        started = time.perf_counter()
        desk = build_desk(engine, args.cases, args.requesters, rng)
        setup = time.perf_counter() - started
        with engine.connect() as conn:
            version = (
                f"PostgreSQL {conn.exec_driver_sql('SHOW server_version').scalar()}"
                if engine.dialect.name == "postgresql"
                else f"SQLite {sqlite3.sqlite_version}"
            )
        engine.dispose()  # a PostgreSQL template may have no one connected
        direct = make_engine(copy_database(url, folder, args.database_url))
        direct_uploads = Uploads(Storage(folder / "direct-attachments"), config.max_upload_mb)
        storage_seconds = [0.0]  # time in Storage.save (the .eml and the files, each written and fsync'd)
        save = direct_uploads.storage.save

        def timed_save(checked):
            started = time.perf_counter()
            try:
                return save(checked)
            finally:
                storage_seconds[0] += time.perf_counter() - started

        direct_uploads.storage.save = timed_save
        dovecot = subprocess.run(["/usr/sbin/dovecot", "--version"], capture_output=True, text=True).stdout.split()
        print(
            f"Machine: {platform.machine()}, {os.cpu_count()} cores; Python {platform.python_version()}, {version}, "
            f"Dovecot {dovecot[0] if dovecot else '?'} on 127.0.0.1 (no TLS)"
        )
        print(f"  desk: {args.cases} cases by {args.requesters} requesters, made in {setup:.1f} s")

        def run_phase(phase: str, raws: list[bytes]) -> None:
            if phase == "append":
                append_all(server, raws)
            elif phase == "poll":
                if poll_until_empty(engine, config, server) != len(raws):
                    raise RuntimeError("the folder emptied with fewer messages imported than appended")
            elif phase == "import":
                for raw in raws:
                    mail_in.import_message(direct, raw, config, direct_uploads)
            else:
                for raw in raws:
                    mail_in.read(raw)

        mailroom = Mailroom(desk, rng)
        figures: dict[str, list[float]] = {k: [] for k in ("append", "poll", "import", "read", "storage")}
        sizes, attached = [], 0
        for round_ in range(1, args.rounds + 1):
            before = mailroom.count
            raws = [mailroom.reply()[2] for _ in range(args.messages)]
            sizes += [len(r) for r in raws]
            attached += sum(b"captura.png" in r for r in raws)
            # Through IMAP and import-only take turns going first; each starts with nothing left to write
            # back (the other's WAL, Dovecot's maildir), so neither pays for the other's fsyncs.
            order = ["append", "poll", "import", "read"] if round_ % 2 else ["append", "import", "poll", "read"]
            for phase in order:
                os.sync()
                stored_before = storage_seconds[0]
                started = time.perf_counter()
                run_phase(phase, raws)
                figures[phase].append(time.perf_counter() - started)
                if phase == "import":
                    figures["storage"].append(storage_seconds[0] - stored_before)
            print(
                f"  round {round_}: {args.messages} imported through IMAP in {figures['poll'][-1]:.1f} s "
                f"({args.messages / figures['poll'][-1]:.1f}/s), import_message alone {figures['import'][-1]:.1f} s"
                f" (replies {before + 1}-{mailroom.count})",
                flush=True,
            )
        med = {k: statistics.median(v) for k, v in figures.items()}
        per_ms = {k: v / args.messages * 1000 for k, v in med.items()}
        rate = args.messages / med["poll"]
        imap_ms = per_ms["poll"] - per_ms["import"]
        inbound, distinct, messages, by, quoted = landed(engine)
        d_inbound, d_distinct, d_messages, d_by, d_quoted = landed(direct)
        total = args.rounds * args.messages
        unseen, everything = len(server.uids(criteria="UNSEEN")), len(server.uids())
        print_table(
            f"E-mail in: throughput ({version}), median of {args.rounds} rounds of {args.messages} replies",
            ["figure", "value"],
            [
                [
                    "replies: mean raw size (KB); with a PNG screenshot",
                    f"{statistics.mean(sizes) / 1024:.1f}; {attached} of {len(sizes)}",
                ],
                ["APPEND into Dovecot, one connection (messages/s)", f"{args.messages / med['append']:.0f}"],
                ["mail_in.poll through IMAP until no unseen mail (messages/s)", f"{rate:.1f}"],
                ["mail_in.import_message alone, same bytes (messages/s)", f"{args.messages / med['import']:.1f}"],
                ["per message: poll through IMAP (ms)", f"{per_ms['poll']:.1f}"],
                ["  import_message (ms)", f"{per_ms['import']:.1f}"],
                ["    of which mail_in.read: parse + strip the reply (ms)", f"{per_ms['read']:.1f}"],
                ["    of which Storage.save: .eml + PNG written, fsync'd (ms)", f"{per_ms['storage']:.1f}"],
                [
                    "    of which the rest: database, notifications, outbox",
                    f"{per_ms['import'] - per_ms['read'] - per_ms['storage']:.1f}",
                ],
                [
                    "  IMAP: fetch, flag \\Seen, login, bookkeeping (ms)",
                    f"{imap_ms:.1f}" + (" (below the noise between rounds)" if imap_ms < 0 else ""),
                ],
                [
                    "landed once, IMAP desk: appended / inbound rows / distinct ids / case messages",
                    f"{total} / {inbound} / {distinct} / {messages}",
                ],
                ["  outcome (status/reason: rows)", ", ".join(f"{k}: {v}" for k, v in sorted(by.items()))],
                ["  Dovecot: messages / still unseen", f"{everything} / {unseen}"],
                ["  case messages still holding the quoted history", f"{quoted}"],
                [
                    "landed once, import-only desk: inbound rows / distinct ids / case messages",
                    f"{d_inbound} / {d_distinct} / {d_messages}",
                ],
                ["  outcome (status/reason: rows)", ", ".join(f"{k}: {v}" for k, v in sorted(d_by.items()))],
            ],
        )

        seconds, polls = append_to_visible(engine, config, server, mailroom, args.replies, args.poll)
        empty = [d for d, n in polls if n == 0]
        busy = [d for d, n in polls if n > 0]
        p90 = statistics.quantiles(seconds, n=10, method="inclusive")[8] if len(seconds) > 1 else seconds[0]
        print_table(
            f"E-mail in: APPEND → visible in get_case, {args.replies} single replies, reader polling every "
            f"{args.poll:g} s",
            ["figure", "value"],
            [
                ["median (s)", f"{statistics.median(seconds):.2f}"],
                ["p90 (s)", f"{p90:.2f}"],
                ["min / max (s)", f"{min(seconds):.2f} / {max(seconds):.2f}"],
                [
                    "one poll of the reader: empty / importing a reply, median (s)",
                    f"{statistics.median(empty):.3f} / {statistics.median(busy):.3f}" if busy and empty else "-",
                ],
                ["bound: wait for the next poll + one poll (s)", f"≤ {args.poll:g} + {max(d for d, _ in polls):.2f}"],
            ],
        )
        inbound, distinct, messages, by, _ = landed(engine)
        print(
            f"  afterwards: appended {total + args.replies}, inbound rows {inbound}, distinct ids {distinct}, "
            f"case messages {messages}; Dovecot unseen {len(server.uids(criteria='UNSEEN'))}"
        )
        print(f"\ngoal ≥ {GOAL}/s: {'met' if rate >= GOAL else 'not met'} ({rate:.1f}/s through IMAP)")
    finally:
        server.stop()
        for eng in (engine, direct):
            if eng is not None:
                eng.dispose()
        for name in scratch:
            drop_database(args.database_url, name)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
