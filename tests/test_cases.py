"""Cases on a real SQLite file and real files on disk: registering, attachments, privacy and my cases."""

import hashlib
import io
import threading
from datetime import timedelta

import filetype
import pytest
import sqlalchemy as sa
from PIL import Image

from models import Area, Attachment, Case, CaseMessage, Counter, ServiceOption
from services import cases, users
from services.cases import NewFile, Uploads
from services.db import unit_of_work
from services.errors import NotFound, PermissionDenied, ValidationFailed
from services.storage import Storage
from tests.conftest import make_user, register_case

GT = "Gestión Tecnológica"
SG = "Servicios Generales"


# --- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture
def uploads(tmp_path):
    return Uploads(storage=Storage(tmp_path / "files"), max_mb=1)


def _actor(engine, username):
    with unit_of_work(engine, write=False) as session:
        return users.load_actor(session=session, username=username)


@pytest.fixture
def ana(desk):
    make_user(desk, "ana.perez")
    return _actor(desk, "ana.perez")


@pytest.fixture
def carlos(desk):
    make_user(desk, "carlos.gomez")
    return _actor(desk, "carlos.gomez")


@pytest.fixture
def laura(desk):
    make_user(desk, "laura.rios", role="advisor", areas=[GT])
    return _actor(desk, "laura.rios")


@pytest.fixture
def jorge(desk):
    make_user(desk, "jorge.diaz", role="advisor", areas=[SG])
    return _actor(desk, "jorge.diaz")


@pytest.fixture
def option_ids(desk):
    """The first option of each demo area, by area name."""
    with unit_of_work(desk, write=False) as session:
        rows = session.execute(
            sa.select(Area.name, sa.func.min(ServiceOption.id))
            .join(ServiceOption, ServiceOption.area_id == Area.id)
            .group_by(Area.name)
        ).all()
    return dict(rows)


def _register(
    engine,
    actor,
    uploads,
    option_id,
    *,
    subject="Impresora sin tinta",
    description="La impresora del piso 3 no imprime.",
    **kwargs,
):
    with unit_of_work(engine) as session:
        return cases.register_case(
            session=session,
            actor=actor,
            uploads=uploads,
            option_id=option_id,
            subject=subject,
            description=description,
            **kwargs,
        )


def _refused(engine, actor, uploads, option_id, **kwargs):
    """Register and expect a refusal; return the error."""
    with pytest.raises(ValidationFailed) as refused:
        _register(engine, actor, uploads, option_id, **kwargs)
    return refused.value


def _get(engine, actor, number):
    with unit_of_work(engine, write=False) as session:
        return cases.get_case(session=session, actor=actor, number=number)


def _post(engine, actor, uploads, number, body, **kwargs):
    with unit_of_work(engine) as session:
        return cases.post_message(session=session, actor=actor, uploads=uploads, number=number, body=body, **kwargs)


def _list(engine, actor, **kwargs):
    with unit_of_work(engine, write=False) as session:
        return cases.list_my_cases(session=session, actor=actor, **kwargs)


def _read(engine, actor, uploads, attachment_id):
    with unit_of_work(engine, write=False) as session:
        return cases.read_attachment(session=session, actor=actor, storage=uploads.storage, attachment_id=attachment_id)


def _count(engine, model):
    with unit_of_work(engine, write=False) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model))


def _attachment_rows(engine):
    with unit_of_work(engine, write=False) as session:
        return session.scalars(sa.select(Attachment).order_by(Attachment.id)).all()


def _files_on_disk(uploads):
    """Every file under the storage folder (temporary upload files included)."""
    root = uploads.storage.root
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _png(color=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), color).save(buffer, "PNG")
    return buffer.getvalue()


def _set_status(engine, number, status):
    with unit_of_work(engine) as session:
        session.scalar(sa.select(Case).where(Case.number == number)).status = status


# --- 1. required fields, lengths, urgency, status and due time -------------------------------


