"""Notifications and e-mail against a real SMTP server on 127.0.0.1: right person, once, escaped."""

import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from models import Area, Case, Notification, OutboxEmail, User, utcnow
from services import cases, i18n, notifications, outbox, users, workflow
from services.cases import Uploads
from services.db import make_engine, unit_of_work
from services.errors import Conflict
from services.settings import load_settings
from services.storage import Storage
from tests.conftest import ROOT, make_user, register_case
from tests.smtp import SmtpServer, free_port

GT = "Gestión Tecnológica"
SG = "Servicios Generales"


@pytest.fixture
def smtp(monkeypatch):
    server = SmtpServer().start()
    monkeypatch.setenv("MESA_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MESA_SMTP_PORT", str(server.port))
    monkeypatch.setenv("MESA_MAIL_FROM", "mesa@comfanorte.test")
    monkeypatch.setenv("MESA_ORG_NAME", "Comfanorte")
    monkeypatch.setenv("MESA_APP_URL", "https://mesa.comfanorte.test")
    yield server
    server.stop()


@pytest.fixture
def people(desk):
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    make_user(desk, "laura.rios", role="advisor", areas=[GT], full_name="Laura Ríos")
    make_user(desk, "mario.ruiz", role="advisor", areas=[GT], full_name="Mario Ruiz")
    make_user(desk, "jorge.diaz", role="advisor", areas=[SG], full_name="Jorge Díaz")
    with unit_of_work(desk) as session:  # a manual queue: new cases wait for the area's advisors
        session.execute(sa.update(Area).values(assignment_mode="manual"))
    return desk


def _actor(engine, username):
    with unit_of_work(engine, write=False) as session:
        return users.load_actor(session=session, username=username)


def _register(engine, tmp_path, subject="La impresora no imprime", username="ana.perez"):
    return register_case(
        engine,
        tmp_path / "files",
        username=username,
        subject=subject,
        description="Sale un error <script>alert(1)</script> al imprimir.",
    )


def _message(engine, username, number, body, internal=False, tmp_path=None):
    with unit_of_work(engine) as session:
        cases.post_message(
            session=session,
            actor=users.load_actor(session=session, username=username),
            uploads=Uploads(Storage(tmp_path), 5),
            number=number,
            body=body,
            internal=internal,
        )


def _deliver(engine, **kwargs):
    return outbox.deliver_pending(engine, load_settings(), **kwargs)


def test_a_registered_case_emails_the_requester_and_the_area_advisors_once(people, smtp, tmp_path):
    subject = "<b>Impresora</b> /etc/passwd"
    number = _register(people, tmp_path, subject=subject)
    report = _deliver(people)
    assert (report.sent, report.failed) == (3, 0)
    assert _deliver(people).attempted == 0  # nothing goes twice
    assert {tuple(r.to) for r in smtp.received} == {
        ("ana.perez@example.org",),
        ("laura.rios@example.org",),
        ("mario.ruiz@example.org",),
    }
    assert smtp.to("jorge.diaz@example.org") == []

    mail = smtp.to("ana.perez@example.org")[0]
    assert mail.subject == f"[Caso #{number}] Caso registrado: {subject}"
    assert mail.message.get_content_type() == "multipart/alternative"
    html, text = mail.part("html"), mail.part("plain")
    assert "&lt;b&gt;Impresora&lt;/b&gt; /etc/passwd" in html and "<b>Impresora</b>" not in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert subject in text and "<script>alert(1)</script>" in text
    assert "Comfanorte" in html and f"https://mesa.comfanorte.test/verificar?caso={number}" in html
    assert not [p for p in mail.message.iter_attachments()]

    with unit_of_work(people, write=False) as session:
        kinds = dict(session.execute(sa.select(Notification.user_id, Notification.kind)).all())
    assert sorted(kinds.values()) == ["case_queued", "case_queued", "case_registered"]


def test_messages_reach_the_other_side_and_internal_notes_reach_nobody(people, smtp, tmp_path):
    number = _register(people, tmp_path)
    _deliver(people)
    smtp.received.clear()
    _message(people, "ana.perez", number, "¿Alguna novedad?", tmp_path=tmp_path)
    _deliver(people)
    assert sorted(r.to[0] for r in smtp.received) == ["laura.rios@example.org", "mario.ruiz@example.org"]
    assert smtp.received[0].subject == f"[Caso #{number}] Nuevo mensaje: La impresora no imprime"
    smtp.received.clear()

    _message(people, "laura.rios", number, "Vamos en camino.", tmp_path=tmp_path)
    _message(people, "laura.rios", number, "Nota interna: falta el tóner", internal=True, tmp_path=tmp_path)
    _deliver(people)
    assert [r.to for r in smtp.received] == [["ana.perez@example.org"]]
    assert "Vamos en camino." in smtp.received[0].part("plain")
    with unit_of_work(people, write=False) as session:
        bodies = " ".join(session.scalars(sa.select(OutboxEmail.body_text)))
    assert "falta el tóner" not in bodies


