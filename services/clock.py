"""The one clock of the services (UTC, naive). Tests replace `now` to move time; nothing else does."""

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
