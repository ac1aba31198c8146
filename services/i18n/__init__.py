"""The one message catalogue: every text a user reads, by key, one module per language (es.py, en.py).

Plurals: a key may have forms `key.one` and `key.other`; `t(key, lang, count=n)` picks the form the
language's rule asks for (Spanish and English: one for 1, other otherwise), so no text fakes "(s)".
"""

from __future__ import annotations

from services.i18n.en import EN
from services.i18n.es import ES

DEFAULT_LANGUAGE = "es"
CATALOGUES = {"es": ES, "en": EN}


def _plural_form(language: str, count: int) -> str:
    """CLDR's cardinal rule for the languages the desk speaks (both say "one" for 1 only)."""
    return "one" if abs(count) == 1 else "other"


def t(key: str, language: str = DEFAULT_LANGUAGE, /, **params) -> str:
    """The text for a key in a language (Spanish when missing there), with its parameters filled in."""
    catalogue = CATALOGUES.get(language, ES)
    count = params.get("count", params.get("total"))
    if isinstance(count, int) and f"{key}.one" in ES:
        key = f"{key}.{_plural_form(language, count)}"
    text = catalogue.get(key) or ES.get(key) or key
    return text.format(**params) if params else text
