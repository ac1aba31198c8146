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
        # A server that holds senders at MAIL FROM, when asked to (SmtpServer.hold): before the message,
        # so a sender that dies there has delivered nothing.
        if not self.server._pass(server):
            while not self.server._pass(server):
                await asyncio.sleep(0.02)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        parsed = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self.lock:
            self.box.append(Received(list(envelope.rcpt_tos), parsed))
            self.server._in_flight.pop(id(asyncio.current_task()), None)
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
        self._let_through: int | None = None  # None: every sender goes on; n: n more, then they wait
        # The senders waiting at MAIL FROM, and those past it whose message has not arrived: each by its
        # connection's task, with its connection (a sender that hangs up is no longer counted).
        self._waiting: dict[int, object] = {}
        self._in_flight: dict[int, object] = {}

    def hold(self, after: int = 0) -> None:
        """Let `after` more senders past MAIL FROM, then hold every next one there until `release()`."""
        with self._lock:
            self._let_through = after

    def release(self) -> None:
        with self._lock:
            self._let_through = None

    @property
    def held(self) -> int:
        """Senders waiting at MAIL FROM, still connected."""
        with self._lock:
            return sum(1 for smtp in self._waiting.values() if smtp.transport is not None)

    @property
    def in_flight(self) -> int:
        """Senders past MAIL FROM whose message has not arrived yet, still connected."""
        with self._lock:
            return sum(1 for smtp in self._in_flight.values() if smtp.transport is not None)

    def _pass(self, smtp) -> bool:
        """Whether a sender at MAIL FROM goes on now (then in flight until its message arrives)."""
        me = id(asyncio.current_task())
        with self._lock:
            go = self._let_through is None or self._let_through > 0
            if go:
                self._waiting.pop(me, None)
                self._in_flight[me] = smtp
                if self._let_through is not None:
                    self._let_through -= 1
            else:
                self._waiting[me] = smtp
            return go

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
