"""Typed text as the desk keeps it: without NUL characters (PostgreSQL refuses them in text and
SQLite would keep them, so both databases store the same), without outer spaces."""


def clean(value: str | None) -> str:
    return (value or "").replace("\x00", "").strip()
