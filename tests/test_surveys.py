"""Calificación del Servicio and the managers' figures, on a real SQLite file with a controllable clock."""

import threading
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from models import Case, CaseMessage, Notification, OutboxEmail, SurveyAnswer
from services import cases, clock, report_days, reports, surveys, users, workflow
from services.db import unit_of_work
from services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tests.conftest import make_user, register_case, resolve_case

GT = "Gestión Tecnológica"


@pytest.fixture
def now(monkeypatch):
    """A clock the test moves: services read time only through services.clock.now."""
    current = {"t": datetime(2026, 11, 2, 15, 0)}
    monkeypatch.setattr(clock, "now", lambda: current["t"])
    return current


@pytest.fixture
def people(desk):
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    make_user(desk, "carlos.gomez", full_name="Carlos Gómez")
    make_user(desk, "laura.rios", role="advisor", areas=[GT], full_name="Laura Ríos")
    make_user(desk, "marta.luna", role="manager", full_name="Marta Luna")
    return desk


def _actor(engine, username):
    with unit_of_work(engine, write=False) as session:
        return users.load_actor(session=session, username=username)


def _resolved_case(engine, tmp_path, username="ana.perez", option="Impresoras", solution="Se cambió el tóner."):
    number = register_case(engine, tmp_path, username=username, option=option)
    resolve_case(engine, number, solution=solution)
    return number


def _case(engine, number):
    with unit_of_work(engine, write=False) as session:
        return session.scalar(sa.select(Case).where(Case.number == number))


def _answer(engine, username, number, resolved, comment="", round_=1):
    with unit_of_work(engine) as session:
        surveys.answer(
            session=session,
            actor=users.load_actor(session=session, username=username),
            number=number,
            round=round_,
            resolved=resolved,
            comment=comment,
        )


def test_the_requester_is_asked_about_each_resolved_case(people, tmp_path, now):
    first = _resolved_case(people, tmp_path)
    second = _resolved_case(people, tmp_path, solution="Otra solución")
    with unit_of_work(people, write=False) as session:
        questions = surveys.pending_questions(session=session, actor=_actor(people, "ana.perez"))
        assert [(q.number, q.solution, q.round) for q in questions] == [
            (first, "Se cambió el tóner.", 1),
            (second, "Otra solución", 1),
        ]
        assert surveys.pending_questions(session=session, actor=_actor(people, "carlos.gomez")) == []


def test_si_closes_the_case_and_a_rating_can_be_given_once(people, tmp_path, now):
    number = _resolved_case(people, tmp_path)
    _answer(people, "ana.perez", number, True)
    case = _case(people, number)
    assert (case.status, case.closed_at, case.closed_without_answer) == ("closed", now["t"], False)
    ana = _actor(people, "ana.perez")
    for bad in (0, 6, 3.5):
        with pytest.raises(ValidationFailed) as refused, unit_of_work(people) as session:
            surveys.rate(session=session, actor=ana, number=number, rating=bad)
        assert refused.value.key == "survey.rating_range"
    with unit_of_work(people) as session:
        surveys.rate(session=session, actor=ana, number=number, rating=4, comment="Muy amables")
    with pytest.raises(Conflict) as twice, unit_of_work(people) as session:
        surveys.rate(session=session, actor=ana, number=number, rating=1)
    assert twice.value.key == "survey.already_rated"
    with unit_of_work(people, write=False) as session:
        answer = session.scalar(sa.select(SurveyAnswer))
        assert (answer.resolved, answer.rating, answer.rating_comment) == (True, 4, "Muy amables")


def test_a_skipped_rating_cannot_be_given_later(people, tmp_path, now):
    number = _resolved_case(people, tmp_path)
    _answer(people, "ana.perez", number, True)
    ana = _actor(people, "ana.perez")
    with unit_of_work(people) as session:
        surveys.rate(session=session, actor=ana, number=number, rating=None)
    with pytest.raises(Conflict), unit_of_work(people) as session:
        surveys.rate(session=session, actor=ana, number=number, rating=5)


