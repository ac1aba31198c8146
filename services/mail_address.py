"""The case's own reply address: mesa+caso-123-<firma>@dominio, signed so nobody can write into a case
by guessing its number.

The signature is an HMAC of the case number under a key derived from the desk's secret (the cookie
key), cut to 12 hex digits: forging one means guessing 48 bits per case. Only used when the mailbox
accepts sub-addressing (MESA_MAIL_PLUS_ADDRESSING); otherwise replies go to the plain address and
are threaded by their In-Reply-To/References.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from services.settings import Settings, cookie_key

SIGNATURE_HEX = 12
_TAG = re.compile(r"^(?P<base>[^+@]+)\+caso-(?P<number>\d{1,12})-(?P<signature>[0-9a-z]{1,64})$", re.IGNORECASE)


def desk_address(config: Settings) -> str:
    """The address answers go to (MESA_MAIL_REPLY_TO, or MESA_MAIL_FROM)."""
    return (config.mail_reply_to or config.mail_from).strip()


def _signature(config: Settings, number: int) -> str:
    key = hashlib.sha256(b"mesa-reply-address:" + cookie_key(config).encode()).digest()
    return hmac.new(key, f"caso-{number}".encode(), hashlib.sha256).hexdigest()[:SIGNATURE_HEX]


def reply_address(config: Settings, number: int | None) -> str:
    """Where the recipient of an e-mail about case `number` should answer."""
    base = desk_address(config)
    if number is None or not config.mail_plus_addressing:
        return base
    local, _, domain = base.rpartition("@")
    return f"{local}+caso-{number}-{_signature(config, number)}@{domain}"


@dataclass(frozen=True)
class Tagged:
    """A recipient address that names a case: its number, and whether its signature is ours."""

    number: int
    genuine: bool


def read_tag(config: Settings, address: str) -> Tagged | None:
    """The case an address of ours names (mesa+caso-N-firma@ our domain), or None for any other address."""
    local, _, domain = address.strip().lower().rpartition("@")
    base_local, _, base_domain = desk_address(config).lower().rpartition("@")
    match = _TAG.match(local)
    if match is None or domain != base_domain or match["base"] != base_local:
        return None
    number = int(match["number"])
    return Tagged(number, hmac.compare_digest(match["signature"].lower(), _signature(config, number)))