def test_blank_subject_or_description_is_refused_and_nothing_is_saved(desk, ana, uploads, option_ids):
    blanks = [
        ("   ", "La impresora no imprime.", "case.subject_required"),
        ("Impresora sin tinta", " \t\n ", "case.description_required"),
        ("\n ", "\u00a0 \t", "case.subject_and_description_required"),
    ]
    for subject, description, key in blanks:
        error = _refused(
            desk,
            ana,
            uploads,
            option_ids[GT],
            subject=subject,
            description=description,
            files=[NewFile("nota.txt", b"detalle del problema")],
        )
        assert error.key == key
        assert _count(desk, Case) == 0, key
        assert _count(desk, Attachment) == 0, key
        assert _files_on_disk(uploads) == [], key
    # The refused attempts used no number: the first case registered is still #1.
    assert _register(desk, ana, uploads, option_ids[GT]).number == 1


def test_subject_and_description_are_stored_without_surrounding_blanks(desk, ana, uploads, option_ids):
    case = _register(
        desk,
        ana,
        uploads,
        option_ids[GT],
        subject="  \tImpresora sin tinta \n",
        description="\n  No imprime desde ayer.\n\nPiso 3.  ",
    )
    assert (case.subject, case.description) == ("Impresora sin tinta", "No imprime desde ayer.\n\nPiso 3.")
    with unit_of_work(desk, write=False) as session:
        stored = session.scalar(sa.select(Case).where(Case.number == case.number))
        assert (stored.subject, stored.description) == ("Impresora sin tinta", "No imprime desde ayer.\n\nPiso 3.")


def test_subject_up_to_200_and_description_up_to_20000_characters_are_accepted_longer_refused(
    desk, ana, uploads, option_ids
):
    assert _refused(desk, ana, uploads, option_ids[GT], subject="a" * 201).key == "case.subject_too_long"
    assert _refused(desk, ana, uploads, option_ids[GT], description="d" * 20_001).key == "case.description_too_long"
    assert _count(desk, Case) == 0
    # The limits count the trimmed text.
    case = _register(desk, ana, uploads, option_ids[GT], subject=" " + "a" * 200 + " ", description="d" * 20_000)
    assert (len(case.subject), len(case.description)) == (200, 20_000)


def test_urgency_outside_the_five_codes_is_refused(desk, ana, uploads, option_ids):
    for bad in ("urgent", "MEDIUM", "media", " medium", "", None):
        assert _refused(desk, ana, uploads, option_ids[GT], urgency=bad).key == "case.urgency_invalid", bad
    assert _count(desk, Case) == 0


def test_a_new_case_is_new_medium_and_due_24_hours_after_it_was_registered(desk, ana, uploads, option_ids):
    case = _register(desk, ana, uploads, option_ids[GT])
    assert (case.status, case.urgency) == ("new", "medium")
    assert case.due_at - case.created_at == timedelta(hours=24)
    assert case.area == GT and case.requester == "Ana Perez"
    assert [e.kind for e in case.events] == ["registered"]
    with unit_of_work(desk, write=False) as session:
        stored = session.scalar(sa.select(Case).where(Case.number == case.number))
        assert (stored.status, stored.urgency, stored.due_at) == ("new", "medium", case.due_at)


def test_due_time_follows_the_area_default_sla_for_each_urgency(desk, ana, uploads, option_ids):
    expected = {"very_high": 4, "high": 8, "medium": 24, "low": 48, "very_low": 72}
    for urgency, hours in expected.items():
        case = _register(desk, ana, uploads, option_ids[SG], urgency=urgency)
        assert case.urgency == urgency
        assert case.due_at - case.created_at == timedelta(hours=hours), urgency


# --- 2. attachments: the allow-list and storage by content hash -------------------------------


REFUSED_FILES = [
    ("renamed executable", [NewFile("foto.png", b"MZ" + b"\x90" * 300)], "attachment.executable"),
    ("path in the name", [NewFile("../../etc/passwd", b"root:x:0:0:root\n")], "attachment.name_invalid"),
    ("empty file", [NewFile("vacio.txt", b"")], "attachment.empty"),
    ("over max_mb", [NewFile("grande.txt", b"a" * (1024 * 1024 + 1))], "attachment.too_large"),
    ("shell script", [NewFile("script.sh", b"#!/bin/sh\necho hola\n")], "attachment.forbidden_type"),
    ("text named .pdf", [NewFile("informe.pdf", b"esto no es un pdf\n")], "attachment.content_mismatch"),
    ("eleven files", [NewFile(f"nota{i}.txt", f"nota {i}".encode()) for i in range(11)], "attachment.too_many"),
]


