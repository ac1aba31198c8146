"""E-mail in, service by service: each e-mail lands in the right case once, or waits for an admin.

The e-mails are built here the way mail clients build them; tests/test_mail_imap.py reads them from a
real IMAP server and tests/test_mail_corpus.py runs the corpus of real-world shapes.
"""

import json
import threading
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
import sqlalchemy as sa

from models import Area, Case, CaseMessage, InboundEmail, Notification, OutboxEmail, ServiceOption
from services import catalogue, mail_address, mail_in, outbox, settings, users
from services.cases import Uploads
from services.db import unit_of_work
from services.errors import NotFound, ValidationFailed
from services.storage import Storage
from tests.conftest import make_user, register_case, resolve_case

GT = "Gestión Tecnológica"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000105fe02fea70000000049454e44ae426082"
)


@pytest.fixture
def people(desk, monkeypatch):
    monkeypatch.setenv("MESA_MAIL_FROM", "mesa@empresa.test")
    monkeypatch.setenv("MESA_MAX_UPLOAD_MB", "1")
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    make_user(desk, "pedro.gil", full_name="Pedro Gil")
    make_user(desk, "laura.rios", role="advisor", areas=[GT], full_name="Laura Ríos")
    return desk


@pytest.fixture
def uploads(data_dir):
    return Uploads(Storage(data_dir / "attachments"), 1)


def mail(
    *,
    sender="ana.perez@example.org",
    to="mesa@empresa.test",
    subject="Re: su caso",
    body="Ya reinicié el equipo y sigue igual.",
    headers=None,
    files=(),
) -> bytes:
    message = EmailMessage()
    message["From"] = f"Persona <{sender}>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="cliente.test")
    message["Date"] = "Thu, 27 Nov 2026 10:02:00 -0500"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    for name, data, maintype, subtype in files:
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def receive(engine, raw, uploads):
    return mail_in.import_message(engine, raw, settings.current(), uploads)


def last_mail_to(engine, number, address) -> OutboxEmail:
    with unit_of_work(engine, write=False) as session:
        return session.scalars(
            sa.select(OutboxEmail)
            .join(Case, Case.id == OutboxEmail.case_id)
            .where(Case.number == number, OutboxEmail.to_address == address)
            .order_by(OutboxEmail.id.desc())
        ).first()


def messages(engine, number) -> list[tuple[str, str, bool]]:
    """(author username, body, internal) of the case's conversation."""
    from models import User

    with unit_of_work(engine, write=False) as session:
        rows = session.execute(
            sa.select(User.username, CaseMessage.body, CaseMessage.internal)
            .join(User, User.id == CaseMessage.author_id)
            .join(Case, Case.id == CaseMessage.case_id)
            .where(Case.number == number)
            .order_by(CaseMessage.id)
        )
        return [tuple(r) for r in rows]


def inbound(engine) -> list[InboundEmail]:
    with unit_of_work(engine, write=False) as session:
        return session.scalars(sa.select(InboundEmail).order_by(InboundEmail.id)).all()


def test_a_requesters_reply_threads_by_references_and_the_advisor_hears(people, data_dir, uploads):
    number = register_case(people, data_dir / "files")
    ours = last_mail_to(people, number, "ana.perez@example.org")
    raw = mail(
        subject="Re: algo que el cliente cambió",
        headers={"In-Reply-To": ours.message_id, "References": ours.message_id},
    )

    result = receive(people, raw, uploads)

    assert (result.status, result.reason, result.case_number) == ("message", "references", number)
    assert messages(people, number) == [("ana.perez", "Ya reinicié el equipo y sigue igual.", False)]
    with unit_of_work(people, write=False) as session:
        laura = users.load_actor(session=session, username="laura.rios")
        told = session.scalars(sa.select(Notification.kind).where(Notification.user_id == laura.id)).all()
    assert "message_received" in told
    assert last_mail_to(people, number, "laura.rios@example.org") is not None