def test_no_needs_a_comment_and_reopens_the_case_with_the_same_advisor(people, tmp_path, now):
    number = _resolved_case(people, tmp_path)
    advisor_before = _case(people, number).assignee_id
    with pytest.raises(ValidationFailed) as refused:
        _answer(people, "ana.perez", number, False, comment="   ")
    assert refused.value.key == "survey.comment_required"
    assert _case(people, number).status == "resolved"

    _answer(people, "ana.perez", number, False, comment="Sigue sin imprimir")
    case = _case(people, number)
    assert (case.status, case.reopen_count, case.assignee_id) == ("in_progress", 1, advisor_before)
    with unit_of_work(people, write=False) as session:
        assert session.scalars(sa.select(CaseMessage.body).where(CaseMessage.case_id == case.id)).all() == [
            "Sigue sin imprimir"
        ]
        kinds = session.scalars(sa.select(Notification.kind).where(Notification.user_id == advisor_before)).all()
        assert "case_reopened" in kinds
        mail = session.scalars(
            sa.select(OutboxEmail.body_text).where(OutboxEmail.to_address == "laura.rios@example.org")
        ).all()
        assert any("Sigue sin imprimir" in body for body in mail)
    detail = _detail(people, "ana.perez", number)
    assert [e.kind for e in detail.events][-1] == "reopened"

    # Resolved again: asked again, for the second round.
    with unit_of_work(people) as session:
        workflow.resolve_case(
            session=session,
            actor=_actor(people, "laura.rios"),
            number=number,
            solution="Ahora sí",
            expected_version=None,
        )
    with pytest.raises(Conflict):
        _answer(people, "ana.perez", number, True, round_=1)
    _answer(people, "ana.perez", number, True, round_=2)
    assert _case(people, number).status == "closed"


def _detail(engine, username, number):
    with unit_of_work(engine, write=False) as session:
        return cases.get_case(
            session=session, actor=users.load_actor(session=session, username=username), number=number
        )


def test_an_answer_is_taken_once_and_only_from_the_requester(people, tmp_path, now):
    number = _resolved_case(people, tmp_path)
    with pytest.raises(NotFound):
        _answer(people, "carlos.gomez", number, True)
    with pytest.raises(NotFound):
        _answer(people, "laura.rios", number, True)
    _answer(people, "ana.perez", number, True)
    with pytest.raises(Conflict) as again:
        _answer(people, "ana.perez", number, False, comment="cambié de idea")
    assert again.value.key == "survey.already_answered"
    with unit_of_work(people, write=False) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(SurveyAnswer)) == 1


def test_two_tabs_answering_at_once_record_one_answer(people, tmp_path, now):
    number = _resolved_case(people, tmp_path)
    outcomes = []

    def tab(resolved):
        try:
            _answer(people, "ana.perez", number, resolved, comment="no sirvió")
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=tab, args=(flag,)) for flag in (True, False, True, False)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "ok"]
    with unit_of_work(people, write=False) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(SurveyAnswer)) == 1


def test_unanswered_resolved_cases_close_by_themselves_after_n_days(people, tmp_path, now):
    old = _resolved_case(people, tmp_path)
    now["t"] += timedelta(days=2)
    recent = _resolved_case(people, tmp_path)
    now["t"] += timedelta(days=3, minutes=1)  # old: 5 days and a minute; recent: 3 days
    assert surveys.auto_close(people, days=5) == 1
    assert (_case(people, old).status, _case(people, old).closed_without_answer) == ("closed", True)
    assert _case(people, recent).status == "resolved"
    assert surveys.auto_close(people, days=5) == 0  # nothing twice
    with pytest.raises(Conflict):
        _answer(people, "ana.perez", old, True)  # the race with the auto-close: already closed, says so
    with unit_of_work(people, write=False) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(SurveyAnswer)) == 0


def _set(engine, number, **values):
    with unit_of_work(engine) as session:
        session.execute(sa.update(Case).where(Case.number == number).values(**values))


