"""Satisfacción's exports read back as a manager's spreadsheet reads them: the CSV with the csv module, the
Excel file with openpyxl, in Spanish and in English: headers, labels, local minutes, whole ratings."""

import csv
import io
from datetime import datetime, timedelta

import openpyxl
import pytest
import sqlalchemy as sa

from models import ServiceOption
from services import cases, clock, reports, surveys, users
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
# (urgency, status, "¿Resuelta?") of the case answered "Sí" (closed) and of the one answered "No" (reopened).
LABELS = {
    "es": (("Alto", "Cerrado", "Sí"), ("Muy bajo", "En atención", "No")),
    "en": (("High", "Closed", "Yes"), ("Very low", "In progress", "No")),
}


@pytest.fixture
def answered(desk, tmp_path, monkeypatch):
    """Two answered cases: #yes resolved, answered "Sí" with 5 stars; #no answered "No" (reopened, no rating)."""
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
    header, yes, no = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert header == HEADERS[language]
    yes, no = dict(zip(header, yes, strict=True)), dict(zip(header, no, strict=True))
    case, urgency, status, answer, registered, resolved, rating, answered_at = (
        HEADERS[language][0],
        *(HEADERS[language][i] for i in (3, 4, 8, 6, 7, 10, 12)),
    )
    assert (yes[case], no[case]) == (str(numbers["yes"]), str(numbers["no"]))
    assert (yes[urgency], yes[status], yes[answer]) == LABELS[language][0]
    assert (no[urgency], no[status], no[answer]) == LABELS[language][1]
    assert (yes[registered], yes[resolved], yes[answered_at]) == (
        "2026-11-02 10:07",
        "2026-11-02 12:30",
        "2026-11-02 13:01",
    )
    assert (no[resolved], no[answered_at]) == ("", "2026-11-02 22:30")  # reopened: no longer resolved
    assert (yes[rating], no[rating]) == ("5", "")


@pytest.mark.parametrize("language", ["es", "en"])
def test_the_excel_export_has_date_cells_that_sort_labels_and_whole_ratings(answered, language):
    engine, numbers = answered
    book = openpyxl.load_workbook(io.BytesIO(_export(engine, reports.export_xlsx, language)))
    assert book.sheetnames == [{"es": "Satisfacción", "en": "Satisfaction"}[language]]
    header, yes, no = ([c.value for c in row] for row in book.active.iter_rows())
    assert header == HEADERS[language]
    yes, no = dict(zip(header, yes, strict=True)), dict(zip(header, no, strict=True))
    case, urgency, status, answer, registered, resolved, rating, answered_at = (
        HEADERS[language][0],
        *(HEADERS[language][i] for i in (3, 4, 8, 6, 7, 10, 12)),
    )
    assert (yes[case], no[case]) == (numbers["yes"], numbers["no"])
    assert (yes[urgency], yes[status], yes[answer]) == LABELS[language][0]
    assert (no[urgency], no[status], no[answer]) == LABELS[language][1]
    assert (yes[registered], yes[resolved], yes[answered_at]) == (
        datetime(2026, 11, 2, 10, 7),
        datetime(2026, 11, 2, 12, 30),
        datetime(2026, 11, 2, 13, 1),
    )
    assert (no[resolved], no[answered_at]) == (None, datetime(2026, 11, 2, 22, 30))
    assert type(yes[rating]) is int and yes[rating] == 5 and no[rating] is None
    dates = [c for c in book.active[2] if isinstance(c.value, datetime)]
    assert dates and all(c.is_date and c.number_format == "yyyy-mm-dd hh:mm" for c in dates)


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
