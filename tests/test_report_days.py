"""Satisfacción reads report_days, the daily sums; these tests hold it to the same figures read from the cases."""

from datetime import timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from bench.generate import generate
from models import Area, Case, ReportDay, SurveyAnswer, User
from models.enums import Status
from models.reports import HOUR_BOUNDS
from services import cases, clock, reports, surveys, users, workflow
from services.db import unit_of_work
from tests.conftest import make_user

TODAY = clock.now().date()


@pytest.fixture
def busy_desk(desk):
    """1,500 synthetic cases over three years (every status, answers, stars), a manager to read them."""
    generate(desk, cases=1_500, users=60, quiet=True)
    make_user(desk, "marta.luna", role="manager", full_name="Marta Luna")
    return desk


def _actor(engine, username):
    with unit_of_work(engine, write=False) as session:
        return users.load_actor(session=session, username=username)


def _filters(engine):
    """Ranges and every kind of filter the page offers, with values the data really has."""
    with unit_of_work(engine, write=False) as session:
        area_id, option_id, advisor_id = session.execute(
            sa.select(Case.area_id, Case.option_id, Case.assignee_id)
            .where(Case.assignee_id.is_not(None))
            .order_by(Case.id)
            .limit(1)
        ).one()
    last_90 = dict(start=TODAY - timedelta(days=90), end=TODAY)
    years = dict(start=TODAY - timedelta(days=4 * 365), end=TODAY)
    return [
        reports.ReportFilters(**last_90),
        reports.ReportFilters(**years),
        reports.ReportFilters(**years, area_id=area_id),
        reports.ReportFilters(**years, option_id=option_id),
        reports.ReportFilters(**years, advisor_id=advisor_id),
        reports.ReportFilters(**years, area_id=area_id, advisor_id=advisor_id),
        reports.ReportFilters(start=TODAY - timedelta(days=400), end=TODAY - timedelta(days=200), area_id=area_id),
    ]


def _same_figures(engine, manager, filters):
    with unit_of_work(engine, write=False) as session:
        daily = reports.key_figures(session=session, actor=manager, filters=filters)
        direct = reports.key_figures_from_cases(session=session, filters=filters)
        daily_charts = reports.charts(session=session, actor=manager, filters=filters)
        direct_charts = reports.charts_from_cases(session=session, filters=filters)
    assert daily == pytest.approx(direct), filters
    for name in ("ratings", "areas", "advisors", "urgency"):
        left = daily_charts[name].reset_index(drop=True)
        right = direct_charts[name].reset_index(drop=True)
        if name == "advisors":  # equal counts may list in any order
            left, right = (f.sort_values(["respuestas", "asesor"]).reset_index(drop=True) for f in (left, right))
        if name == "urgency":
            left, right = (f.sort_values("urgencia").reset_index(drop=True) for f in (left, right))
        pd.testing.assert_frame_equal(left, right, check_dtype=False, obj=f"{name} {filters}")
    # Months: the daily table puts an answer in its local month, the cases query in its UTC month.
    assert daily_charts["months"]["respuestas"].sum() == direct_charts["months"]["respuestas"].sum()
    return daily


def test_daily_figures_equal_the_figures_read_from_the_cases(busy_desk):
    manager = _actor(busy_desk, "marta.luna")
    with unit_of_work(busy_desk, write=False) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ReportDay)) > 1_000
    seen = [_same_figures(busy_desk, manager, f) for f in _filters(busy_desk)]
    assert seen[1].answered > 500 and seen[1].rated == seen[1].answered  # the data really has answers
    assert seen[1].median_resolution_hours is not None and seen[0].answered < seen[1].answered


