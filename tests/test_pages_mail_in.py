"""Administración → Correo and Áreas y opciones in AppTest, for the e-mail the desk reads: what an admin sees
of a held e-mail and what each action leaves in the database, the mailbox check and the readers' state
against a real IMAP server (Dovecot), the areas' addresses, and bounces in the outbox.

A page refused to an employee or an advisor is tested with every other staff page in tests/test_attacks.py."""

import re
from email.utils import make_msgid

import pytest
import sqlalchemy as sa

from models import Area, Case, CaseMessage, InboundEmail, OutboxEmail, ServiceOption, User
from services import catalogue, mail_in, settings, users
from services.cases import Uploads
from services.db import unit_of_work
from services.storage import Storage
from tests.conftest import logged_in_app, make_user, register_case, texts
from tests.test_mail_in import mail

GT = "Gestión Tecnológica"
SG = "Servicios Generales"
MAIL_PAGE = "app_pages/admin_correo.py"
CATALOGUE_PAGE = "app_pages/admin_catalogo.py"


@pytest.fixture
def people(desk, monkeypatch):
    monkeypatch.setenv("MESA_MAIL_FROM", "mesa@empresa.test")
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    make_user(desk, "pedro.gil", full_name="Pedro Gil")
    make_user(desk, "laura.rios", role="advisor", areas=[GT], full_name="Laura Ríos")
    return desk


def receive(engine, raw: bytes) -> int:
    """Import one e-mail as the mailbox reader does, into the storage the app reads; the id of its row."""
    config = settings.current()
    mail_in.import_message(engine, raw, config, Uploads(Storage(config.storage_dir), config.max_upload_mb))
    with unit_of_work(engine, write=False) as session:
        return session.scalar(sa.select(InboundEmail.id).where(InboundEmail.message_id == mail_in.read(raw).message_id))


def plain(at) -> str:
    """The page's text as a user reads it (Markdown escapes of user text removed)."""
    return re.sub(r"\\(.)", r"\1", texts(at))


def open_page(page: str, username: str = "admin.mesa"):
    at = logged_in_app(username)
    at.switch_page(page).run()
    assert not at.exception
    return at


def keys(at) -> set[str]:
    return {b.key for b in at.button if b.key}


def button(at, label: str):
    return next(b for b in at.button if b.label == label)


def figure(at, label: str) -> int:
    """A count the page shows for a status: in the figures line ("**1** rebotados") or on a metric card."""
    for metric in at.metric:
        if metric.label == label:
            return int(metric.value)
    line = "\n".join(m.value for m in at.markdown)
    return int(re.search(rf"\*\*(\d+)\*\* {re.escape(label.lower())}\b", line)[1])


def inbound_row(engine, inbound_id: int) -> InboundEmail:
    with unit_of_work(engine, write=False) as session:
        return session.get(InboundEmail, inbound_id)


def case_count(engine) -> int:
    with unit_of_work(engine, write=False) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(Case))


def area_id(engine, name: str) -> int:
    with unit_of_work(engine, write=False) as session:
        return session.scalar(sa.select(Area.id).where(Area.name == name))


def set_address(engine, area: str, address: str) -> None:
    with unit_of_work(engine) as session:
        admin = users.load_actor(session=session, username="admin.mesa")
        catalogue.set_inbound_address(session=session, actor=admin, area_id=area_id(engine, area), address=address)


# --- Held e-mail: accept, create, discard ---------------------------------------------------------