def test_with_the_smtp_server_down_cases_register_and_every_email_arrives_once_later(people, monkeypatch, tmp_path):
    port = free_port()
    monkeypatch.setenv("MESA_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MESA_SMTP_PORT", str(port))
    numbers = [_register(people, tmp_path, subject=f"Caso en caída {i}") for i in range(50)]
    assert len(set(numbers)) == 50
    report = _deliver(people)
    assert report.sent == 0 and report.failed > 0
    with unit_of_work(people, write=False) as session:
        statuses = session.execute(sa.select(OutboxEmail.status, sa.func.count()).group_by(OutboxEmail.status)).all()
        assert dict(statuses) == {"pending": 150}
        errors = session.scalars(sa.select(OutboxEmail.last_error).where(OutboxEmail.attempts == 1)).all()
        assert errors and all("ConnectionRefused" in e for e in errors)

    server = SmtpServer(port).start()
    try:
        # Rows never tried go at once; the ones that failed wait for their back-off delay.
        first = _deliver(people)
        assert first.sent == 150 - report.failed
        later = _deliver(people, now=utcnow() + timedelta(minutes=2))
        assert later.sent == report.failed
        subjects = [r.subject for r in server.to("ana.perez@example.org")]
        assert len(subjects) == 50 and len(set(subjects)) == 50
        assert len(server.received) == 150
        assert _deliver(people, now=utcnow() + timedelta(days=2)).attempted == 0
    finally:
        server.stop()


def test_two_senders_draining_one_outbox_deliver_every_email_exactly_once(people, smtp, tmp_path):
    for i in range(30):
        _register(people, tmp_path, subject=f"Concurrente {i}")
    config = load_settings()
    reports = []

    def sender(name):
        reports.append(outbox.deliver_pending(people, config, worker=name))

    threads = [threading.Thread(target=sender, args=(f"sender-{i}",)) for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sum(r.sent for r in reports) == 90
    ids = [r.message["Message-ID"] for r in smtp.received]
    assert len(smtp.received) == 90 and len(set(ids)) == 90
    assert len({(r.to[0], r.subject) for r in smtp.received}) == 90


def test_the_worker_command_and_the_app_sender_side_by_side_send_each_email_once(people, smtp, tmp_path):
    for i in range(10):
        _register(people, tmp_path, subject=f"Lado a lado {i}")
    config = load_settings()
    in_app = outbox.BackgroundSender(people, config, interval=0.05)
    in_app.start()
    worker = subprocess.run(
        [sys.executable, "cli.py", "worker", "--once"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    in_app.stop()
    assert worker.returncode == 0, worker.stderr
    assert len(smtp.received) == 30
    assert len({(r.to[0], r.subject) for r in smtp.received}) == 30


def test_a_sender_that_dies_mid_send_loses_nothing(people, smtp, tmp_path):
    _register(people, tmp_path)
    claimed = outbox.claim(people, worker="sender-that-dies")
    assert len(claimed) == 3
    assert _deliver(people).attempted == 0  # still leased to the dead sender
    report = _deliver(people, now=utcnow() + outbox.LEASE + timedelta(seconds=1))
    assert report.sent == 3 and len(smtp.received) == 3


def test_rejected_emails_back_off_then_fail_and_an_admin_can_retry(people, monkeypatch, tmp_path):
    port = free_port()
    monkeypatch.setenv("MESA_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MESA_SMTP_PORT", str(port))
    _register(people, tmp_path)
    clock = utcnow()
    for attempt in range(outbox.MAX_ATTEMPTS):
        assert _deliver(people, now=clock).failed == 3, attempt
        with unit_of_work(people, write=False) as session:
            row = session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id)).first()
        if attempt < outbox.MAX_ATTEMPTS - 1:
            assert row.status == "pending"
            assert row.next_attempt_at == clock + outbox.BACKOFF[attempt]
            clock = row.next_attempt_at
    assert row.status == "failed" and "ConnectionRefused" in row.last_error
    with unit_of_work(people) as session:
        outbox.retry(session=session, email_id=row.id)
    server = SmtpServer(port).start()
    try:
        assert _deliver(people).sent == 1
    finally:
        server.stop()


def test_without_an_smtp_host_the_app_works_and_emails_wait(people, tmp_path):
    _register(people, tmp_path)
    assert _deliver(people).attempted == 0
    with unit_of_work(people, write=False) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == 3


def test_mensajes_lists_newest_first_and_marks_read(people, tmp_path):
    first = _register(people, tmp_path, subject="Primero")
    second = _register(people, tmp_path, subject="Segundo")
    laura = _actor(people, "laura.rios")
    with unit_of_work(people) as session:
        page = notifications.list_notifications(session=session, actor=laura)
        assert [r.number for r in page.rows] == [second, first] and page.unread == 2
        link = notifications.open_notification(session=session, actor=laura, notification_id=page.rows[1].id)
        assert (link.number, link.as_requester) == (first, False)
        assert notifications.unread_count(session=session, actor=laura) == 1
        ana = users.load_actor(session=session, username="ana.perez")
        with pytest.raises(Exception) as foreign:
            notifications.open_notification(session=session, actor=ana, notification_id=page.rows[0].id)
        assert getattr(foreign.value, "key", "") == "notif.not_found"
        assert notifications.mark_all_read(session=session, actor=laura) == 1
        assert notifications.unread_count(session=session, actor=laura) == 0


def test_two_app_senders_and_two_workers_deliver_every_email_once_across_an_outage(people, monkeypatch, tmp_path):
    """Two app processes' senders (own engines) and two `cli.py worker` processes on one outbox; SMTP down, then up."""
    port = free_port()
    monkeypatch.setenv("MESA_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MESA_SMTP_PORT", str(port))
    monkeypatch.setenv("MESA_OUTBOX_FIRST_RETRY_SECONDS", "1")
    for i in range(20):
        _register(people, tmp_path, subject=f"Muchos remitentes {i}")
    config = load_settings()
    url = str(people.url.render_as_string(hide_password=False))
    app_senders = [outbox.BackgroundSender(make_engine(url), config, interval=0.1) for _ in range(2)]
    workers = [
        subprocess.Popen(
            [sys.executable, "cli.py", "worker", "--interval", "0.1"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    for sender in app_senders:
        sender.start()
    time.sleep(1.5)  # everyone tries while the server is down
    with unit_of_work(people, write=False) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail).where(OutboxEmail.attempts > 0)) > 0
    server = SmtpServer(port).start()
    try:
        deadline = time.monotonic() + 60
        while len(server.received) < 60 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)  # anything sent twice would arrive now
    finally:
        for sender in app_senders:
            sender.stop()
            sender.engine.dispose()
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=20)
        server.stop()
    assert len(server.received) == 60
    assert len({(r.to[0], r.subject) for r in server.received}) == 60
    with unit_of_work(people, write=False) as session:
        assert dict(
            session.execute(sa.select(OutboxEmail.status, sa.func.count()).group_by(OutboxEmail.status)).all()
        ) == {"sent": 60}


