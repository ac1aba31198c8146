"""E-mail in, as people see it: a requester answers the desk's e-mail from their mail client, the reply is
delivered into the desk's mailbox (a real Dovecot), and it shows in Verificar mis Casos and in the
advisor's work view, with the advisor told; the advisor answers by mail and the requester gets it."""

import re
import time
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
import sqlalchemy as sa

from models import InboundEmail
from services.db import unit_of_work
from tests.browser.conftest import launch, log_in, settle, wait_for_mail
from tests.conftest import drop_database, make_user, new_database, register_case
from tests.imap import ImapServer
from tests.smtp import SmtpServer

GT = "Gestión Tecnológica"
POLL_SECONDS = 2


@pytest.fixture(scope="module")
def mail_desk(tmp_path_factory, migrated_template, chromium):
    """The app with its mailbox: Dovecot on 127.0.0.1, read every POLL_SECONDS by the app's own sender."""
    smtp = SmtpServer().start()
    imap = ImapServer(tmp_path_factory.mktemp("imap")).start()
    folder = tmp_path_factory.mktemp("live-mail")
    app = launch(
        folder,
        new_database(migrated_template, folder),
        chromium,
        smtp,
        {
            "MESA_MAIL_FROM": "mesa@comfanorte.test",
            "MESA_IMAP_HOST": imap.host,
            "MESA_IMAP_PORT": str(imap.port),
            "MESA_IMAP_SECURITY": "none",
            "MESA_IMAP_USER": imap.user,
            "MESA_IMAP_PASSWORD": imap.password,
            "MESA_IMAP_POLL_SECONDS": str(POLL_SECONDS),
        },
    )
    app.imap = imap
    make_user(app.engine, "laura.rios", "advisor", areas=[GT], full_name="Laura Ríos")
    yield app
    app.stop()
    imap.stop()
    smtp.stop()
    drop_database(app.database_url)


def reply_to(received, *, sender: str, body: str) -> bytes:
    """What a mail client sends when its user presses Responder on one of the desk's e-mails (Gmail in Spanish)."""
    original = received.message
    message = EmailMessage()
    message["From"] = sender
    message["To"] = str(original["Reply-To"] or original["From"])
    message["Subject"] = f"Re: {original['Subject']}"
    message["Message-ID"] = make_msgid(domain="gmail.test")
    message["In-Reply-To"] = original["Message-ID"]
    message["References"] = original["Message-ID"]
    quoted = "\n".join(f"> {line}" for line in received.part("plain").splitlines())
    message.set_content(
        f"{body}\n\nEl jue, 27 nov 2026 a las 10:02, Comfanorte (<mesa@comfanorte.test>) escribió:\n\n{quoted}\n"
    )
    return message.as_bytes()


def wait_imported(app, count: int, timeout: float = 30) -> None:
    """Until the app's reader has imported `count` e-mails (what the person waits for: the next poll)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with unit_of_work(app.engine, write=False) as session:
            if session.scalar(sa.select(sa.func.count()).select_from(InboundEmail)) >= count:
                return
        time.sleep(0.2)
    raise AssertionError(f"the app read no e-mail in {timeout} s")


def test_a_reply_by_mail_reaches_verificar_and_the_advisor_and_the_advisors_mail_reaches_the_requester(
    mail_desk, open_tab
):
    number = register_case(mail_desk.engine, mail_desk.data_dir / "attachments", subject="La impresora no imprime")
    registered = wait_for_mail(mail_desk.smtp, "ana.perez@example.org", f"[Caso #{number}]")[0]
    mail_desk.imap.append(
        reply_to(registered, sender="Ana Pérez <ana.perez@example.org>", body="Sigue saliendo el error E-42.")
    )
    wait_imported(mail_desk, 1)

    ana = open_tab()
    log_in(ana, f"{mail_desk.url}/verificar?caso={number}", "ana.perez")
    ana.get_by_text("Sigue saliendo el error E-42.").wait_for()
    assert ana.get_by_text("escribió:").count() == 0  # the quoted history stayed out

    laura = open_tab()
    log_in(laura, f"{mail_desk.url}/bandeja?caso={number}", "laura.rios")
    laura.get_by_role("heading", name=f"Caso #{number}").wait_for()
    laura.get_by_text("Sigue saliendo el error E-42.").wait_for()
    settle(laura)
    laura.get_by_role("link", name=re.compile(r"^Mensajes \(\d+\)")).click()  # the advisor is told in the app …
    laura.get_by_text(f"Nuevo mensaje de Ana Pérez en el caso #{number}").first.wait_for()

    # … and by e-mail, which they answer from their mail client.
    told = wait_for_mail(mail_desk.smtp, "laura.rios@example.org", f"[Caso #{number}] Nuevo mensaje")[0]
    mail_desk.imap.append(
        reply_to(told, sender="Laura Ríos <laura.rios@example.org>", body="Hoy a las 3 cambio el tóner.")
    )
    wait_imported(mail_desk, 2)
    answer = wait_for_mail(mail_desk.smtp, "ana.perez@example.org", "Nuevo mensaje")[0]
    assert "Hoy a las 3 cambio el tóner." in answer.part("plain")
    assert answer.message["In-Reply-To"]
    ana.goto(f"{mail_desk.url}/verificar?caso={number}")
    ana.get_by_text("Hoy a las 3 cambio el tóner.").wait_for()