def test_a_held_mail_from_a_stranger_is_shown_with_its_reason_and_accepted_into_a_case(people, data_dir):
    number = register_case(people, data_dir / "files")
    set_address(people, GT, "soporte@empresa.test")
    held = receive(
        people,
        mail(
            sender="proveedor@fuera.test",
            to="soporte@empresa.test",
            subject="Factura de marzo",
            body="Adjunto la factura.",
        ),
    )

    at = open_page(MAIL_PAGE)

    assert [tab.label for tab in at.tabs] == ["Correo que sale", "Correo que llega (1 retenido)"]
    shown = plain(at)
    assert "Factura de marzo" in shown and "Persona <proveedor@fuera.test>" in shown
    assert "el remitente no es un usuario activo de la mesa" in shown
    assert "Adjunto la factura." in shown
    assert {f"in_accept_{held}", f"in_create_{held}", f"in_discard_{held}"} <= keys(at)
    assert [d.key for d in at.get("download_button")] == [f"in_eml_{held}"]
    assert "No hay buzón configurado (MESA_IMAP_HOST): la mesa no lee correo." in shown
    assert button(at, "Probar conexión").disabled

    assert at.number_input(key=f"in_case_{held}").value is None  # it names no case: the admin types one
    at.number_input(key=f"in_case_{held}").set_value(number)
    at.button(key=f"in_accept_{held}").click().run()

    assert not at.exception
    assert [s.value for s in at.success] == ["Correo agregado al caso."]
    assert "Factura de marzo" not in plain(at)
    assert f"in_accept_{held}" not in keys(at)
    assert at.tabs[1].label == "Correo que llega (0 retenidos)"
    assert "No hay correos en esta lista." in plain(at)
    row = inbound_row(people, held)
    with unit_of_work(people, write=False) as session:
        case = session.scalar(sa.select(Case).where(Case.number == number))
        admin = session.scalar(sa.select(User).where(User.username == "admin.mesa"))
        notes = session.execute(
            sa.select(CaseMessage.author_id, CaseMessage.body, CaseMessage.internal).where(
                CaseMessage.case_id == case.id
            )
        ).all()
    assert (row.status, row.case_id, row.handled_by_id) == ("message", case.id, admin.id)
    ((author, body, internal),) = notes
    assert author == admin.id and internal
    assert "Correo de Persona <proveedor@fuera.test>, agregado por un administrador:" in body
    assert "Adjunto la factura." in body
    with unit_of_work(people, write=False) as session:
        to_requester = session.scalars(
            sa.select(OutboxEmail.body_text).where(OutboxEmail.to_address == "ana.perez@example.org")
        ).all()
    assert to_requester and not [b for b in to_requester if "Adjunto la factura" in b]  # a stranger's words stay inside


def test_create_case_for_a_known_sender_and_refuse_an_unknown_one_without_a_requester(people):
    from_pedro = receive(people, mail(sender="pedro.gil@example.org", subject="Mi portátil no enciende"))
    from_stranger = receive(people, mail(sender="nadie@fuera.test", subject="Necesito ayuda"))
    sg = area_id(people, SG)
    at = open_page(MAIL_PAGE)
    assert at.tabs[1].label == "Correo que llega (2 retenidos)"
    assert "no responde a ningún caso ni va a la dirección de un área" in plain(at)

    # No area is chosen for the admin: a case is never opened in whichever area comes first.
    assert at.selectbox(key=f"in_area_{from_pedro}").value is None
    at.button(key=f"in_create_{from_pedro}").click().run()
    assert [e.value for e in at.error] == ["Elija el área del caso."]
    assert inbound_row(people, from_pedro).status == "held" and case_count(people) == 0

    at.selectbox(key=f"in_area_{from_pedro}").set_value(sg)
    at.button(key=f"in_create_{from_pedro}").click().run()

    assert not at.exception
    assert [s.value for s in at.success] == ["Caso creado a partir del correo."]
    assert inbound_row(people, from_pedro).status == "new_case"
    with unit_of_work(people, write=False) as session:
        case = session.get(Case, inbound_row(people, from_pedro).case_id)
        option = session.get(ServiceOption, case.option_id)
        pedro = users.load_actor(session=session, username="pedro.gil")
    assert (case.requester_id, case.area_id, case.subject) == (pedro.id, sg, "Mi portátil no enciende")
    assert (option.area_id, option.name, option.mail_only) == (sg, "Sin clasificar", True)

    # The stranger's e-mail, with no requester named: refused, and nothing changes.
    cases_before = case_count(people)
    at.selectbox(key=f"in_area_{from_stranger}").set_value(sg)
    at.button(key=f"in_create_{from_stranger}").click().run()

    assert not at.exception
    assert [e.value for e in at.error] == ["El remitente no es un usuario de la mesa: elija quién será el solicitante."]
    assert not at.success
    assert case_count(people) == cases_before
    row = inbound_row(people, from_stranger)
    assert (row.status, row.case_id, row.handled_by_id) == ("held", None, None)
    assert f"in_create_{from_stranger}" in keys(at) and "Necesito ayuda" in plain(at)

    # Named, the requester gets the case.
    at.text_input(key=f"in_requester_{from_stranger}").input("ana.perez")
    at.button(key=f"in_create_{from_stranger}").click().run()

    assert [s.value for s in at.success] == ["Caso creado a partir del correo."]
    with unit_of_work(people, write=False) as session:
        case = session.get(Case, inbound_row(people, from_stranger).case_id)
        ana = users.load_actor(session=session, username="ana.perez")
    assert (case.requester_id, case.area_id, case.subject) == (ana.id, sg, "Necesito ayuda")
    assert at.tabs[1].label == "Correo que llega (0 retenidos)"


