"""The one clock of the services and the organisation's local time.

Times are stored in UTC, naive; people read them in MESA_TIMEZONE. Tests replace `now` to move
time; nothing else does. Loops over many rows compute `tz()` once and pass it as `zone`.
"""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from services import settings


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def tz() -> ZoneInfo:
    """The organisation's time zone (MESA_TIMEZONE, America/Bogota by default)."""
    return ZoneInfo(settings.current().timezone)


def to_local(moment: datetime, zone: ZoneInfo | None = None) -> datetime:
    """A stored (naive UTC) time as an aware time in the organisation's zone."""
    return moment.replace(tzinfo=UTC).astimezone(zone or tz())


def local_now() -> datetime:
    return to_local(now())


def local_day(moment: datetime, zone: ZoneInfo | None = None) -> date:
    """The organisation's calendar day of a stored time."""
    return to_local(moment, zone).date()


def utc_start_of(day: date, zone: ZoneInfo | None = None) -> datetime:
    """The stored (naive UTC) time at which a local calendar day begins."""
    return datetime.combine(day, time.min, zone or tz()).astimezone(UTC).replace(tzinfo=None)


def spoken(moment: datetime, language: str = "es", zone: ZoneInfo | None = None) -> str:
    """A stored time as people say it, in local time: "lunes 1 de diciembre, 09:20"."""
    pattern = "EEEE d 'de' MMMM, HH:mm" if language != "en" else "EEEE, MMMM d, HH:mm"
    return format_datetime(to_local(moment, zone), pattern, locale=language)
