"""Password hashing and the password policy (bcrypt, as streamlit-authenticator checks it)."""

import os
import re

import bcrypt

from services import password_strength, settings
from services.errors import ValidationFailed

MIN_PASSWORD_LEN = 8
MAX_PASSWORD_BYTES = 72  # bcrypt refuses longer input
# Cost 11 by default (OWASP asks for 10 or more): ~0.12 s a check on one core here, half of cost 12's
# (README "Settings" and "In a browser"). A login re-hashes a password stored at another cost, so a
# change of MESA_BCRYPT_ROUNDS reaches every account that logs in. Tests lower it to 4 to stay fast.
BCRYPT_ROUNDS = max(4, min(15, int(os.environ.get("MESA_BCRYPT_ROUNDS", "11"))))

USERNAME_RE = re.compile(r"^[a-z0-9]+(?:\.[a-z0-9]+)*$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=BCRYPT_ROUNDS)).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    encoded = password.encode("utf-8")
    if len(encoded) > MAX_PASSWORD_BYTES:
        return False
    return bcrypt.checkpw(encoded, password_hash.encode("ascii"))


def needs_rehash(password_hash: str) -> bool:
    """Whether a stored bcrypt hash ("$2b$12$…") was made at another cost than the one in effect."""
    parts = password_hash.split("$")
    return len(parts) < 4 or not parts[2].isdigit() or int(parts[2]) != BCRYPT_ROUNDS


# A hash to check against when a username is unknown, so both answers take the same time.
DUMMY_HASH = hash_password("no-such-user-dummy")


def check_password_policy(
    password: str,
    *,
    username: str,
    full_name: str = "",
    email: str = "",
    org_name: str | None = None,
    field: str = "password",
) -> None:
    """Refuse a new password that breaks the policy shown to the user, with the reason.

    Besides length and the username, the password must be hard to guess (zxcvbn score 3+)
    for an attacker who knows the person's names, e-mail, the organisation (by default the
    configured MESA_ORG_NAME) and a list of common Spanish passwords.
    """
    if password != password.strip():
        raise ValidationFailed("password.spaces", field=field)
    if len(password) < MIN_PASSWORD_LEN:
        raise ValidationFailed("password.too_short", field=field, min=MIN_PASSWORD_LEN)
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise ValidationFailed("password.too_long", field=field, max=MAX_PASSWORD_BYTES)
    if username and password.lower() == username.lower():
        raise ValidationFailed("password.is_username", field=field)
    reason = password_strength.weakness(
        password,
        username=username,
        full_name=full_name,
        email=email,
        org_name=settings.current().org_name if org_name is None else org_name,
    )
    if reason:
        raise ValidationFailed(reason, field=field)


def normalize_username(raw: str) -> str:
    """The stored form of a username (lower case) or a ValidationFailed saying why it can't be one."""
    username = (raw or "").strip().lower()
    if not username:
        raise ValidationFailed("user.username_required", field="username")
    if len(username) < 3 or len(username) > 60 or not USERNAME_RE.match(username):
        raise ValidationFailed("user.username_format", field="username")
    return username


def normalize_email(raw: str) -> str:
    email = (raw or "").replace("\x00", "").strip()
    if not email:
        raise ValidationFailed("user.email_required", field="email")
    if len(email) > 254 or not EMAIL_RE.match(email):
        raise ValidationFailed("user.email_format", field="email")
    return email


def normalize_full_name(raw: str) -> str:
    name = " ".join((raw or "").replace("\x00", "").split())
    if not name:
        raise ValidationFailed("user.full_name_required", field="full_name")
    if len(name) > 120:
        raise ValidationFailed("user.full_name_too_long", field="full_name", max=120)
    return name