def test_a_discarded_mail_leaves_the_held_list_and_a_second_admin_is_told_it_was_handled(people):
    make_user(people, "sofia.admin", role="admin")
    spam = receive(people, mail(sender="ofertas@fuera.test", subject="Gane un crucero"))
    first = open_page(MAIL_PAGE)
    second = open_page(MAIL_PAGE, "sofia.admin")
    assert "Gane un crucero" in plain(second)

    first.button(key=f"in_discard_{spam}").click().run()

    assert [s.value for s in first.success] == ["Correo descartado."]
    assert "Gane un crucero" not in plain(first)
    first.selectbox(key="mail_in_status").set_value("discarded").run()
    assert "Gane un crucero" in plain(first) and "Descartado" in plain(first)
    assert f"in_discard_{spam}" not in keys(first)  # handled: nothing left to do with it
    row = inbound_row(people, spam)
    assert row.status == "discarded" and row.handled_at is not None

    second.button(key=f"in_discard_{spam}").click().run()  # still on the screen it loaded before

    assert not second.exception
    assert [e.value for e in second.error] == ["Otro administrador ya atendió ese correo; la lista se actualizó."]
    assert "Gane un crucero" not in plain(second) and f"in_discard_{spam}" not in keys(second)
    with unit_of_work(people, write=False) as session:
        first_admin = session.scalar(sa.select(User.id).where(User.username == "admin.mesa"))
    assert inbound_row(people, spam).handled_by_id == first_admin


# --- The mailbox: Probar conexión and the readers (real Dovecot) -----------------------------------


def test_probar_conexion_counts_the_unread_mail_and_tells_a_server_that_is_down(people, imap):
    for index in range(3):
        imap.append(mail(subject=f"Correo {index}"))
    imap.append(mail(subject="Ya leído"), flags=("\\Seen",))
    at = open_page(MAIL_PAGE)
    assert not button(at, "Probar conexión").disabled
    assert "No hay buzón configurado" not in plain(at)

    button(at, "Probar conexión").click().run()

    assert not at.exception
    assert [re.sub(r"\\(.)", r"\1", s.value) for s in at.success] == [
        "Conexión correcta. Correos sin leer en la carpeta: 3."
    ]

    imap.stop()
    button(at, "Probar conexión").click().run()

    assert not at.exception
    assert not at.success
    assert len(at.error) == 1 and "Conexión correcta" not in at.error[0].value
    assert "ConnectionRefusedError" in at.error[0].value


def test_each_readers_last_poll_shows_and_a_failed_poll_is_a_warning_with_its_error(people, imap):
    imap.append(mail(sender="nadie@fuera.test", subject="Llegó por IMAP"))
    assert mail_in.poll(people, settings.current(), name="lector-prueba").imported == 1

    at = open_page(MAIL_PAGE)

    line = next(c.value for c in at.caption if c.value.startswith("Lector lector"))
    read_line = re.sub(r"\\(.)", r"\1", line)
    when = r"\d{1,2} de \w+ de \d{4}, \d{2}:\d{2}"
    assert re.fullmatch(
        rf"Lector lector-prueba: última lectura {when}, última correcta {when}; 1 correo importado\.", read_line
    ), read_line
    assert not at.warning
    assert "Llegó por IMAP" in plain(at) and at.tabs[1].label == "Correo que llega (1 retenido)"

    imap.stop()
    failed = mail_in.poll(people, settings.current(), name="lector-prueba")
    assert failed.error
    at.run()

    assert not at.exception
    (warning,) = [re.sub(r"\\(.)", r"\1", w.value) for w in at.warning]
    assert warning.startswith("Lector lector-prueba: última lectura ")
    assert re.search(rf"última correcta {when};", warning)  # the last good poll is still told
    assert failed.error in warning
    assert not [c for c in at.caption if c.value.startswith("Lector lector")]


