"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what arrives, for the e-mail tests."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from dataclasses import dataclass

from aiosmtpd.controller import Controller


@dataclass
class Received:
    to: list[str]
    message: email.message.EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        return self.message.get_body(preferencelist=(subtype,)).get_content()


class _Keeper:
    def __init__(self, box: list[Received], lock: threading.Lock, server: SmtpServer):
        self.box, self.lock, self.server = box, lock, server

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802
        # A slow server, when asked for (SmtpServer.delay): before the message, so a sender that dies
        # meanwhile has delivered nothing.
        if self.server.delay:
            await asyncio.sleep(self.server.delay)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        parsed = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self.lock:
            self.box.append(Received(list(envelope.rcpt_tos), parsed))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    """Start, stop and start again on the same port (an outage and its end)."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None
        self.delay = 0.0  # seconds each e-mail waits before the server takes it

    def start(self) -> SmtpServer:
        self._controller = Controller(_Keeper(self.received, self._lock, self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if address in r.to]
