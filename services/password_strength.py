"""How guessable a new password is: zxcvbn with the person's and the desk's own words, plus a Spanish list.

`weakness` answers with the catalogue key of the reason a password is too easy to guess
(or None); services.security.check_password_policy turns it into the refusal.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from pathlib import Path

from zxcvbn import zxcvbn

# zxcvbn scores 0-4; 3 means about 10^8 guesses or more ("safely unguessable" in its terms).
MIN_SCORE = 3
# zxcvbn's matching grows quickly with length; bcrypt reads no more than 72 bytes anyway.
MAX_CHECKED_CHARS = 72
COMMON_PASSWORDS_FILE = Path(__file__).parent / "wordlists" / "common_passwords_es.txt"
# Words of the desk itself that a person reaches for when asked for a password here.
DESK_WORDS = ("mesa", "servicio", "mesa de servicio", "clave", "contraseña", "soporte", "usuario")

LIKE_USERNAME = "password.like_username"
LIKE_PERSONAL = "password.like_personal"
LIKE_ORGANIZATION = "password.like_organization"
COMMON = "password.common"
# zxcvbn's warnings (English, through gettext with no translation installed), as catalogue keys.
ZXCVBN_WARNINGS = {
    "Straight rows of keys are easy to guess.": "password.weak_keyboard",
    "Short keyboard patterns are easy to guess.": "password.weak_keyboard",
    'Repeats like "aaa" are easy to guess.': "password.weak_repeat",
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".': "password.weak_repeat",
    'Sequences like "abc" or "6543" are easy to guess.': "password.weak_sequence",
    "Recent years are easy to guess.": "password.weak_date",
    "Dates are often easy to guess.": "password.weak_date",
    "This is a top-10 common password.": COMMON,
    "This is a top-100 common password.": COMMON,
    "This is a very common password.": COMMON,
    "This is similar to a commonly used password.": "password.weak_similar_common",
    "A word by itself is easy to guess.": "password.weak_word",
    "Names and surnames by themselves are easy to guess.": "password.weak_names",
    "Common names and surnames are easy to guess.": "password.weak_names",
}
GENERIC_WEAKNESS = "password.weak"

_EDGE_DIGITS_AND_SYMBOLS = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_WORD_SEPARATORS = re.compile(r"[\s._+-]+")
_LEET = str.maketrans("0134@$5!7", "oieaassit")
# zxcvbn() keeps the user inputs in a module-level dictionary while it runs: two Streamlit
# sessions checking at the same moment would otherwise see each other's words.
_ZXCVBN_LOCK = threading.Lock()


def _plain(text: str) -> str:
    """Lower case without accents: "Contraseña" and "contrasena" are the same guess."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _load_common_passwords(path: Path) -> frozenset[str]:
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return frozenset(_plain(line) for line in lines if line and not line.startswith("#"))


COMMON_PASSWORDS = _load_common_passwords(COMMON_PASSWORDS_FILE)


def is_common(password: str) -> bool:
    """In the Spanish list, ignoring case, accents, digits and symbols around it, and simple l33t."""
    plain = _plain(password)
    core = _EDGE_DIGITS_AND_SYMBOLS.sub("", plain)
    return bool({plain, core, core.translate(_LEET)} & COMMON_PASSWORDS)


def _variants(text: str) -> list[str]:
    """A text as it may show up in a password: whole, squashed, and each word of 3+ letters."""
    lowered = text.strip().lower()
    words = [w for w in _WORD_SEPARATORS.split(lowered) if len(w) >= 3]
    forms = [lowered, _WORD_SEPARATORS.sub("", lowered), *words]
    with_plain = [variant for form in forms for variant in (form, _plain(form))]
    return [variant for variant in dict.fromkeys(with_plain) if len(variant) >= 3]


def context_words(*, username: str, full_name: str, email: str, org_name: str) -> dict[str, str]:
    """The first words an attacker tries against this person at this desk, each with its reason key.

    The whole username reads "like your username"; its parts are the person's names, like the
    full name and the e-mail's local part; the organisation and the desk come last.
    """
    reasons: dict[str, str] = {}
    whole_username = username.strip().lower()
    for word in (whole_username, whole_username.replace(".", "")):
        if len(word) >= 3:
            reasons.setdefault(word, LIKE_USERNAME)
    for text in (full_name, email.partition("@")[0], username):
        for word in _variants(text):
            reasons.setdefault(word, LIKE_PERSONAL)
    for text in (org_name, *DESK_WORDS):
        for word in _variants(text):
            reasons.setdefault(word, LIKE_ORGANIZATION)
    return reasons


def weakness(password: str, *, username: str, full_name: str, email: str, org_name: str) -> str | None:
    """The catalogue key saying why the password is too easy to guess, or None when it is strong enough."""
    if is_common(password):
        return COMMON
    reasons = context_words(username=username, full_name=full_name, email=email, org_name=org_name)
    with _ZXCVBN_LOCK:
        result = zxcvbn(password[:MAX_CHECKED_CHARS], user_inputs=list(reasons), max_length=MAX_CHECKED_CHARS)
    if result["score"] >= MIN_SCORE:
        return None
    # The person's own words first, whichever of zxcvbn's dictionaries credited them ("perez" is
    # also a common surname): that is the reason the person can act on.
    own_words = [m for m in result["sequence"] if m.get("matched_word") in reasons]
    if own_words:
        longest = max(own_words, key=lambda m: len(m["token"]))
        return reasons[longest["matched_word"]]
    return ZXCVBN_WARNINGS.get(result["feedback"]["warning"], GENERIC_WEAKNESS)
