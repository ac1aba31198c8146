"""services.mail_text over a corpus of real-world mail shapes (tests/fixtures/mail), plus its HTML conversion.

The corpus files carry placeholders ({{CASE}}, {{REPLY_TO}}, …) where the desk's values go; fill() puts
sample values in the raw bytes before parsing, as the desk does."""

import json
import re
from pathlib import Path

import pytest

from services.mail_text import full_text, html_to_text, message_from_bytes, new_text, strip_reply

MAIL = Path(__file__).parent / "fixtures" / "mail"
CORPUS = json.loads((MAIL / "corpus.json").read_text(encoding="utf-8"))
WITH_BODY = [entry for entry in CORPUS if entry["body"] is not None]

SAMPLE = {
    "CASE": "4817",
    "REPLY_TO": "caso+4817.k3J9xQ@empresa.test",
    "DESK": "mesa@empresa.test",
    "MSGID": "<caso-4817.20261127150211.a1b2@empresa.test>",
    "AREA_ADDRESS": "soporte@empresa.test",
}
SENDERS = {
    "requester": "ana.perez@empresa.test",
    "advisor": "carlos.gomez@empresa.test",
    "other_employee": "pedro.ruiz@empresa.test",
    "stranger": "ventas@proveedor.test",
    "daemon": "MAILER-DAEMON@mail.empresa.test",
}
REQUIRED_SHARE = 0.95


def fill(raw: bytes, values: dict) -> bytes:
    """The raw mail with every {{NAME}} placeholder replaced by values[NAME] (UTF-8)."""
    for name, value in values.items():
        raw = raw.replace(b"{{" + name.encode() + b"}}", value.encode())
    return raw


def values_for(entry: dict) -> dict:
    return SAMPLE | {"FROM": SENDERS[entry["sender"]]}


def load(entry: dict):
    return message_from_bytes(fill((MAIL / entry["file"]).read_bytes(), values_for(entry)))


def expected(entry: dict) -> str:
    return fill(entry["body"].encode(), values_for(entry)).decode().strip()


# --- the corpus itself -------------------------------------------------------------------------------


def test_corpus_lists_every_file_once_with_a_known_shape():
    files = sorted(path.name for path in MAIL.glob("*.eml"))
    assert sorted(entry["file"] for entry in CORPUS) == files
    assert len(files) >= 40
    assert sum(entry["kind"] == "reply" for entry in CORPUS) >= 30
    for entry in CORPUS:
        assert entry["kind"] in {"reply", "new_case", "auto_reply", "bounce", "unknown_sender", "forged"}
        assert entry["sender"] in SENDERS
        assert set(entry["threading"]) <= {"reply_to", "references", "subject"}
        assert entry["expect"] in {"case", "new_case", "held", "ignored", "bounce"}
        assert (entry["body"] is None) == (entry["kind"] in {"auto_reply", "bounce"})


@pytest.mark.parametrize("entry", CORPUS, ids=lambda entry: entry["file"])
def test_corpus_placeholders_all_filled(entry):
    """Every placeholder sits where a byte replacement reaches it (not inside base64, not split by a soft break)."""
    message = load(entry)
    texts = [str(value) for value in message.values()]
    texts += [
        part.get_payload(decode=True).decode("utf-8", "replace")
        for part in message.walk()
        if part.get_content_maintype() == "text"
    ]
    leftovers = [text for text in texts if re.search(r"\{\{[A-Z_]+\}\}", text)]
    assert not leftovers


@pytest.mark.parametrize("entry", CORPUS, ids=lambda entry: entry["file"])
def test_corpus_threading_matches_the_headers(entry):
    message = load(entry)
    carried = set()
    if SAMPLE["REPLY_TO"] in " ".join(str(message.get_all(name, [])) for name in ("To", "Cc")):
        carried.add("reply_to")
    if SAMPLE["MSGID"] in f"{message.get('In-Reply-To', '')} {message.get('References', '')}":
        carried.add("references")
    if f"[Caso #{SAMPLE['CASE']}]" in str(message.get("Subject", "")):
        carried.add("subject")
    assert carried == set(entry["threading"])