def test_the_signed_reply_address_finds_the_case_and_a_forged_signature_is_held(people, data_dir, uploads, monkeypatch):
    monkeypatch.setenv("MESA_MAIL_PLUS_ADDRESSING", "true")
    number = register_case(people, data_dir / "files")
    ours = last_mail_to(people, number, "ana.perez@example.org")
    assert ours.reply_to == mail_address.reply_address(settings.current(), number)
    assert ours.reply_to.startswith(f"mesa+caso-{number}-")

    assert receive(people, mail(to=ours.reply_to, subject="sin número"), uploads).reason == "reply_to"
    forged = f"mesa+caso-{number}-{'0' * 12}@empresa.test"
    result = receive(people, mail(to=forged, subject=f"[Caso #{number}]", body="Otra cosa"), uploads)

    assert (result.status, result.reason) == ("held", "bad_signature")
    assert [body for _, body, _ in messages(people, number)] == ["Ya reinicié el equipo y sigue igual."]


def test_the_subject_tag_counts_only_from_someone_on_the_case(people, data_dir, uploads):
    number = register_case(people, data_dir / "files")

    mine = receive(people, mail(subject=f"Re: [Caso #{number}] Respuesta"), uploads)
    forged = receive(people, mail(sender="pedro.gil@example.org", subject=f"Re: [Caso #{number}]"), uploads)
    stranger = receive(people, mail(sender="nadie@fuera.test", subject=f"Re: [Caso #{number}]"), uploads)

    assert (mine.status, mine.reason) == ("message", "subject")
    assert (forged.status, forged.reason) == ("held", "not_allowed")
    assert (stranger.status, stranger.reason) == ("held", "unknown_sender")
    assert len(messages(people, number)) == 1


def test_an_advisors_reply_by_mail_reaches_the_requester_and_threads(people, data_dir, uploads):
    number = register_case(people, data_dir / "files")
    theirs = last_mail_to(people, number, "laura.rios@example.org")  # "case assigned to you"
    raw = mail(
        sender="laura.rios@example.org",
        subject=f"Re: [Caso #{number}]",
        body="Le cambio el tóner hoy.",
        headers={"In-Reply-To": theirs.message_id, "References": theirs.message_id},
    )

    assert receive(people, raw, uploads).status == "message"

    assert messages(people, number) == [("laura.rios", "Le cambio el tóner hoy.", False)]
    told = last_mail_to(people, number, "ana.perez@example.org")
    assert "Le cambio el tóner hoy." in told.body_text
    assert told.in_reply_to and told.thread_refs.split()[0] != told.message_id


def test_a_mail_in_an_advisors_name_that_answers_nothing_they_got_is_held(people, data_dir, uploads):
    """A subject anyone can type, or the case's address the requester knows too, is not the advisor."""
    number = register_case(people, data_dir / "files")
    to_ana = last_mail_to(people, number, "ana.perez@example.org")
    forged = [
        mail(sender="laura.rios@example.org", subject=f"Re: [Caso #{number}]", body="Ya quedó."),
        mail(
            sender="laura.rios@example.org",
            body="Ya quedó.",
            headers={"In-Reply-To": to_ana.message_id, "References": to_ana.message_id},
        ),
    ]

    results = [receive(people, raw, uploads) for raw in forged]

    assert [(r.status, r.reason) for r in results] == [("held", "staff_unthreaded")] * 2
    assert messages(people, number) == []


def test_a_from_header_with_more_than_one_address_is_nobody(people, data_dir, uploads):
    number = register_case(people, data_dir / "files")
    for header in (
        "ana.perez@example.org <evil@attacker.test>",
        "<ana.perez@example.org>, <evil@attacker.test>",
        "ana.perez@example.org)<evil@attacker.test>",
    ):
        raw = mail(subject=f"Re: [Caso #{number}]", body="Soy Ana, de verdad.")
        raw = raw.replace(b"From: Persona <ana.perez@example.org>", f"From: {header}".encode())
        result = receive(people, raw, uploads)
        assert (result.status, result.reason) == ("held", "no_sender"), header
    assert messages(people, number) == []