def test_each_forbidden_attachment_is_refused_with_its_own_reason_and_nothing_is_stored(desk, ana, uploads, option_ids):
    good = NewFile("bien.txt", b"un archivo valido que va primero")
    for label, files, key in REFUSED_FILES:
        # A valid file goes first: a refusal must not leave it behind either.
        error = _refused(desk, ana, uploads, option_ids[GT], files=[good, *files])
        assert error.key == key, label
        assert error.field == "attachments", label
        assert _count(desk, Case) == 0, label
        assert _count(desk, Attachment) == 0, label
        assert _files_on_disk(uploads) == [], label


def test_pictures_text_and_csv_are_accepted_and_stored_under_their_content_hash(desk, ana, uploads, option_ids):
    png = _png()
    assert filetype.guess(png).extension == "png"
    files = [
        NewFile("Pantallazo del error.png", png, "  Lo que sale   en pantalla "),
        NewFile("notas.txt", "Hola, el café está frío — ñandú\n".encode()),
        NewFile("datos.csv", b"nombre;valor\nAna;3\n"),
    ]
    case = _register(desk, ana, uploads, option_ids[GT], files=files)

    assert [(a.name, a.content_type) for a in case.attachments] == [
        ("Pantallazo del error.png", "image/png"),
        ("notas.txt", "text/plain"),
        ("datos.csv", "text/csv"),
    ]
    assert case.attachments[0].description == "Lo que sale en pantalla"
    assert case.events[0].detail == {"attachments": 3}
    rows = _attachment_rows(desk)
    hashes = [hashlib.sha256(f.data).hexdigest() for f in files]
    assert [(r.original_name, r.content_hash, r.size_bytes) for r in rows] == [
        (f.name, h, len(f.data)) for f, h in zip(files, hashes, strict=True)
    ]
    root = uploads.storage.root
    assert _files_on_disk(uploads) == sorted(root / h[:2] / h[2:4] / h for h in hashes)
    for file, content_hash in zip(files, hashes, strict=True):
        assert (root / content_hash[:2] / content_hash[2:4] / content_hash).read_bytes() == file.data
    assert _read(desk, ana, uploads, rows[0].id) == ("Pantallazo del error.png", "image/png", png)


def test_identical_content_on_two_cases_is_stored_once_on_disk(desk, ana, carlos, uploads, option_ids):
    png = _png()
    first = _register(desk, ana, uploads, option_ids[GT], files=[NewFile("error.png", png)])
    second = _register(desk, carlos, uploads, option_ids[SG], files=[NewFile("mismo-error.png", png)])
    rows = _attachment_rows(desk)
    assert len(rows) == 2 and rows[0].content_hash == rows[1].content_hash
    assert len(_files_on_disk(uploads)) == 1
    assert _read(desk, ana, uploads, first.attachments[0].id)[2] == png
    assert _read(desk, carlos, uploads, second.attachments[0].id) == ("mismo-error.png", "image/png", png)


def test_a_utf8_csv_longer_than_64_kib_with_accented_capitals_is_accepted(desk, ana, uploads, option_ids):
    head = "ÍNDICE;DESCRIPCIÓN\n".encode()
    filler = b"a" * (65_535 - len(head))
    data = head + filler + "ñ;fin\n".encode()  # the "ñ" straddles byte 65 536
    data.decode("utf-8")  # a perfectly valid UTF-8 file
    case = _register(desk, ana, uploads, option_ids[GT], files=[NewFile("inventario.csv", data)])
    assert [a.name for a in case.attachments] == ["inventario.csv"]


# --- 3. rollback leaves no orphan files -------------------------------------------------------