# --- new_text over the corpus ------------------------------------------------------------------------


def test_new_text_matches_the_expected_bodies():
    results = {entry["file"]: new_text(load(entry)) for entry in WITH_BODY}
    exact = [entry["file"] for entry in WITH_BODY if results[entry["file"]].strip() == expected(entry)]
    share = len(exact) / len(WITH_BODY)
    print(f"\nexact new_text: {len(exact)}/{len(WITH_BODY)} = {share:.1%}")
    for entry in WITH_BODY:
        if entry["file"] not in exact:
            print(f"--- {entry['file']}\nexpected: {expected(entry)!r}\ngot:      {results[entry['file']]!r}")
    assert share >= REQUIRED_SHARE


@pytest.mark.parametrize("entry", WITH_BODY, ids=lambda entry: entry["file"])
def test_new_text_is_never_empty_and_carries_no_history(entry):
    text = new_text(load(entry))
    assert text.strip()
    for line in text.splitlines():
        assert not line.lstrip().startswith(">"), line
        assert not re.search(r"(escribió|wrote):\s*$", line), line
        assert "Enviado desde mi" not in line, line


@pytest.mark.parametrize("entry", [e for e in CORPUS if e["kind"] in {"auto_reply", "bounce"}], ids=lambda e: e["file"])
def test_full_text_reads_auto_replies_and_bounces(entry):
    assert full_text(load(entry)).strip()


@pytest.mark.parametrize("entry", [e for e in CORPUS if e["kind"] == "bounce"], ids=lambda e: e["file"])
def test_bounces_carry_the_original_message_id(entry):
    """A DSN returns the desk's mail (message/rfc822) or its headers (text/rfc822-headers)."""
    returned = [
        part
        for part in load(entry).walk()
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers")
    ]
    assert any(SAMPLE["MSGID"] in part.as_string() for part in returned)


# --- full_text ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "entry", [e for e in CORPUS if "html" in e["file"] or "blockquote" in e["file"]], ids=lambda e: e["file"]
)
def test_full_text_of_an_html_only_mail_is_not_markup(entry):
    message = load(entry)
    assert message.get_body(preferencelist=("plain",)) is None
    text = full_text(message)
    assert text.strip()
    assert not re.search(r"<(div|p|br|span|html|blockquote)\b", text, re.IGNORECASE)


def test_full_text_joins_format_flowed_lines():
    raw = (
        b"From: a@x.test\nTo: b@x.test\nSubject: s\nMIME-Version: 1.0\n"
        b"Content-Type: text/plain; charset=utf-8; format=flowed\nContent-Transfer-Encoding: 8bit\n\n"
        b"Una l\xc3\xadnea larga que \nsigue aqu\xc3\xad.\n\n-- \nFirma\n"
    )
    # The "-- " separator does not flow; like every line, it loses its trailing space.
    assert full_text(message_from_bytes(raw)) == "Una línea larga que sigue aquí.\n\n--\nFirma"


def test_full_text_survives_a_wrong_charset():
    raw = (
        b"From: a@x.test\nTo: b@x.test\nSubject: s\nMIME-Version: 1.0\n"
        b"Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 8bit\n\nCaf\xc3\xa9 \r\nlisto  \r\n"
    )
    assert full_text(message_from_bytes(raw)) == "Café\nlisto"


# --- html_to_text ------------------------------------------------------------------------------------


def test_html_to_text_drops_script_style_and_head():
    html = "<html><head><title>T</title><style>p{color:red}</style></head><body><script>alert(1)</script><p>Hola</p></body></html>"
    assert html_to_text(html) == "Hola"


def test_html_to_text_decodes_entities():
    assert html_to_text("<div>Caf&eacute; &amp; t&#233; &lt;ok&gt;&nbsp;ya</div>") == "Café & té <ok> ya"