def test_an_e_mail_python_cannot_parse_is_held_and_the_next_one_still_lands(people, data_dir, uploads):
    number = register_case(people, data_dir / "files")
    broken = mail(subject=f"Re: [Caso #{number}]", body="Roto.").replace(b"To: mesa@empresa.test", b'Cc: "x" <x@y>, <')
    nul = mail(subject=f"Re: [Caso #{number}]", body="hola\x00\x00 mundo")

    first = receive(people, broken, uploads)
    second = receive(people, nul, uploads)

    assert first.status == "held" and first.reason in ("unreadable", "no_case", "refused")
    assert second.status == "message"
    assert messages(people, number) == [("ana.perez", "hola mundo", False)]


def test_outgoing_mail_says_it_is_automatic_and_threads(people, data_dir, monkeypatch):
    monkeypatch.setenv("MESA_MAIL_PLUS_ADDRESSING", "true")
    number = register_case(people, data_dir / "files")
    resolve_case(people, number)
    with unit_of_work(people, write=False) as session:
        rows = session.scalars(
            sa.select(OutboxEmail).where(OutboxEmail.to_address == "ana.perez@example.org").order_by(OutboxEmail.id)
        ).all()
    first, last = rows[0], rows[-1]
    built = outbox.build_message(outbox.claim(people, worker="t")[0], settings.current())

    assert first.in_reply_to is None
    assert last.in_reply_to == rows[-2].message_id and last.thread_refs.split()[0] == first.message_id
    assert built["Auto-Submitted"] == "auto-generated"
    assert f"+caso-{number}-" in built["Reply-To"]


def test_auto_replies_and_bulk_mail_are_kept_and_answered_by_nobody(people, data_dir, uploads):
    number = register_case(people, data_dir / "files")
    before, sent_before = len(inbound(people)), len(_outbox(people))
    for headers in (
        {"Auto-Submitted": "auto-replied"},
        {"X-Autoreply": "yes"},
        {"Precedence": "bulk"},
        {"X-Auto-Response-Suppress": "All"},
    ):
        raw = mail(
            subject=f"Respuesta automática: [Caso #{number}]", body="Estoy fuera de la oficina.", headers=headers
        )
        assert receive(people, raw, uploads).status == "ignored"

    assert messages(people, number) == []
    assert len(inbound(people)) == before + 4
    assert len(_outbox(people)) == sent_before


def test_a_bounce_marks_the_outbox_email_it_is_about(people, data_dir, uploads):
    number = register_case(people, data_dir / "files")
    ours = last_mail_to(people, number, "ana.perez@example.org")
    raw = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.empresa.test>\n"
        "To: mesa@empresa.test\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        f"Message-ID: {make_msgid(domain='mx.empresa.test')}\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: text/plain\n\nThis is the mail system. Your message could not be delivered.\n"
        "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.empresa.test\n\n"
        "Final-Recipient: rfc822; ana.perez@example.org\nAction: failed\nStatus: 5.1.1\n"
        "Diagnostic-Code: smtp; 550 5.1.1 mailbox unavailable\n"
        f"--B\nContent-Type: text/rfc822-headers\n\nMessage-ID: {ours.message_id}\nTo: ana.perez@example.org\n"
        "--B--\n"
    ).encode()

    result = receive(people, raw, uploads)

    assert (result.status, result.reason) == ("bounce", "matched")
    with unit_of_work(people, write=False) as session:
        row = session.get(OutboxEmail, ours.id)
    assert row.bounced_at is not None and "550 5.1.1 mailbox unavailable" in row.bounce_reason