def test_a_rolled_back_registration_leaves_no_file_and_no_case(desk, ana, uploads, option_ids):
    with pytest.raises(RuntimeError), unit_of_work(desk) as session:
        cases.register_case(
            session=session,
            actor=ana,
            uploads=uploads,
            option_id=option_ids[GT],
            subject="Pantalla azul",
            description="Sale un error.",
            files=[NewFile("error.png", _png()), NewFile("log.txt", b"linea 1\n")],
        )
        assert len(_files_on_disk(uploads)) == 2  # written before the commit...
        raise RuntimeError("the page failed after registering")
    assert _files_on_disk(uploads) == []  # ...and removed when it did not commit
    assert _count(desk, Case) == 0
    assert _count(desk, Attachment) == 0
    assert _register(desk, ana, uploads, option_ids[GT]).number == 1


def test_a_rolled_back_registration_keeps_a_file_an_earlier_case_already_uses(desk, ana, carlos, uploads, option_ids):
    png = _png()
    kept = _register(desk, ana, uploads, option_ids[GT], files=[NewFile("error.png", png)])
    with pytest.raises(RuntimeError), unit_of_work(desk) as session:
        cases.register_case(
            session=session,
            actor=carlos,
            uploads=uploads,
            option_id=option_ids[GT],
            subject="Mismo error",
            description="Me pasa igual.",
            files=[NewFile("igual.png", png), NewFile("nuevo.txt", b"solo de este intento")],
        )
        assert len(_files_on_disk(uploads)) == 2
        raise RuntimeError("the page failed after registering")
    png_hash = hashlib.sha256(png).hexdigest()
    assert [p.name for p in _files_on_disk(uploads)] == [png_hash]
    assert _read(desk, ana, uploads, kept.attachments[0].id) == ("error.png", "image/png", png)
    assert _count(desk, Case) == 1


# --- 4. numbers under concurrent registration -------------------------------------------------


def test_concurrent_registrations_get_numbers_1_to_40_without_gaps_or_duplicates(desk, uploads, option_ids):
    names = [f"empleado.{chr(ord('a') + i)}" for i in range(8)]
    for name in names:
        make_user(desk, name)
    actors = [_actor(desk, name) for name in names]
    numbers, errors = [], []
    start = threading.Barrier(len(actors))

    def employee(actor):
        start.wait()
        for i in range(5):
            try:
                case = _register(desk, actor, uploads, option_ids[GT], subject=f"Caso {i} de {actor.username}")
                numbers.append(case.number)
            except Exception as exc:  # re-raised in the test's own thread below
                errors.append(exc)

    threads = [threading.Thread(target=employee, args=(a,)) for a in actors]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    if errors:
        raise errors[0]
    assert sorted(numbers) == list(range(1, 41))
    with unit_of_work(desk, write=False) as session:
        assert sorted(session.scalars(sa.select(Case.number))) == list(range(1, 41))
        assert session.get(Counter, "case_number").value == 40


# --- 5. idempotency ---------------------------------------------------------------------------


def test_registering_twice_with_the_same_request_token_creates_one_case(desk, ana, carlos, uploads, option_ids):
    first = _register(desk, ana, uploads, option_ids[GT], request_token="form-7f3a")
    again = _register(
        desk,
        ana,
        uploads,
        option_ids[GT],
        request_token="form-7f3a",
        subject="Otro asunto",
        files=[NewFile("tarde.txt", b"llega en el segundo clic")],
    )
    assert again.number == first.number == 1
    assert again.subject == "Impresora sin tinta"
    assert _count(desk, Case) == 1
    assert _files_on_disk(uploads) == []
    # The token belongs to one requester's form: someone else's identical token is another case.
    assert _register(desk, carlos, uploads, option_ids[GT], request_token="form-7f3a").number == 2


# --- 6. other people's cases are invisible ----------------------------------------------------