def test_a_requesters_message_goes_to_the_queue_when_the_assignee_left_the_area(people, tmp_path):
    with unit_of_work(people) as session:
        session.execute(sa.update(Area).values(assignment_mode="automatic"))
    number = _register(people, tmp_path)
    with unit_of_work(people, write=False) as session:
        from models import Case

        assignee = session.scalar(sa.select(Case.assignee_id).where(Case.number == number))
        gone = session.get(User, assignee).username
    with unit_of_work(people) as session:
        users.update_user(
            session=session,
            actor=users.Actor.system(),
            username=gone,
            full_name="Ex asesor",
            email=f"{gone}@example.org",
            role="employee",
        )
    _deliver(people)
    with unit_of_work(people) as session:
        session.execute(sa.delete(OutboxEmail))
    _message(people, "ana.perez", number, "¿Alguien lo atiende?", tmp_path=tmp_path)
    with unit_of_work(people, write=False) as session:
        told = set(session.scalars(sa.select(OutboxEmail.to_address)))
    assert f"{gone}@example.org" not in told
    assert told == {f"{u}@example.org" for u in ("laura.rios", "mario.ruiz") if u != gone}


def _take(engine, username, number, version):
    with unit_of_work(engine) as session:
        workflow.take_case(
            session=session,
            actor=users.load_actor(session=session, username=username),
            number=number,
            expected_version=version,
        )


def _reassign(engine, username, number, to, version):
    with unit_of_work(engine) as session:
        workflow.assign_case(
            session=session,
            actor=users.load_actor(session=session, username=username),
            number=number,
            advisor_username=to,
            expected_version=version,
        )


def _version(engine, number):
    with unit_of_work(engine, write=False) as session:
        return session.scalar(sa.select(Case.version).where(Case.number == number))


