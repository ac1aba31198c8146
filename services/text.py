"""Typed text as the desk keeps it: without NUL characters (PostgreSQL refuses them in text and
SQLite would keep them, so both databases store the same), without outer spaces, and empty when
nothing of it would show on screen."""

import unicodedata

# Characters drawn as nothing that are not spaces, controls or format characters: the Unicode
# Default_Ignorable_Code_Point fillers and variation selectors, and the blank Braille cell.
_BLANK_GLYPHS = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u2800\u3164\uffa0"
    + "".join(map(chr, range(0xFE00, 0xFE10)))
    + "".join(map(chr, range(0xE0100, 0xE01F0)))
)


def invisible(ch: str) -> bool:
    """A character that takes no visible form: spaces, controls, format characters (zero-width space,
    joiners, word joiner, BOM, bidi marks, soft hyphen, tags), line and paragraph separators, fillers."""
    return ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp") or ch in _BLANK_GLYPHS


def shows_something(value: str) -> bool:
    """True when at least one character of the text would be seen on screen."""
    return not all(invisible(ch) for ch in value)


def clean(value: str | None) -> str:
    """The text without NUL and outer spaces; "" when what is left shows nothing (only zero-width characters)."""
    cleaned = (value or "").replace("\x00", "").strip()
    return cleaned if shows_something(cleaned) else ""