def test_employee_cannot_open_another_employees_case_nor_tell_it_exists(desk, ana, carlos, uploads, option_ids):
    theirs = _register(desk, ana, uploads, option_ids[GT], subject="Mi computador no enciende")
    mine = _register(desk, carlos, uploads, option_ids[GT], subject="Correo lleno")
    answers = []
    for number in (theirs.number, 999, "abc", f"#{theirs.number}"):
        with pytest.raises(NotFound) as missing:
            _get(desk, carlos, number)
        answers.append((missing.value.key, missing.value.field, missing.value.params))
    assert answers == [("case.not_found", None, {})] * 4
    assert _get(desk, ana, f"#{theirs.number}").subject == "Mi computador no enciende"
    listed = _list(desk, carlos)
    assert [r.number for r in listed.rows] == [mine.number] and listed.total == 1
    assert [r.number for r in _list(desk, carlos, search="computador", include_closed=True).rows] == []


def test_employee_cannot_write_on_or_attach_to_another_employees_case(desk, ana, carlos, uploads, option_ids):
    theirs = _register(desk, ana, uploads, option_ids[GT])
    with pytest.raises(NotFound) as on_message:
        _post(desk, carlos, uploads, theirs.number, "Hola", files=[NewFile("x.txt", b"intruso")])
    with pytest.raises(NotFound) as on_attach, unit_of_work(desk) as session:
        cases.add_attachments(
            session=session,
            actor=carlos,
            uploads=uploads,
            number=theirs.number,
            files=[NewFile("y.txt", b"otro intruso")],
        )
    assert on_message.value.key == on_attach.value.key == "case.not_found"
    assert _count(desk, CaseMessage) == 0
    assert _count(desk, Attachment) == 0
    assert _files_on_disk(uploads) == []
    assert _get(desk, ana, theirs.number).last_activity_at == theirs.last_activity_at


def test_employee_cannot_download_another_employees_attachment(desk, ana, carlos, uploads, option_ids):
    theirs = _register(desk, ana, uploads, option_ids[GT], files=[NewFile("cedula.png", _png())])
    attachment_id = theirs.attachments[0].id
    with pytest.raises(NotFound) as refused:
        _read(desk, carlos, uploads, attachment_id)
    with pytest.raises(NotFound) as missing:
        _read(desk, carlos, uploads, attachment_id + 100)
    assert refused.value.key == missing.value.key == "attachment.not_found"
    assert _read(desk, ana, uploads, attachment_id)[0] == "cedula.png"


# --- 7. internal notes ------------------------------------------------------------------------


def test_internal_note_is_hidden_from_the_requester_and_shown_to_the_area_advisor(
    desk, ana, laura, uploads, option_ids
):
    case = _register(desk, ana, uploads, option_ids[GT], files=[NewFile("foto.png", _png())])
    note = _post(
        desk,
        laura,
        uploads,
        case.number,
        "Parece la fuente de poder; pedir repuesto.",
        internal=True,
        files=[NewFile("diagnostico.txt", b"fuente de poder quemada")],
    )
    assert note.internal and not note.author_is_requester
    internal_file = note.attachments[0].id

    seen_by_requester = _get(desk, ana, case.number)
    assert seen_by_requester.messages == ()
    assert [e.kind for e in seen_by_requester.events] == ["registered", "assigned"]
    assert [a.name for a in seen_by_requester.attachments] == ["foto.png"]
    with pytest.raises(NotFound) as hidden:
        _read(desk, ana, uploads, internal_file)
    assert hidden.value.key == "attachment.not_found"

    seen_by_advisor = _get(desk, laura, case.number)
    assert [(m.body, m.internal, [a.name for a in m.attachments]) for m in seen_by_advisor.messages] == [
        ("Parece la fuente de poder; pedir repuesto.", True, ["diagnostico.txt"])
    ]
    assert [(e.kind, e.internal) for e in seen_by_advisor.events] == [
        ("registered", False),
        ("assigned", False),
        ("note", True),
    ]
    assert {a.name for a in seen_by_advisor.attachments} == {"foto.png", "diagnostico.txt"}
    assert _read(desk, laura, uploads, internal_file) == ("diagnostico.txt", "text/plain", b"fuente de poder quemada")