# --- Áreas y opciones: each area's address ---------------------------------------------------------


def test_an_areas_address_is_saved_once_and_never_taken_twice_nor_the_desks_own(people):
    gt, sg = area_id(people, GT), area_id(people, SG)
    at = open_page(CATALOGUE_PAGE)
    assert at.text_input(key=f"address_{gt}").label == "Dirección de correo del área"

    at.text_input(key=f"address_{gt}").input("Soporte@Empresa.test")
    at.button(key=f"address_save_{gt}").click().run()

    assert not at.exception
    assert [s.value for s in at.success] == ["Cambios guardados."]

    def addresses():
        with unit_of_work(people, write=False) as session:
            admin = users.load_actor(session=session, username="admin.mesa")
            return {a.name: a.inbound_address for a in catalogue.area_details(session=session, actor=admin)}

    assert addresses()[GT] == "soporte@empresa.test"
    with unit_of_work(people, write=False) as session:
        mail_options = session.scalars(
            sa.select(ServiceOption.name).where(ServiceOption.area_id == gt, ServiceOption.mail_only.is_(True))
        ).all()
    assert mail_options == ["Sin clasificar"]
    before = addresses()

    at.text_input(key=f"address_{sg}").input("soporte@empresa.test")
    at.button(key=f"address_save_{sg}").click().run()

    assert not at.exception
    assert [e.value for e in at.error] == ["Esa dirección ya es del área Gestión Tecnológica."]
    assert not at.success
    assert addresses() == before

    at.text_input(key=f"address_{sg}").input("Mesa@Empresa.test")  # MESA_MAIL_FROM
    at.button(key=f"address_save_{sg}").click().run()

    assert not at.exception
    assert [e.value for e in at.error] == ["Esa es la dirección general de la mesa; use una propia del área."]
    assert addresses() == before


# --- The outbox: bounces --------------------------------------------------------------------------


def _bounce_of(outgoing: OutboxEmail) -> bytes:
    """A delivery report about one of our e-mails, as Postfix writes it (RFC 3464: multipart/report with a
    message/delivery-status part and the original's headers)."""
    return f"""From: Mail Delivery System <MAILER-DAEMON@mx.empresa.test>
To: mesa@empresa.test
Subject: Undelivered Mail Returned to Sender
Message-ID: {make_msgid(domain="mx.empresa.test")}
Date: Thu, 27 Nov 2026 10:05:00 -0500
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="limite"

--limite
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.empresa.test. Your message could not be delivered.

--limite
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.empresa.test

Final-Recipient: rfc822; {outgoing.to_address}
Original-Recipient: rfc822;{outgoing.to_address}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 mailbox unavailable

--limite
Content-Type: text/rfc822-headers

Message-ID: {outgoing.message_id}
To: {outgoing.to_address}
Subject: {outgoing.subject}

--limite--
""".replace("\n", "\r\n").encode()


def test_a_bounced_email_shows_under_rebotados_with_its_reason(people, data_dir):
    register_case(people, data_dir / "files", subject="Impresora atascada")
    with unit_of_work(people, write=False) as session:
        outgoing = session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id)).all()
    to_ana = next(m for m in outgoing if m.to_address == "ana.perez@example.org")
    others = [m for m in outgoing if m.id != to_ana.id]
    assert others, "the case told someone else too: the filter has something to leave out"
    dsn = receive(people, _bounce_of(to_ana))

    at = open_page(MAIL_PAGE)
    assert figure(at, "Rebotados") == 1
    at.selectbox(key="mail_status").set_value("bounced").run()

    assert not at.exception
    rows = [re.sub(r"\\(.)", r"\1", m.value) for m in at.markdown if "intento" in m.value]
    assert len(rows) == 1, rows
    assert to_ana.subject in rows[0] and "ana.perez@example.org · Rebotados" in rows[0]
    assert "smtp; 550 5.1.1 mailbox unavailable" in [re.sub(r"\\(.)", r"\1", c.value) for c in at.caption]

    # The report itself is kept among the e-mails read, as a bounce that found its e-mail.
    at.selectbox(key="mail_in_status").set_value("bounce").run()
    shown = plain(at)
    assert "Undelivered Mail Returned to Sender" in shown
    assert "marcó como rebotado el correo al que se refiere" in shown
    assert f"in_discard_{dsn}" not in keys(at)
