"""The mailbox reader against a real IMAP server (Dovecot on 127.0.0.1): read, imported once, flagged;
a server that goes away and comes back loses and doubles nothing, even with two readers at once."""

import threading
import time

import sqlalchemy as sa

from models import CaseMessage, InboundEmail, MailReaderState
from services import mail_in, settings, users
from services.db import make_engine, unit_of_work
from tests.conftest import make_user, register_case
from tests.test_mail_in import GT, mail


def _people(engine):
    make_user(engine, "ana.perez", full_name="Ana Pérez")
    make_user(engine, "laura.rios", role="advisor", areas=[GT], full_name="Laura Ríos")


def _admin(engine):
    with unit_of_work(engine, write=False) as session:
        return users.load_actor(session=session, username="admin.mesa")


def _counts(engine) -> tuple[int, int]:
    with unit_of_work(engine, write=False) as session:
        return (
            session.scalar(sa.select(sa.func.count()).select_from(InboundEmail)),
            session.scalar(sa.select(sa.func.count()).select_from(CaseMessage)),
        )


def test_a_reply_in_the_mailbox_lands_in_its_case_and_is_flagged_seen(desk, data_dir, imap):
    _people(desk)
    number = register_case(desk, data_dir / "files")
    uid = imap.append(mail(subject=f"Re: [Caso #{number}] Respuesta", body="Sigue sin imprimir."))

    report = mail_in.poll(desk, settings.current(), name="prueba")

    assert (report.imported, report.duplicates, report.error) == (1, 0, None)
    assert _counts(desk) == (1, 1)
    assert "\\Seen" in imap.flags(uid)
    with unit_of_work(desk, write=False) as session:
        state = session.get(MailReaderState, "prueba")
    assert state.imported == 1 and state.last_error is None and state.last_ok_at is not None
    assert mail_in.poll(desk, settings.current(), name="prueba").imported == 0  # nothing unseen is left


def test_a_server_that_is_down_is_told_and_its_mail_read_when_it_returns(desk, data_dir, imap):
    _people(desk)
    number = register_case(desk, data_dir / "files")
    imap.append(mail(subject=f"Re: [Caso #{number}]"))
    imap.stop()

    down = mail_in.poll(desk, settings.current(), name="prueba")
    ok, answer = mail_in.test_connection(actor=_admin(desk), config=settings.current())

    assert down.imported == 0 and down.error
    assert not ok and answer
    with unit_of_work(desk, write=False) as session:
        assert session.get(MailReaderState, "prueba").last_error == down.error
    imap.restart()
    assert mail_in.poll(desk, settings.current(), name="prueba").imported == 1
    assert mail_in.test_connection(actor=_admin(desk), config=settings.current()) == (
        True,
        "Conexión correcta. Correos sin leer en la carpeta: 0.",
    )


def test_a_wrong_imap_password_is_a_clear_answer(desk, imap, monkeypatch):
    monkeypatch.setenv("MESA_IMAP_PASSWORD", "equivocada")
    ok, answer = mail_in.test_connection(actor=_admin(desk), config=settings.current())
    assert not ok and ("LOGIN" in answer.upper() or "AUTH" in answer.upper())


def test_two_readers_with_the_server_restarted_midway_import_every_mail_once(desk, database_url, data_dir, imap):
    _people(desk)
    number = register_case(desk, data_dir / "files")
    sent = 40
    for index in range(sent):
        imap.append(mail(subject=f"Re: [Caso #{number}]", body=f"Mensaje número {index}."))
    config = settings.current()
    stop = threading.Event()
    errors: list[str] = []

    def reader(name: str) -> None:
        engine = make_engine(database_url)  # a process of its own would have its own engine
        try:
            while not stop.is_set():
                report = mail_in.poll(engine, config, name=name)
                if report.error:
                    errors.append(report.error)
                time.sleep(0.05)
        finally:
            engine.dispose()

    readers = [threading.Thread(target=reader, args=(f"lector-{i}",)) for i in range(2)]
    for thread in readers:
        thread.start()
    deadline = time.monotonic() + 60
    while _counts(desk)[0] < sent // 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    imap.stop()  # in the middle of the work: some imported, some not, some imported but not yet flagged
    time.sleep(0.5)
    imap.restart()
    while imap.uids(criteria="UNSEEN") and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    for thread in readers:
        thread.join()

    inbound, messages = _counts(desk)
    with unit_of_work(desk, write=False) as session:
        bodies = session.scalars(sa.select(CaseMessage.body)).all()
    assert (inbound, messages) == (sent, sent), imap.log()[-2000:]
    assert sorted(bodies) == sorted(f"Mensaje número {i}." for i in range(sent))
    assert imap.uids(criteria="UNSEEN") == []
    assert errors, "the restart happened while the readers worked"


def test_a_30_mb_attachment_by_mail_is_refused_whole_and_the_message_still_lands(desk, data_dir, imap):
    from tests.test_mail_in import PNG

    _people(desk)
    number = register_case(desk, data_dir / "files")
    big = b"%PDF-1.4\n" + bytes(range(256)) * (30 * 1024 * 4)  # 30 MB
    imap.append(
        mail(
            subject=f"Re: [Caso #{number}]",
            body="Adjunto el manual y una foto.",
            files=[("manual.pdf", big, "application", "pdf"), ("foto.png", PNG, "image", "png")],
        )
    )
    stored_before = {p.name for p in (data_dir / "attachments").rglob("*") if p.is_file()}

    assert mail_in.poll(desk, settings.current(), name="prueba").imported == 1

    stored = [p for p in (data_dir / "attachments").rglob("*") if p.is_file() and p.name not in stored_before]
    with unit_of_work(desk, write=False) as session:
        names = session.scalars(sa.text("SELECT original_name FROM attachments")).all()
    assert names == ["foto.png"]
    # The two new files on disk: the photo and the original .eml (kept for audit); no 30 MB attachment.
    assert len(stored) == 2 and not any(p.read_bytes().startswith(b"%PDF") for p in stored)
