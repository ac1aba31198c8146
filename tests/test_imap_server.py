"""The private Dovecot of tests/imap.py: delivery, reading with imap_tools, an outage and a wrong password."""

import imaplib
import socket
from email.message import EmailMessage

import pytest
from imap_tools import MailBoxUnencrypted
from imap_tools.errors import MailboxLoginError

from tests.imap import ImapServer


def _raw(subject: str, body: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Ana Pérez <ana@example.com>"
    message["To"] = "mesa@example.com"
    message["Subject"] = subject
    message.set_content(body)
    return message.as_bytes().replace(b"\n", b"\r\n")


@pytest.fixture
def imap(tmp_path):
    server = ImapServer(tmp_path / "imap").start()
    yield server
    server.stop()


def test_append_then_read_and_flag_with_imap_tools(imap):
    first = imap.append(_raw("Impresora rota", "No imprime desde ayer."))
    second = imap.append(_raw("Clave olvidada", "No puedo entrar."))
    assert second > first
    assert imap.uids() == [first, second]

    with MailBoxUnencrypted(imap.host, imap.port).login(imap.user, imap.password) as box:
        messages = list(box.fetch(mark_seen=False))
        assert [m.subject for m in messages] == ["Impresora rota", "Clave olvidada"]
        assert messages[0].from_ == "ana@example.com"
        assert messages[0].text.strip() == "No imprime desde ayer."
        box.flag(str(first), "\\Seen", True)

    assert "\\Seen" in imap.flags(first)
    assert "\\Seen" not in imap.flags(second)
    assert imap.uids(criteria="UNSEEN") == [second]
    assert imap.uids(criteria="SEEN") == [first]


def test_flags_on_append_and_other_folders(imap):
    imap.create_folder("Procesados")
    uid = imap.append(_raw("Ya visto", "."), folder="Procesados", flags=("\\Seen", "\\Flagged"))
    assert imap.flags(uid, folder="Procesados") >= {"\\Seen", "\\Flagged"}
    assert imap.uids(folder="Procesados") == [uid]
    assert imap.uids() == []
    with pytest.raises(LookupError):
        imap.flags(uid + 1, folder="Procesados")


def test_outage_and_its_end_keep_the_mail(imap):
    uid = imap.append(_raw("Antes del corte", "."))
    connected = MailBoxUnencrypted(imap.host, imap.port).login(imap.user, imap.password)
    imap.stop()
    with pytest.raises(OSError), socket.create_connection((imap.host, imap.port), timeout=1):
        pass
    with pytest.raises((OSError, imaplib.IMAP4.abort)):  # a client connected through the outage loses it
        list(connected.fetch())
    imap.stop()  # a second stop is harmless

    imap.restart()
    assert imap.uids() == [uid]
    assert imap.append(_raw("Después del corte", ".")) > uid  # UIDs go on from where they were
    with MailBoxUnencrypted(imap.host, imap.port).login(imap.user, imap.password) as box:
        assert [m.subject for m in box.fetch()] == ["Antes del corte", "Después del corte"]


def test_wrong_password_is_refused(imap):
    with pytest.raises(MailboxLoginError):
        MailBoxUnencrypted(imap.host, imap.port).login(imap.user, "otra-cosa")
    client = imaplib.IMAP4(imap.host, imap.port, timeout=5)
    with pytest.raises(imaplib.IMAP4.error):
        client.login("nadie", imap.password)
    client.shutdown()
    # The right password still works straight after (no penalty for the failures).
    with MailBoxUnencrypted(imap.host, imap.port).login(imap.user, imap.password) as box:
        assert box.folder.get() == "INBOX"