def _notices(engine, username, *kinds):
    """(kind, text as Mensajes shows it) of a user's notifications of these kinds."""
    with unit_of_work(engine, write=False) as session:
        rows = session.execute(
            sa.select(Notification.kind, Notification.detail, User.language)
            .join(User, User.id == Notification.user_id)
            .where(User.username == username, Notification.kind.in_(kinds))
            .order_by(Notification.id)
        ).all()
    return [(kind, i18n.t(f"notif.{kind}", language, **detail)) for kind, detail, language in rows]


HANDOFF_KINDS = ("case_taken", "case_reassigned")


def test_taking_a_colleagues_case_tells_the_colleague_once_in_the_app_and_by_email(people, smtp, tmp_path):
    number = _register(people, tmp_path)
    _deliver(people)
    smtp.received.clear()

    _take(people, "laura.rios", number, _version(people, number))  # nobody's yet: nobody new hears of it
    _deliver(people)
    assert smtp.received == []
    assert _notices(people, "laura.rios", *HANDOFF_KINDS) == []

    seen = _version(people, number)
    _take(people, "mario.ruiz", number, seen)
    with pytest.raises(Conflict) as stale:  # the same click again, from the view that is now stale
        _take(people, "mario.ruiz", number, seen)
    assert stale.value.key == "case.stale"
    _deliver(people)

    assert _notices(people, "laura.rios", *HANDOFF_KINDS) == [
        ("case_taken", f"Mario Ruiz tomó el caso #{number}, que estaba a su cargo: La impresora no imprime")
    ]
    assert [r.to for r in smtp.received] == [["laura.rios@example.org"]]  # Mario took it: he hears nothing
    mail = smtp.received[0]
    assert mail.subject == f"[Caso #{number}] Caso tomado por Mario Ruiz: La impresora no imprime"
    assert "Mario Ruiz tomó este caso, que estaba a su cargo" in mail.part("plain")
    assert f"https://mesa.comfanorte.test/bandeja?caso={number}" in mail.part("html")
    assert _notices(people, "mario.ruiz", *HANDOFF_KINDS) == []
    assert _deliver(people).attempted == 0  # nothing goes twice


def test_reassigning_a_colleagues_case_tells_them_who_moved_it_to_whom_in_their_language(people, smtp, tmp_path):
    make_user(people, "sofia.mora", role="advisor", areas=[GT], full_name="Sofía Mora")
    with unit_of_work(people) as session:
        session.execute(sa.update(User).where(User.username == "laura.rios").values(language="en"))
    number = _register(people, tmp_path)
    _take(people, "laura.rios", number, _version(people, number))
    _reassign(people, "laura.rios", number, "mario.ruiz", _version(people, number))  # her own: nobody else to tell
    assert _notices(people, "laura.rios", *HANDOFF_KINDS) == []
    _reassign(people, "laura.rios", number, "laura.rios", _version(people, number))  # back to her: Mario hears
    assert _notices(people, "mario.ruiz", *HANDOFF_KINDS) == [
        ("case_taken", f"Laura Ríos tomó el caso #{number}, que estaba a su cargo: La impresora no imprime")
    ]
    _deliver(people)
    smtp.received.clear()

    _reassign(people, "mario.ruiz", number, "sofia.mora", _version(people, number))
    _deliver(people)
    assert _notices(people, "laura.rios", *HANDOFF_KINDS) == [
        (
            "case_reassigned",
            f"Mario Ruiz reassigned case #{number}, which was in your charge, to Sofía Mora: La impresora no imprime",
        )
    ]
    assert sorted(r.to[0] for r in smtp.received) == ["laura.rios@example.org", "sofia.mora@example.org"]
    to_laura = smtp.to("laura.rios@example.org")[0]
    assert to_laura.subject == f"[Case #{number}] Case reassigned to Sofía Mora: La impresora no imprime"
    assert "Mario Ruiz reassigned this case, which was in your charge, to Sofía Mora." in to_laura.part("plain")
    assert smtp.to("sofia.mora@example.org")[0].subject.startswith(f"[Caso #{number}] Caso asignado:")

    smtp.received.clear()
    _reassign(people, "admin.mesa", number, "laura.rios", _version(people, number))  # an admin moves it on
    _deliver(people)
    assert _notices(people, "sofia.mora", *HANDOFF_KINDS) == [
        (
            "case_reassigned",
            f"Admin Mesa reasignó a Laura Ríos el caso #{number}, que estaba a su cargo: La impresora no imprime",
        )
    ]
    assert sorted(r.to[0] for r in smtp.received) == ["laura.rios@example.org", "sofia.mora@example.org"]
    assert len(_notices(people, "laura.rios", *HANDOFF_KINDS)) == 1