def test_a_mail_to_an_areas_address_becomes_a_case_with_the_files_that_pass(people, data_dir, uploads):
    admin = _admin(people)
    with unit_of_work(people) as session:
        area_id = session.scalar(sa.select(Area.id).where(Area.name == GT))
        catalogue.set_inbound_address(session=session, actor=admin, area_id=area_id, address="Soporte@Empresa.test")
    raw = mail(
        to="soporte@empresa.test",
        subject="El proyector de la sala 3 no enciende",
        body="No enciende desde ayer.\n\nEnviado desde mi iPhone",
        files=[
            ("foto.png", PNG, "image", "png"),
            ("programa.exe", b"MZ\x90\x00" + b"\x00" * 100, "application", "octet-stream"),
            ("grande.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 10), "application", "pdf"),
        ],
    )

    result = receive(people, raw, uploads)

    assert result.status == "new_case"
    with unit_of_work(people, write=False) as session:
        case = session.scalar(sa.select(Case).where(Case.number == result.case_number))
        option = session.get(ServiceOption, case.option_id)
        form_options = catalogue.list_options(session=session, area_id=area_id)
        events = session.execute(
            sa.text("SELECT kind, detail FROM case_events WHERE case_id = :c ORDER BY id"), {"c": case.id}
        ).all()
        files = session.execute(sa.text("SELECT original_name FROM attachments WHERE case_id = :c"), {"c": case.id})
        files = [name for (name,) in files]
    assert (case.subject, case.description, case.urgency) == (
        "El proyector de la sala 3 no enciende",
        "No enciende desde ayer.",
        "medium",
    )
    assert option.mail_only and option.name == "Sin clasificar"
    assert option.id not in {o.id for o in form_options}
    assert files == ["foto.png"]
    registered = json.loads(events[0].detail) if isinstance(events[0].detail, str) else events[0].detail
    assert events[0].kind == "registered"
    assert [r["name"] for r in registered["mail"]["refused"]] == ["programa.exe", "grande.pdf"]
    assert "grande.pdf" in registered["mail"]["refused"][1]["why"]
    to_ana = [m.subject for m in _outbox(people) if m.to_address == "ana.perez@example.org" and m.case_id == case.id]
    assert any("registrado" in s.lower() for s in to_ana) and any("no se recibieron" in s.lower() for s in to_ana)
    registered = last_mail_to(people, case.number, "ana.perez@example.org")
    assert registered.in_reply_to is not None


def test_a_requesters_reply_to_a_closed_case_is_held(people, data_dir, uploads):
    number = register_case(people, data_dir / "files")
    with unit_of_work(people) as session:
        session.execute(sa.update(Case).where(Case.number == number).values(status="closed"))

    result = receive(people, mail(subject=f"Re: [Caso #{number}]"), uploads)

    assert (result.status, result.reason) == ("held", "case_closed")
    assert messages(people, number) == []


def test_the_same_mail_imported_twice_or_by_two_readers_at_once_lands_once(people, data_dir, uploads):
    number = register_case(people, data_dir / "files")
    raw = mail(subject=f"Re: [Caso #{number}]")
    results = []

    def read_it():
        results.append(receive(people, raw, uploads))

    readers = [threading.Thread(target=read_it) for _ in range(3)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    again = receive(people, raw, uploads)

    assert sorted(r.duplicate for r in results) == [False, True, True]
    assert again.duplicate and again.case_number == number
    assert len(messages(people, number)) == 1


def test_the_admin_accepts_creates_or_discards_a_held_mail(people, data_dir, uploads):
    admin = _admin(people)
    number = register_case(people, data_dir / "files")
    held_from_stranger = receive(people, mail(sender="proveedor@fuera.test", body="Factura adjunta."), uploads)
    held_from_pedro = receive(people, mail(sender="pedro.gil@example.org", subject="Mi portátil"), uploads)
    spam = receive(people, mail(sender="ofertas@fuera.test", subject="Gane"), uploads)
    assert {held_from_stranger.status, held_from_pedro.status, spam.status} == {"held"}
    ids = [r.id for r in inbound(people)]
    config = settings.current()
    with unit_of_work(people) as session:
        held = mail_in.list_inbound(session=session, actor=admin)
        assert [h.id for h in held] == sorted(ids, reverse=True)
        into = mail_in.accept_into_case(
            session=session, actor=admin, uploads=uploads, config=config, inbound_id=ids[0], number=number
        )
        area_id = session.scalar(sa.select(Area.id).where(Area.name == GT))
        created = mail_in.create_case_from(
            session=session, actor=admin, uploads=uploads, config=config, inbound_id=ids[1], area_id=area_id
        )
        mail_in.discard(session=session, actor=admin, inbound_id=ids[2])
    with pytest.raises(ValidationFailed) as again, unit_of_work(people) as session:
        mail_in.discard(session=session, actor=admin, inbound_id=ids[2])

    assert again.value.key == "mail_in.already_handled"
    assert into == number
    ((author, body, internal),) = messages(people, number)
    assert (author, internal) == ("admin.mesa", True) and "proveedor@fuera.test" in body and "Factura" in body
    with unit_of_work(people, write=False) as session:
        case = session.scalar(sa.select(Case).where(Case.number == created))
        pedro = users.load_actor(session=session, username="pedro.gil")
        statuses = [r.status for r in session.scalars(sa.select(InboundEmail).order_by(InboundEmail.id))]
    assert case.requester_id == pedro.id and case.subject == "Mi portátil"
    assert statuses == ["message", "new_case", "discarded"]


def test_only_admins_see_or_handle_held_mail(people, data_dir, uploads):
    receive(people, mail(sender="nadie@fuera.test"), uploads)
    with unit_of_work(people) as session:
        laura = users.load_actor(session=session, username="laura.rios")
        with pytest.raises(Exception) as refused:
            mail_in.list_inbound(session=session, actor=laura)
    assert "forbidden" in getattr(refused.value, "key", "")


def _admin(engine):
    with unit_of_work(engine, write=False) as session:
        return users.load_actor(session=session, username="admin.mesa")


def _outbox(engine) -> list[OutboxEmail]:
    with unit_of_work(engine, write=False) as session:
        return session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id)).all()


