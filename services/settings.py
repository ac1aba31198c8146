"""Settings of the desk: environment variables MESA_*, falling back to .streamlit/secrets.toml.

Every value has a sane embedded default except secrets: the cookie key is generated
once into the data folder (owner-only) when none is configured.
"""

from __future__ import annotations

import os
import secrets
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from services.private_files import make_private_dir

SECRETS_FILE = Path(".streamlit") / "secrets.toml"
COOKIE_KEY_FILE = "cookie_key"
MIN_COOKIE_KEY_LEN = 32
# MESA_IMAP_SECURITY → its default port.
IMAP_SECURITY = {"ssl": "993", "starttls": "143", "none": "143"}


class SettingsError(Exception):
    """A setting has a value the desk cannot run with; the message is for the operator."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path
    cookie_key: str | None
    app_url: str
    org_name: str
    timezone: str
    smtp_host: str | None
    smtp_port: int
    smtp_user: str | None
    smtp_password: str | None
    smtp_starttls: bool
    smtp_ssl: bool
    mail_from: str
    max_upload_mb: int
    session_max_days: float
    session_idle_hours: float
    background_sender: bool
    auto_close_days: int
    outbox_first_retry_seconds: int
    # E-mail in (services/mail_in.py): nothing is read without an IMAP host.
    imap_host: str | None = None
    imap_port: int = 993
    imap_user: str | None = None
    imap_password: str | None = None
    imap_security: str = "ssl"
    imap_folder: str = "INBOX"
    imap_poll_seconds: int = 60
    # Where answers to the desk's e-mails go (default: MESA_MAIL_FROM), and whether each case gets
    # its own signed address there (mesa+caso-123-firma@…: the mailbox must accept sub-addressing).
    mail_reply_to: str | None = None
    mail_plus_addressing: bool = False
    # Whose national holidays the areas' calendars take off (the `holidays` package's country code).
    holiday_country: str = "CO"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def storage_dir(self) -> Path:
        return self.data_dir / "attachments"


def _read_secrets_file(path: Path) -> dict:
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"El archivo {path} no es TOML válido: {exc}") from exc
    return {k: v for k, v in data.items() if k.startswith("MESA_")}


def _int(name: str, raw: object, *, minimum: int = 1) -> int:
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise SettingsError(f"{name} debe ser un número entero (recibido: {raw!r}).") from None
    if value < minimum:
        raise SettingsError(f"{name} debe ser al menos {minimum} (recibido: {value}).")
    return value


def _float(name: str, raw: object) -> float:
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise SettingsError(f"{name} debe ser un número (recibido: {raw!r}).") from None
    if value <= 0:
        raise SettingsError(f"{name} debe ser mayor que cero (recibido: {value}).")
    return value


def _bool(name: str, raw: object) -> bool:
    text = str(raw).strip().lower()
    if text in {"1", "true", "yes", "si", "sí", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"{name} debe ser verdadero o falso (true/false), recibido: {raw!r}.")


def _country(raw: object) -> str:
    import holidays  # only here: the package is large and only calendars need it

    code = str(raw).strip().upper()
    if code not in holidays.list_supported_countries():
        raise SettingsError(f"MESA_HOLIDAY_COUNTRY no es un código de país conocido (recibido: {raw!r}).")
    return code


def load_settings(environ: dict[str, str] | None = None, secrets_file: Path = SECRETS_FILE) -> Settings:
    """Read the settings once; raise SettingsError with a Spanish message when one is wrong."""
    env = dict(os.environ if environ is None else environ)
    values = {**_read_secrets_file(secrets_file), **{k: v for k, v in env.items() if k.startswith("MESA_")}}

    def get(name: str, default=None):
        value = values.get(name)
        if value is None or (isinstance(value, str) and value.strip() == ""):
            return default
        return value.strip() if isinstance(value, str) else value

    data_dir = Path(get("MESA_DATA_DIR", "data"))
    database_url = get("MESA_DATABASE_URL", f"sqlite:///{(data_dir / 'mesa.db').as_posix()}")
    if "://" not in database_url:
        raise SettingsError(f"MESA_DATABASE_URL no parece una URL de base de datos: {database_url!r}.")
    cookie_key = get("MESA_COOKIE_KEY")
    if cookie_key is not None and len(str(cookie_key)) < MIN_COOKIE_KEY_LEN:
        raise SettingsError(
            f"MESA_COOKIE_KEY debe tener al menos {MIN_COOKIE_KEY_LEN} caracteres aleatorios; "
            "déjela vacía para que se genere una en la carpeta de datos."
        )
    smtp_ssl = _bool("MESA_SMTP_SSL", get("MESA_SMTP_SSL", "false"))
    smtp_starttls = _bool("MESA_SMTP_STARTTLS", get("MESA_SMTP_STARTTLS", "false"))
    if smtp_ssl and smtp_starttls:
        raise SettingsError("MESA_SMTP_SSL y MESA_SMTP_STARTTLS no pueden estar activos a la vez.")
    imap_security = str(get("MESA_IMAP_SECURITY", "ssl")).lower()
    if imap_security not in IMAP_SECURITY:
        raise SettingsError(
            f"MESA_IMAP_SECURITY debe ser una de: {', '.join(IMAP_SECURITY)} (recibido: {imap_security!r})."
        )
    return Settings(
        database_url=str(database_url),
        data_dir=data_dir,
        cookie_key=None if cookie_key is None else str(cookie_key),
        app_url=str(get("MESA_APP_URL", "http://127.0.0.1:8501")).rstrip("/"),
        org_name=str(get("MESA_ORG_NAME", "Mesa de Servicio")),
        timezone=str(get("MESA_TIMEZONE", "America/Bogota")),
        smtp_host=get("MESA_SMTP_HOST"),
        smtp_port=_int("MESA_SMTP_PORT", get("MESA_SMTP_PORT", "465" if smtp_ssl else "25")),
        smtp_user=get("MESA_SMTP_USER"),
        smtp_password=get("MESA_SMTP_PASSWORD"),
        smtp_starttls=smtp_starttls,
        smtp_ssl=smtp_ssl,
        mail_from=str(get("MESA_MAIL_FROM", "mesa@localhost")),
        max_upload_mb=_int("MESA_MAX_UPLOAD_MB", get("MESA_MAX_UPLOAD_MB", "10")),
        # The older name MESA_COOKIE_EXPIRY_DAYS still sets the absolute lifetime.
        session_max_days=_float(
            "MESA_SESSION_MAX_DAYS", get("MESA_SESSION_MAX_DAYS", get("MESA_COOKIE_EXPIRY_DAYS", "7"))
        ),
        session_idle_hours=_float("MESA_SESSION_IDLE_HOURS", get("MESA_SESSION_IDLE_HOURS", "24")),
        background_sender=_bool("MESA_BACKGROUND_SENDER", get("MESA_BACKGROUND_SENDER", "true")),
        auto_close_days=_int("MESA_AUTO_CLOSE_DAYS", get("MESA_AUTO_CLOSE_DAYS", "5")),
        outbox_first_retry_seconds=_int(
            "MESA_OUTBOX_FIRST_RETRY_SECONDS", get("MESA_OUTBOX_FIRST_RETRY_SECONDS", "60")
        ),
        imap_host=get("MESA_IMAP_HOST"),
        imap_port=_int("MESA_IMAP_PORT", get("MESA_IMAP_PORT", IMAP_SECURITY[imap_security])),
        imap_user=get("MESA_IMAP_USER"),
        imap_password=get("MESA_IMAP_PASSWORD"),
        imap_security=imap_security,
        imap_folder=str(get("MESA_IMAP_FOLDER", "INBOX")),
        imap_poll_seconds=_int("MESA_IMAP_POLL_SECONDS", get("MESA_IMAP_POLL_SECONDS", "60")),
        mail_reply_to=get("MESA_MAIL_REPLY_TO"),
        mail_plus_addressing=_bool("MESA_MAIL_PLUS_ADDRESSING", get("MESA_MAIL_PLUS_ADDRESSING", "false")),
        holiday_country=_country(get("MESA_HOLIDAY_COUNTRY", "CO")),
    )


def cookie_key(settings: Settings) -> str:
    """The configured cookie key, or one generated once in the data folder (mode 0600)."""
    if settings.cookie_key:
        return settings.cookie_key
    make_private_dir(settings.data_dir)
    path = settings.data_dir / COOKIE_KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another process may have created the file a moment ago: give it time to write.
        for _ in range(50):
            key = path.read_text().strip()
            if len(key) >= MIN_COOKIE_KEY_LEN:
                return key
            time.sleep(0.02)
        raise SettingsError(f"El archivo {path} no contiene una clave válida; bórrelo para generar otra.") from None
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32))
    return path.read_text().strip()


_cached: tuple[tuple, Settings] | None = None


def current() -> Settings:
    """The settings in effect for this process, re-read when the MESA_* environment changes: the one
    cache of them, for services and pages (app_pages/ui/runtime.py) alike."""
    global _cached
    key = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("MESA_")))
    if _cached is None or _cached[0] != key:
        _cached = (key, load_settings())
    return _cached[1]