def test_each_change_made_through_the_services_moves_the_daily_figures(busy_desk, tmp_path):
    """Resolve, answer No (reopen), reassign, resolve again, answer Sí and rate, close by itself."""
    manager = _actor(busy_desk, "marta.luna")
    with unit_of_work(busy_desk, write=False) as session:
        open_cases = session.execute(
            sa.select(Case.number, User.username, Case.requester_id)
            .join(User, User.id == Case.assignee_id)
            .where(Case.status.in_([Status.IN_PROGRESS, Status.ASSIGNED]))
            .order_by(Case.number)
            .limit(3)
        ).all()
        requesters = {n: session.scalar(sa.select(User.username).where(User.id == r)) for n, _, r in open_cases}
    assert len(open_cases) == 3
    everything = reports.ReportFilters(start=TODAY - timedelta(days=4 * 365), end=TODAY + timedelta(days=7))
    before = _same_figures(busy_desk, manager, everything)

    def act(fn, username, **kw):
        with unit_of_work(busy_desk) as session:
            fn(session=session, actor=users.load_actor(session=session, username=username), **kw)

    (first, first_advisor, _), (second, second_advisor, _), (third, third_advisor, _) = open_cases
    # Moves of an open case that no daily row counts (its status, a pause), and a reply.
    for status in ("waiting", "in_progress"):
        act(workflow.change_status, second_advisor, number=second, to=status, expected_version=None)
    act(cases.post_message, second_advisor, uploads=None, number=second, body="Lo estamos revisando.")
    _same_figures(busy_desk, manager, everything)
    for number, advisor in ((first, first_advisor), (second, second_advisor), (third, third_advisor)):
        act(workflow.resolve_case, advisor, number=number, solution="Listo.", expected_version=None)
    after_resolving = _same_figures(busy_desk, manager, everything)
    assert after_resolving.sla_compliance is not None

    act(surveys.answer, requesters[first], number=first, round=1, resolved=False, comment="Sigue igual")
    reopened = _same_figures(busy_desk, manager, everything)
    assert (reopened.answered, reopened.no_rate) != (after_resolving.answered, after_resolving.no_rate)
    assert reopened.answered == before.answered + 1

    with unit_of_work(busy_desk, write=False) as session:
        area_name = session.scalar(sa.select(Area.name).join(Case, Case.area_id == Area.id).where(Case.number == first))
    other = make_user(busy_desk, "pablo.diaz", role="advisor", areas=[area_name]).username
    act(workflow.assign_case, "admin.mesa", number=first, advisor_username=other, expected_version=None)
    _same_figures(busy_desk, manager, everything)  # the "No" now counts under the new advisor
    act(workflow.resolve_case, other, number=first, solution="Ahora sí.", expected_version=None)
    act(surveys.answer, requesters[first], number=first, round=2, resolved=True)
    act(surveys.rate, requesters[first], number=first, rating=4)
    act(surveys.answer, requesters[second], number=second, round=1, resolved=True)
    rated = _same_figures(busy_desk, manager, everything)
    assert rated.answered == before.answered + 3 and rated.rated == before.rated + 1

    closed = surveys.auto_close(busy_desk, days=5, now=clock.now() + timedelta(days=6))
    assert closed >= 1  # the third case, and the synthetic resolved ones
    final = _same_figures(busy_desk, manager, everything)
    assert final.closed_without_answer == before.closed_without_answer + closed
    with unit_of_work(busy_desk, write=False) as session:
        assert (
            session.scalar(sa.select(sa.func.count()).select_from(SurveyAnswer).join(Case).where(Case.number == first))
            == 2
        )


def test_beyond_the_exact_limit_the_median_comes_from_the_buckets(busy_desk, monkeypatch):
    manager = _actor(busy_desk, "marta.luna")
    everything = reports.ReportFilters(start=TODAY - timedelta(days=4 * 365), end=TODAY)
    with unit_of_work(busy_desk, write=False) as session:
        exact = reports.key_figures(session=session, actor=manager, filters=everything).median_resolution_hours
        monkeypatch.setattr(reports, "EXACT_MEDIAN_UP_TO", 0)
        from_buckets = reports.key_figures(session=session, actor=manager, filters=everything).median_resolution_hours
    bounds = (0.0, *HOUR_BOUNDS)
    low = max(b for b in bounds if b <= exact)
    high = min(b for b in HOUR_BOUNDS if b >= exact)
    assert low <= from_buckets <= high and exact != from_buckets


def test_the_median_of_buckets_is_the_lower_middle_inside_its_bucket():
    counts = [0] * (len(HOUR_BOUNDS) + 1)
    assert reports.median_of_buckets(counts) is None
    counts[0], counts[5] = 1, 2  # one case under half an hour, two between 3 and 4 hours
    assert reports.median_of_buckets(counts) == pytest.approx(3.25)  # rank 1 of 3: the first of the two
    counts[-1] = 10  # over 360 hours
    assert reports.median_of_buckets(counts) > 360


def test_a_desk_upgraded_across_0006_gets_its_daily_table_filled(busy_desk):
    """An existing desk (at 0005, no daily table) upgraded: its cases are summed once, even one case
    with no due time (a legacy row) among them."""
    from alembic import command

    from services.migrate import alembic_config, upgrade

    with unit_of_work(busy_desk) as session:
        session.execute(
            sa.update(Case)
            .where(Case.id == session.scalar(sa.select(sa.func.min(Case.id)).where(Case.resolved_at.is_not(None))))
            .values(due_at=None)
        )
    config = alembic_config()
    with busy_desk.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0005")
    upgrade(busy_desk)
    with unit_of_work(busy_desk, write=False) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ReportDay)) > 1_000
    manager = _actor(busy_desk, "marta.luna")
    _same_figures(busy_desk, manager, reports.ReportFilters(start=TODAY - timedelta(days=4 * 365), end=TODAY))