def test_key_figures_on_a_hand_made_set(people, tmp_path, now):
    """Five cases resolved on 2 November 2026 with known answers; the right values are stated below."""
    numbers = [_resolved_case(people, tmp_path) for _ in range(5)]
    registered = now["t"]
    # Resolution times: 2, 4, 6, 30, 50 hours; due after 24 h → 3 of 5 on time.
    for number, hours in zip(numbers, (2, 4, 6, 30, 50), strict=True):
        _set(
            people,
            number,
            created_at=registered,
            resolved_at=registered + timedelta(hours=hours),
            due_at=registered + timedelta(hours=24),
        )
    _answer(people, "ana.perez", numbers[0], True)
    _answer(people, "ana.perez", numbers[1], True)
    _answer(people, "ana.perez", numbers[2], True)
    _answer(people, "ana.perez", numbers[3], False, comment="no")  # reopened: a "No"
    ana = _actor(people, "ana.perez")
    with unit_of_work(people) as session:
        for number, stars in zip(numbers[:3], (5, 4, 2), strict=True):
            surveys.rate(session=session, actor=ana, number=number, rating=stars)
    _set(people, numbers[4], status="closed", closed_at=registered + timedelta(days=1), closed_without_answer=True)
    report_days.rebuild(people)  # the UPDATEs above bypassed the ORM, so the daily table is recomputed by hand
    marta = _actor(people, "marta.luna")
    window = reports.ReportFilters(start=datetime(2026, 11, 1).date(), end=datetime(2026, 11, 30).date())
    with unit_of_work(people, write=False) as session:
        figures = reports.key_figures(session=session, actor=marta, filters=window)
    assert figures.answered == 4
    assert figures.rated == 3
    assert figures.csat == pytest.approx(2 / 3)
    assert figures.average_rating == pytest.approx(11 / 3)
    assert figures.no_rate == pytest.approx(1 / 4)
    # Closed: the three "Sí" (never reopened) and the auto-closed one (never reopened) → 4 of 4.
    assert figures.first_contact == pytest.approx(1.0)
    assert figures.closed_without_answer == 1
    # Still resolved_at in range: cases 0,1,2 (closed) and 4 (auto-closed); case 3 was reopened (no resolved_at).
    assert figures.median_resolution_hours == pytest.approx(4.0, abs=0.01)  # of 2, 4, 6, 50 → lower middle
    assert figures.sla_compliance == pytest.approx(3 / 4)
    with unit_of_work(people, write=False) as session:
        data = reports.charts(session=session, actor=marta, filters=window)
        export = reports.export_rows(session=session, actor=marta, filters=window)
    assert dict(zip(data["ratings"]["estrellas"], data["ratings"]["respuestas"], strict=True)) == {2: 1, 4: 1, 5: 1}
    assert list(export.columns)[:3] == ["Caso", "Área", "Opción"] and len(export) == 4
    assert sorted(export["¿Resuelta?"]) == ["No", "Sí", "Sí", "Sí"]


def test_employees_and_advisors_get_no_reports(people):
    window = reports.ReportFilters(start=datetime(2026, 11, 1).date(), end=datetime(2026, 11, 30).date())
    for username in ("ana.perez", "laura.rios"):
        with pytest.raises(PermissionDenied), unit_of_work(people, write=False) as session:
            reports.key_figures(session=session, actor=_actor(people, username), filters=window)


def test_exports_make_formula_looking_text_inert(people, tmp_path, now):
    number = _resolved_case(people, tmp_path)
    _answer(people, "ana.perez", number, False, comment='=HYPERLINK("http://malo.example","ver")')
    window = reports.ReportFilters(start=datetime(2026, 11, 1).date(), end=datetime(2026, 11, 30).date())
    with unit_of_work(people, write=False) as session:
        export = reports.export_rows(session=session, actor=_actor(people, "marta.luna"), filters=window)
    assert export["Comentario del solicitante"].tolist() == ['\'=HYPERLINK("http://malo.example","ver")']