def test_advisor_of_another_area_cannot_see_the_case(desk, ana, jorge, uploads, option_ids):
    case = _register(desk, ana, uploads, option_ids[GT], files=[NewFile("foto.png", _png())])
    with pytest.raises(NotFound) as not_theirs:
        _get(desk, jorge, case.number)
    assert not_theirs.value.key == "case.not_found"
    with pytest.raises(NotFound):
        _post(desk, jorge, uploads, case.number, "Nota", internal=True)
    with pytest.raises(NotFound):
        _read(desk, jorge, uploads, case.attachments[0].id)
    assert _count(desk, CaseMessage) == 0


def test_requester_cannot_post_an_internal_note(desk, ana, uploads, option_ids):
    case = _register(desk, ana, uploads, option_ids[GT])
    with pytest.raises(PermissionDenied):
        _post(desk, ana, uploads, case.number, "Nota secreta", internal=True, files=[NewFile("secreto.txt", b"nota")])
    assert _count(desk, CaseMessage) == 0
    assert _files_on_disk(uploads) == []


# --- 8. my cases ------------------------------------------------------------------------------


def test_my_cases_list_the_newest_activity_first(desk, ana, uploads, option_ids):
    for subject in ("Primero", "Segundo", "Tercero"):
        _register(desk, ana, uploads, option_ids[GT], subject=subject)
    assert [r.number for r in _list(desk, ana).rows] == [3, 2, 1]
    _post(desk, ana, uploads, 1, "¿Alguna novedad con el primero?")
    rows = _list(desk, ana).rows
    assert [r.number for r in rows] == [1, 3, 2]
    assert rows[0].last_activity_at > rows[1].last_activity_at


def test_my_cases_hide_closed_cases_unless_asked(desk, ana, uploads, option_ids):
    for subject in ("Primero", "Segundo", "Tercero"):
        _register(desk, ana, uploads, option_ids[GT], subject=subject)
    _set_status(desk, 2, "closed")
    open_only = _list(desk, ana)
    assert ([r.number for r in open_only.rows], open_only.total) == ([3, 1], 2)
    everything = _list(desk, ana, include_closed=True)
    assert ([r.number for r in everything.rows], everything.total) == ([3, 2, 1], 3)
    assert everything.rows[1].status == "closed"


def test_my_cases_search_by_number_and_by_every_word_of_their_text(desk, ana, uploads, option_ids):
    _register(desk, ana, uploads, option_ids[GT], subject="Impresora sin tinta", description="No imprime.")
    _register(desk, ana, uploads, option_ids[GT], subject="Correo no envía mensajes", description="Nada sale.")
    _register(desk, ana, uploads, option_ids[GT], subject="Impresora atascada en el piso", description="Papel.")

    def found(search):
        return [r.number for r in _list(desk, ana, search=search).rows]

    assert sorted(found("impresora")) == [1, 3]  # ranked: tests/test_search.py
    assert found("imprime") == [1]  # the description counts too
    assert found("  IMPRESORA   Piso ") == [3]
    assert found("piso impresora") == [3]
    assert found("impresora correo") == []
    assert found("2") == [2]
    assert found("#2") == [2]
    assert found("100%") == []
    assert found("") == [3, 2, 1]


def test_my_cases_search_ignores_the_case_of_accented_capitals(desk, ana, uploads, option_ids):
    _register(desk, ana, uploads, option_ids[SG], subject="Área de cafetería sin agua")
    assert [r.number for r in _list(desk, ana, search="área").rows] == [1]


def test_my_cases_search_for_a_superscript_digit_finds_nothing_instead_of_failing(desk, ana, uploads, option_ids):
    _register(desk, ana, uploads, option_ids[GT], subject="Oficina de 20 m2 sin luz")
    assert _list(desk, ana, search="²").total == 0


def test_my_cases_are_paged(desk, ana, uploads, option_ids):
    for i in range(5):
        _register(desk, ana, uploads, option_ids[GT], subject=f"Caso {i + 1}")
    page = _list(desk, ana, page=2, page_size=2)
    assert (page.total, page.pages, page.page) == (5, 3, 2)
    assert [r.number for r in page.rows] == [3, 2]
    assert [r.number for r in _list(desk, ana, page=3, page_size=2).rows] == [1]
    assert [r.number for r in _list(desk, ana, page=0, page_size=2).rows] == [5, 4]


