"""What the desk says about odd input: a file name with hidden characters or none at all gets its own reason,
and an Asunto, a description or a message that shows nothing on screen is as empty as one left blank."""

import pytest
import sqlalchemy as sa

from models import Attachment, Case, CaseMessage, ServiceOption
from services import cases, i18n, users
from services.cases import NewFile, Uploads
from services.db import unit_of_work
from services.errors import ValidationFailed
from services.storage import Storage, check_file
from tests.conftest import make_user, register_case

# Characters that take no room on screen: zero-width space / non-joiner / joiner, word joiner, BOM, soft hyphen,
# Mongolian vowel separator, Hangul filler, a tag character; and some spacing ones for good measure.
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e", "\u3164", "\U000e0020"]
BLANK_LOOKING = ["\u200b\u200b\u200b", " \u200b \ufeff ", "\u2060\u200d", "\u3000\u200c", *INVISIBLE]

HIDDEN_IN_NAME = [
    ("nota\x00.txt", "NUL"),
    ("factura\u202efdp.exe", "right-to-left override"),
    ("factura\u202dfdp.txt", "left-to-right override"),
    ("a\u202ab\u202c.txt", "embedding and pop"),
    ("a\u2067b\u2069.txt", "isolate"),
    ("a\u200fb.txt", "right-to-left mark"),
    ("linea\u2028dos.txt", "line separator"),
    ("parrafo\u2029dos.txt", "paragraph separator"),
    ("linea\n.txt", "newline"),
    ("linea\r\n.txt", "carriage return"),
    ("con\ttab.txt", "tab"),
    ("fac\u200btura.txt", "zero-width space between letters"),
    ("\u200b.txt", "zero-width space before the extension"),
]
BLANK_NAMES = ["", "   ", "\t", "\u3000", "\u00a0 \u00a0", *BLANK_LOOKING]
PATH_NAMES = ["../../etc/passwd", "..\\x.txt", "/etc/passwd", "C:\\Windows\\win.ini", ".."]


def _spanish(error: ValidationFailed) -> str:
    return i18n.t(error.key, "es", **error.params)


def _refused_name(name: str) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as refused:
        check_file(name=name, data=b"hola", max_mb=1)
    assert refused.value.field == "attachments"
    return refused.value


@pytest.mark.parametrize(("name", "what"), HIDDEN_IN_NAME, ids=[what for _, what in HIDDEN_IN_NAME])
def test_a_file_name_with_control_or_hidden_characters_is_refused_for_that_reason_not_for_paths(name, what):
    error = _refused_name(name)
    assert error.key == "attachment.name_hidden_chars", what
    said = _spanish(error)
    assert "caracteres de control u ocultos" in said, what
    assert "rutas" not in said, what
    # The name is echoed with its hidden characters spelled out, never as they are (a right-to-left override
    # would turn the message itself around).
    assert all(ch.isprintable() for ch in said), repr(said)
    assert "[U+" in error.params["name"], what


def test_the_refused_name_shows_which_hidden_character_it_had():
    error = _refused_name("factura\u202efdp.exe")
    assert error.params["name"] == "factura[U+202E]fdp.exe"
    assert "«factura[U+202E]fdp.exe»" in _spanish(error)


@pytest.mark.parametrize("name", BLANK_NAMES, ids=[repr(n) for n in BLANK_NAMES])
def test_a_file_without_a_visible_name_is_refused_as_having_no_name(name):
    error = _refused_name(name)
    assert error.key == "attachment.name_blank"
    assert _spanish(error).startswith("El archivo no tiene nombre")


@pytest.mark.parametrize("name", PATH_NAMES)
def test_a_file_name_with_a_path_still_says_it_cannot_contain_paths(name):
    error = _refused_name(name)
    assert error.key == "attachment.name_invalid"
    assert "no puede contener rutas" in _spanish(error)


@pytest.mark.parametrize("key", ["attachment.name_hidden_chars", "attachment.name_blank"])
def test_each_new_reason_is_in_both_catalogues_with_the_same_placeholders(key):
    assert key in i18n.ES and key in i18n.EN
    assert i18n.t(key, "es", name="x.txt") != key
    assert i18n.t(key, "en", name="x.txt") != key


def test_a_name_in_a_right_to_left_script_is_still_accepted():
    assert check_file(name="عربي مرحبا.txt", data=b"hola", max_mb=1).name == "عربي مرحبا.txt"


# --- Asunto, Describa lo que pasó and messages ------------------------------------------------------


@pytest.fixture
def uploads(data_dir):
    return Uploads(storage=Storage(data_dir / "attachments"), max_mb=1)


@pytest.fixture
def ana(desk):
    make_user(desk, "ana.perez")
    return desk


def _register(engine, uploads, *, subject, description, files=()):
    with unit_of_work(engine) as session:
        option_id = session.scalar(sa.select(ServiceOption.id).where(ServiceOption.name == "Impresoras"))
        return cases.register_case(
            session=session,
            actor=users.load_actor(session=session, username="ana.perez"),
            uploads=uploads,
            option_id=option_id,
            subject=subject,
            description=description,
            files=files,
        )


def _count(engine, model) -> int:
    with unit_of_work(engine, write=False) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.mark.parametrize("blank", BLANK_LOOKING, ids=[repr(b) for b in BLANK_LOOKING])
def test_an_asunto_of_invisible_characters_is_refused_like_an_empty_one(ana, uploads, blank):
    with pytest.raises(ValidationFailed) as refused:
        _register(
            ana, uploads, subject=blank, description="La impresora no imprime.", files=[NewFile("nota.txt", b"hola")]
        )
    assert (refused.value.key, refused.value.field) == ("case.subject_required", "subject")
    assert _spanish(refused.value) == "El campo Asunto es obligatorio."
    assert _count(ana, Case) == _count(ana, Attachment) == 0


@pytest.mark.parametrize("blank", BLANK_LOOKING, ids=[repr(b) for b in BLANK_LOOKING])
def test_a_description_of_invisible_characters_is_refused_like_an_empty_one(ana, uploads, blank):
    with pytest.raises(ValidationFailed) as refused:
        _register(ana, uploads, subject="Impresora", description=blank)
    assert (refused.value.key, refused.value.field) == ("case.description_required", "description")
    assert _spanish(refused.value) == "El campo Describa lo que pasó es obligatorio."
    assert _count(ana, Case) == 0


def test_an_invisible_asunto_and_description_get_the_message_for_both_fields(ana, uploads):
    with pytest.raises(ValidationFailed) as refused:
        _register(ana, uploads, subject="\u200b\u200c", description="\ufeff \u2060")
    assert refused.value.key == "case.subject_and_description_required"


def test_visible_text_with_a_joiner_inside_is_kept_as_typed(ana, uploads):
    case = _register(ana, uploads, subject="Equipo 👩\u200d💻 sin red", description="No\u00adconecta")
    assert case.subject == "Equipo 👩\u200d💻 sin red"
    assert case.description == "No\u00adconecta"


@pytest.mark.parametrize("blank", BLANK_LOOKING, ids=[repr(b) for b in BLANK_LOOKING])
def test_a_message_of_invisible_characters_is_refused_like_an_empty_one(ana, data_dir, uploads, blank):
    number = register_case(ana, data_dir / "attachments")
    with pytest.raises(ValidationFailed) as refused, unit_of_work(ana) as session:
        cases.post_message(
            session=session,
            actor=users.load_actor(session=session, username="ana.perez"),
            uploads=uploads,
            number=number,
            body=blank,
        )
    assert (refused.value.key, refused.value.field) == ("message.body_required", "body")
    assert _count(ana, CaseMessage) == 0
