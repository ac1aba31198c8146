"""The message catalogue: every key in Spanish and English, with the same placeholders; pages use only its keys."""

import re
import string
from pathlib import Path

from services.i18n import EN, ES, t
from tests.conftest import ROOT


def _placeholders(text: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name)


def test_every_key_exists_in_spanish_and_in_english():
    assert set(ES) - set(EN) == set(), "keys missing in English"
    assert set(EN) - set(ES) == set(), "keys missing in Spanish"


def test_both_languages_use_the_same_placeholders():
    assert [k for k in ES if _placeholders(ES[k]) != _placeholders(EN[k])] == []


def test_every_literal_key_the_code_asks_for_is_in_the_catalogue():
    asked = set()
    for path in [*Path(ROOT, "app_pages").glob("*.py"), Path(ROOT, "app.py")]:
        asked |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']""", path.read_text()))
    for path in Path(ROOT, "services").glob("*.py"):
        asked |= set(
            re.findall(
                r"""(?:ValidationFailed|NotFound|PermissionDenied|Conflict)\(\s*["']([a-z_.0-9]+)["']""",
                path.read_text(),
            )
        )
    assert asked, "the scan found no keys"
    assert sorted(key for key in asked if key not in ES and f"{key}.one" not in ES) == []


def test_a_missing_key_falls_back_to_spanish_and_then_to_the_key():
    assert t("status.resolved", "en") == "Resolved"
    assert t("status.resolved", "fr") == "Resuelto"
    assert t("no.such.key", "en") == "no.such.key"


def test_counted_texts_have_real_plural_forms_and_none_fakes_them():
    counted = {key.rsplit(".", 1)[0] for key in ES if key.endswith((".one", ".other"))}
    assert counted, "no plural keys"
    for key in counted:
        assert f"{key}.one" in ES and f"{key}.other" in ES and f"{key}.one" in EN and f"{key}.other" in EN, key
    assert [k for k, text in {**ES, **EN}.items() if re.search(r"\((s|es)\)", text)] == []
    assert t("verify.count", "es", total=1) == "1 caso" and t("verify.count", "es", total=2) == "2 casos"
    assert t("verify.count", "en", total=1) == "1 case" and t("verify.count", "en", total=0) == "0 cases"