# --- 9. messages ------------------------------------------------------------------------------


def test_a_blank_message_is_refused(desk, ana, uploads, option_ids):
    case = _register(desk, ana, uploads, option_ids[GT])
    with pytest.raises(ValidationFailed) as refused:
        _post(desk, ana, uploads, case.number, " \n\t ", files=[NewFile("nota.txt", b"adjunto sin mensaje")])
    assert (refused.value.key, refused.value.field) == ("message.body_required", "body")
    assert _count(desk, CaseMessage) == 0
    assert _files_on_disk(uploads) == []
    assert _get(desk, ana, case.number).last_activity_at == case.last_activity_at


def test_a_requesters_message_appears_on_the_case_and_moves_its_last_activity(desk, ana, laura, uploads, option_ids):
    case = _register(desk, ana, uploads, option_ids[GT])
    sent = _post(desk, ana, uploads, case.number, "  ¿Alguna novedad?  ", files=[NewFile("otra.png", _png())])
    _post(desk, laura, uploads, case.number, "Voy para allá.")
    seen = _get(desk, ana, case.number)
    assert [(m.body, m.author, m.author_is_requester, m.internal) for m in seen.messages] == [
        ("¿Alguna novedad?", "Ana Perez", True, False),
        ("Voy para allá.", "Laura Rios", False, False),
    ]
    assert [a.name for a in seen.messages[0].attachments] == ["otra.png"]
    assert [e.kind for e in seen.events] == ["registered", "assigned", "message", "message"]
    assert case.last_activity_at < sent.created_at <= seen.last_activity_at
    assert seen.created_at == case.created_at


def test_a_message_says_the_cases_version_before_and_after_it(desk, ana, laura, uploads, option_ids):
    """What the work view needs to draw only the conversation again: the version the case had when the
    message came (a colleague's change since shows as another one) and the one it has now."""
    case = _register(desk, ana, uploads, option_ids[GT])
    seen = _get(desk, laura, case.number).version
    reply = _post(desk, laura, uploads, case.number, "Voy para allá.")
    assert reply.case_versions == (seen, seen + 1)  # a public message moves the case's last activity
    note = _post(desk, laura, uploads, case.number, "Llevar cargador", internal=True)
    assert note.case_versions == (seen + 1, seen + 1)  # a note changes nothing of the case itself
    assert _get(desk, laura, case.number).version == seen + 1


@pytest.mark.parametrize("typed", ["100%", "a_b", "back\\slash"])
def test_every_search_takes_percent_underscore_and_backslash_literally(desk, tmp_path, typed):
    """Usuarios searches through one LIKE helper (services.db.contains); Verificar and the Bandeja by words
    (services.search): neither takes a sign for a wildcard."""
    from services import inbox

    make_user(desk, "ana.perez")
    make_user(desk, "laura.rios", "advisor", areas=["Gestión Tecnológica"])
    make_user(desk, "paxbo.ruiz", full_name="Sala 1000")  # what a % or _ taken as a wildcard would find
    register_case(desk, tmp_path, subject=f"Tóner {typed} fin")
    register_case(desk, tmp_path, subject="Tóner 1000 fin axb backslash")
    with unit_of_work(desk, write=False) as session:
        ana = users.load_actor(session=session, username="ana.perez")
        laura = users.load_actor(session=session, username="laura.rios")
        mine = cases.list_my_cases(session=session, actor=ana, search=typed)
        queue = inbox.list_inbox(session=session, actor=laura, filters=inbox.InboxFilters(text=typed))
        people = users.list_users(session=session, actor=users.Actor.system(), text=typed)
    assert [row.subject for row in mine.rows] == [f"Tóner {typed} fin"]
    assert [row.subject for row in queue.rows] == [f"Tóner {typed} fin"]
    assert people.total == 0
