"""Declarative base with a naming convention, so Alembic names constraints the same on every database."""

from datetime import UTC, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Now in UTC, naive: every timestamp is stored in UTC and shown in MESA_TIMEZONE."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(so.DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)


def check_in(column: str, values) -> str:
    """SQL for a CHECK constraint that keeps a text column inside a closed set of values."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"