def test_html_to_text_keeps_link_text_and_shows_a_different_target():
    html = (
        '<div><a href="https://erp.empresa.test/f">Facturación</a> '
        '<a href="mailto:ana@x.test">ana@x.test</a> <a href="https://www.x.test/">www.x.test</a></div>'
    )
    assert html_to_text(html) == "Facturación (https://erp.empresa.test/f) ana@x.test www.x.test"


def test_html_to_text_lists_and_line_breaks():
    html = "<div>Pasos:</div><ul><li>uno</li><li>dos</li></ul><div>a<br>b</div><div><br></div><div>c</div>"
    assert html_to_text(html) == "Pasos:\n- uno\n- dos\na\nb\n\nc"


def test_html_to_text_marks_blockquotes_and_collapses_blank_lines():
    html = (
        "<p>Arriba</p><p></p><p></p><blockquote>cita<br>sigue<blockquote>anidada</blockquote></blockquote><p>Abajo</p>"
    )
    assert html_to_text(html) == "Arriba\n\n> cita\n> sigue\n> > anidada\n\nAbajo"


def test_html_to_text_reads_word_paragraphs_as_lines():
    html = '<p class="MsoNormal">Uno<o:p></o:p></p><p class="MsoNormal">Dos</p><p class="MsoNormal"><o:p>&nbsp;</o:p></p><p class="MsoNormal">Tres</p>'
    assert html_to_text(html) == "Uno\nDos\n\nTres"


# --- strip_reply on its own ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Ok.\n\nEl jue, 27 nov 2026 a las 10:02, Mesa de Servicio (<mesa@x.co>) escribió:\n\n> Hola",
        "Ok.\n\nEl 27/11/2026, a las 10:02, Mesa <mesa@x.co> escribió:\n\nHola",
        "Ok.\n\nEl 27/11/26 a las 10:02, Mesa escribió:\nHola",
        "Ok.\n\nOn Thu, Nov 27, 2026 at 10:02 AM Mesa <\nmesa@x.co> wrote:\n\n> Hola",
        "Ok.\n\nOn 11/27/26 10:02 AM, Mesa wrote:\nHola",
        "Ok.\n\nDe: Mesa <mesa@x.co>\nEnviado el: jueves\nPara: Ana\nAsunto: x\n\nHola",
        "Ok.\n\n________________________________\nFrom: Mesa\nSent: Thursday\nTo: Ana\nSubject: x\n\nHola",
        "Ok.\n\n-----Mensaje original-----\nDe: Mesa\n\nHola",
        "Ok.\n\nEnviado desde mi iPhone",
        "Ok.\n\nObtener Outlook para Android<https://aka.ms/x>",
        "Ok.\n\n-- \nAna Pérez\nContabilidad",
        "El 27/11/26 a las 10:02, Mesa escribió:\n> Hola\n> ¿Funciona?\n\nOk.",
        "Ok.\n\nEl jueves, 27 de noviembre de 2026, 10:02:15 GMT-5, Mesa <m@x.co> escribió:\n\nHola",
        "Ok.\n\nEl jue, 27 nov 2026 a las 10:02, Mesa de Servicio de Gestión\nTecnológica (<\nmesa@x.co>) escribió:\n\nHola",
        "Ok.\n\nEl 2026-11-27 10:02, Mesa escribió:\n> Hola",
        "Ok.\n\nEnviado desde Yahoo Mail para Android",
    ],
)
def test_strip_reply_keeps_only_the_new_text(text):
    assert strip_reply(text) == "Ok."


def test_strip_reply_keeps_sentences_that_look_like_headers():
    text = "El martes, el proveedor escribió:\n\nEl tóner llega el jueves.\n\nDe: mi parte, todo bien."
    assert strip_reply(text) == text


def test_strip_reply_never_returns_nothing():
    assert strip_reply("> solo una cita\n> nada más\n") == "> solo una cita\n> nada más"
    assert strip_reply("") == ""


def test_strip_reply_keeps_sign_offs_that_could_be_sentences():
    assert (
        strip_reply("Gracias, ya funciona la impresora.\n\nSaludos,\nAna")
        == "Gracias, ya funciona la impresora.\n\nSaludos,\nAna"
    )
