"""Satisfacción's exports read back as a manager's spreadsheet reads them: the CSV with the csv module, the
Excel file with openpyxl, in Spanish and in English: headers, labels, local minutes, whole ratings, and
each answer's case as it was when that answer was given."""

import csv
import io
from datetime import datetime, timedelta

import openpyxl
import pytest
import sqlalchemy as sa

from models import ServiceOption
from services import cases, clock, reports, surveys, users, workflow
from services.cases import Uploads
from services.db import unit_of_work
from services.storage import Storage
from tests.conftest import make_user, resolve_case

GT = "Gestión Tecnológica"
# Stored in UTC with seconds and microseconds; the organisation (America/Bogota, UTC-5) reads minutes.
REGISTERED = datetime(2026, 11, 2, 15, 7, 42, 654321)
RESOLVED = datetime(2026, 11, 2, 17, 30, 59, 999999)
SAID_YES = datetime(2026, 11, 2, 18, 1, 5)
SAID_NO = datetime(2026, 11, 3, 3, 30, 30)  # still 2 November in Bogotá
# After the "No": reclassified and handed to another advisor, who resolves it again; then a "Sí" (round 2).
REWORKED = datetime(2026, 11, 3, 3, 50, 12)
RESOLVED_AGAIN = datetime(2026, 11, 3, 4, 15, 30, 500000)
SAID_YES_AGAIN = datetime(2026, 11, 3, 4, 45, 10)

HEADERS = {
    "es": [
        "Caso",
        "Área",
        "Opción",
        "Urgencia",
        "Estado",
        "Asesor",
        "Registrado",
        "Resuelto",
        "¿Resuelta?",
        "Comentario del solicitante",
        "Calificación",
        "Comentario de la calificación",
        "Fecha de respuesta",
    ],
    "en": [
        "Case",
        "Area",
        "Option",
        "Urgency",
        "Status",
        "Advisor",
        "Registered",
        "Resolved",
        "Resolved?",
        "Requester's comment",
        "Rating",
        "Rating comment",
        "Answered on",
    ],
}
# (urgency, status, advisor, "¿Resuelta?") of each row as it was at its answer: the case answered "Sí"
# (closed); the other one's round 1, answered "No" (reopened), and its round 2, answered "Sí" after it was
# reclassified, reassigned and resolved again (closed): the "No" row keeps the urgency, advisor and status of then.
LABELS = {
    "es": (
        ("Alto", "Cerrado", "Laura Ríos", "Sí"),
        ("Muy bajo", "En atención", "Laura Ríos", "No"),
        ("Medio", "Cerrado", "Pedro Gil", "Sí"),
    ),
    "en": (
        ("High", "Closed", "Laura Ríos", "Yes"),
        ("Very low", "In progress", "Laura Ríos", "No"),
        ("Medium", "Closed", "Pedro Gil", "Yes"),
    ),
}


@pytest.fixture
def answered(desk, tmp_path, monkeypatch):
    """Two answered cases: #yes resolved, answered "Sí" with 5 stars; #no answered "No" (reopened, no rating),
    then reclassified to medium, reassigned to Pedro Gil, resolved again and answered "Sí" with 3 stars."""
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    make_user(desk, "laura.rios", role="advisor", areas=[GT], full_name="Laura Ríos")
    make_user(desk, "marta.luna", role="manager", full_name="Marta Luna")
    now = {"t": REGISTERED}
    monkeypatch.setattr(clock, "now", lambda: now["t"])
    numbers = {}
    for name, urgency in (("yes", "high"), ("no", "very_low")):
        with unit_of_work(desk) as session:
            numbers[name] = cases.register_case(
                session=session,
                actor=users.load_actor(session=session, username="ana.perez"),
                uploads=Uploads(Storage(tmp_path), 5),
                subject="Impresora",
                description="No imprime",
                option_id=session.scalar(sa.select(ServiceOption.id).where(ServiceOption.name == "Impresoras")),
                urgency=urgency,
            ).number
    now["t"] = RESOLVED
    for number in numbers.values():
        resolve_case(desk, number)
    for name, moment in (("yes", SAID_YES), ("no", SAID_NO)):
        now["t"] = moment
        with unit_of_work(desk) as session:
            ana = users.load_actor(session=session, username="ana.perez")
            surveys.answer(
                session=session,
                actor=ana,
                number=numbers[name],
                round=1,
                resolved=name == "yes",
                comment="" if name == "yes" else "Sigue sin imprimir",
            )
            if name == "yes":
                surveys.rate(session=session, actor=ana, number=numbers[name], rating=5, comment="Muy bien")
    make_user(desk, "pedro.gil", role="advisor", areas=[GT], full_name="Pedro Gil")
    now["t"] = REWORKED
    with unit_of_work(desk) as session:
        laura = users.load_actor(session=session, username="laura.rios")
        option_id = session.scalar(sa.select(ServiceOption.id).where(ServiceOption.name == "Impresoras"))
        workflow.reclassify(
            session=session,
            actor=laura,
            number=numbers["no"],
            urgency="medium",
            option_id=option_id,
            reason="Afecta a toda la oficina",
            expected_version=None,
        )
        workflow.assign_case(
            session=session, actor=laura, number=numbers["no"], advisor_username="pedro.gil", expected_version=None
        )
    now["t"] = RESOLVED_AGAIN
    resolve_case(desk, numbers["no"], advisor="pedro.gil")
    now["t"] = SAID_YES_AGAIN
    with unit_of_work(desk) as session:
        ana = users.load_actor(session=session, username="ana.perez")
        surveys.answer(session=session, actor=ana, number=numbers["no"], round=2, resolved=True)
        surveys.rate(session=session, actor=ana, number=numbers["no"], rating=3)
    return desk, numbers