def test_a_no_by_mail_on_a_resolved_case_is_a_message_not_a_reopening(people, data_dir, uploads):
    number = register_case(people, data_dir / "files")
    resolve_case(people, number)

    result = receive(people, mail(subject=f"Re: [Caso #{number}] Caso resuelto", body="No, sigue fallando."), uploads)

    assert result.status == "message"
    with unit_of_work(people, write=False) as session:
        case = session.scalar(sa.select(Case).where(Case.number == number))
        laura = users.load_actor(session=session, username="laura.rios")
        told = session.scalars(
            sa.select(Notification.kind).where(Notification.user_id == laura.id, Notification.case_id == case.id)
        ).all()
    assert case.status == "resolved" and case.reopen_count == 0  # only the survey's No reopens
    assert messages(people, number) == [("ana.perez", "No, sigue fallando.", False)]
    assert "message_received" in told


def test_the_original_eml_is_kept_for_the_cases_staff_and_admins_never_for_the_requester(people, data_dir, uploads):
    number = register_case(people, data_dir / "files")
    raw = mail(subject=f"Re: [Caso #{number}]")
    receive(people, raw, uploads)
    (row,) = inbound(people)
    with unit_of_work(people, write=False) as session:
        who = {name: users.load_actor(session=session, username=name) for name in ("laura.rios", "admin.mesa")}
        for name, actor in who.items():
            assert mail_in.raw_email(session=session, actor=actor, storage=uploads.storage, inbound_id=row.id) == (
                f"correo-{row.id}.eml",
                raw,
            ), name
        for name in ("ana.perez", "pedro.gil"):
            with pytest.raises(NotFound):
                mail_in.raw_email(
                    session=session,
                    actor=users.load_actor(session=session, username=name),
                    storage=uploads.storage,
                    inbound_id=row.id,
                )


def test_a_mistyped_requester_is_named_and_the_desks_own_addresses_are_no_area_address(people, uploads, monkeypatch):
    monkeypatch.setenv("MESA_MAIL_REPLY_TO", "respuestas@empresa.test")
    receive(people, mail(sender="pedro.gil@example.org", subject="Mi portátil"), uploads)
    (row,) = inbound(people)
    admin = _admin(people)
    with unit_of_work(people) as session:
        area_id = session.scalar(sa.select(Area.id).where(Area.name == GT))
        with pytest.raises(ValidationFailed) as typo:
            mail_in.create_case_from(
                session=session,
                actor=admin,
                uploads=uploads,
                config=settings.current(),
                inbound_id=row.id,
                area_id=area_id,
                requester="ana.perz",
            )
        for desk_address in ("mesa@empresa.test", "Respuestas@empresa.test"):
            with pytest.raises(ValidationFailed) as own:
                catalogue.set_inbound_address(session=session, actor=admin, area_id=area_id, address=desk_address)
            assert own.value.key == "admin.area_address_is_desk"
    assert typo.value.key == "mail_in.requester_unknown" and typo.value.params["username"] == "ana.perz"