def _export(engine, service, language):
    window = reports.ReportFilters(start=SAID_YES.date() - timedelta(days=1), end=SAID_YES.date())
    with unit_of_work(engine, write=False) as session:
        return service(
            session=session,
            actor=users.load_actor(session=session, username="marta.luna"),
            filters=window,
            language=language,
        )


@pytest.mark.parametrize("language", ["es", "en"])
def test_the_csv_export_speaks_the_readers_language_in_local_minutes_with_whole_ratings(answered, language):
    engine, numbers = answered
    content = _export(engine, reports.export_csv, language)
    assert content.startswith("\ufeff".encode())  # Excel reads the accents
    header, *rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert header == HEADERS[language]
    yes, no, again = (dict(zip(header, row, strict=True)) for row in rows)
    case, urgency, status, advisor, registered, resolved, answer, rating, answered_at = (
        HEADERS[language][i] for i in (0, 3, 4, 5, 6, 7, 8, 10, 12)
    )
    assert (yes[case], no[case], again[case]) == (str(numbers["yes"]), str(numbers["no"]), str(numbers["no"]))
    for row, labels in zip((yes, no, again), LABELS[language], strict=True):
        assert (row[urgency], row[status], row[advisor], row[answer]) == labels
    assert (yes[registered], yes[resolved], yes[answered_at]) == (
        "2026-11-02 10:07",
        "2026-11-02 12:30",
        "2026-11-02 13:01",
    )
    # Each answer beside the resolution it was about: the "No" the first one, the second "Sí" the second one.
    assert (no[registered], no[resolved], no[answered_at]) == (
        "2026-11-02 10:07",
        "2026-11-02 12:30",
        "2026-11-02 22:30",
    )
    assert (again[resolved], again[answered_at]) == ("2026-11-02 23:15", "2026-11-02 23:45")
    assert (yes[rating], no[rating], again[rating]) == ("5", "", "3")


@pytest.mark.parametrize("language", ["es", "en"])
def test_the_excel_export_has_date_cells_that_sort_labels_and_whole_ratings(answered, language):
    engine, numbers = answered
    book = openpyxl.load_workbook(io.BytesIO(_export(engine, reports.export_xlsx, language)))
    assert book.sheetnames == [{"es": "Satisfacción", "en": "Satisfaction"}[language]]
    header, *rows = ([c.value for c in row] for row in book.active.iter_rows())
    assert header == HEADERS[language]
    yes, no, again = (dict(zip(header, row, strict=True)) for row in rows)
    case, urgency, status, advisor, registered, resolved, answer, rating, answered_at = (
        HEADERS[language][i] for i in (0, 3, 4, 5, 6, 7, 8, 10, 12)
    )
    assert (yes[case], no[case], again[case]) == (numbers["yes"], numbers["no"], numbers["no"])
    for row, labels in zip((yes, no, again), LABELS[language], strict=True):
        assert (row[urgency], row[status], row[advisor], row[answer]) == labels
    assert (yes[registered], yes[resolved], yes[answered_at]) == (
        datetime(2026, 11, 2, 10, 7),
        datetime(2026, 11, 2, 12, 30),
        datetime(2026, 11, 2, 13, 1),
    )
    # Each answer beside the resolution it was about: the "No" the first one, the second "Sí" the second one.
    assert (no[resolved], no[answered_at]) == (datetime(2026, 11, 2, 12, 30), datetime(2026, 11, 2, 22, 30))
    assert (again[resolved], again[answered_at]) == (datetime(2026, 11, 2, 23, 15), datetime(2026, 11, 2, 23, 45))
    assert type(yes[rating]) is int and (yes[rating], no[rating], again[rating]) == (5, None, 3)
    for row in book.active.iter_rows(min_row=2):
        dates = [c for c in row if isinstance(c.value, datetime)]
        assert len(dates) == 3 and all(c.is_date and c.number_format == "yyyy-mm-dd hh:mm" for c in dates)


def test_spanish_stays_the_default_of_the_export(answered):
    engine, _ = answered
    with unit_of_work(engine, write=False) as session:
        frame = reports.export_rows(
            session=session,
            actor=users.load_actor(session=session, username="marta.luna"),
            filters=reports.ReportFilters(start=SAID_YES.date(), end=SAID_YES.date()),
        )
    assert list(frame.columns) == HEADERS["es"]


def test_a_range_without_answers_exports_the_headers_alone(answered):
    engine, _ = answered
    window = reports.ReportFilters(start=SAID_YES.date() + timedelta(days=7), end=SAID_YES.date() + timedelta(days=8))
    with unit_of_work(engine, write=False) as session:
        marta = users.load_actor(session=session, username="marta.luna")
        content = reports.export_csv(session=session, actor=marta, filters=window, language="en")
        workbook = reports.export_xlsx(session=session, actor=marta, filters=window, language="en")
    assert list(csv.reader(io.StringIO(content.decode("utf-8-sig")))) == [HEADERS["en"]]
    rows = [[c.value for c in row] for row in openpyxl.load_workbook(io.BytesIO(workbook)).active.iter_rows()]
    assert rows == [HEADERS["en"]]
