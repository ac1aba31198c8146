"""Satisfacción reads report_days, the daily sums; these tests hold it to the same figures read from the cases."""

import random
from datetime import timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from bench.generate import generate
from models import Area, Case, ReportDay, ResolutionDay, ServiceOption, SlaPolicy, SurveyAnswer, User, advisor_areas
from models.enums import Status, Urgency
from models.reports import HOUR_BOUNDS
from services import cases, clock, report_days, reports, surveys, users, workflow
from services.db import unit_of_work
from services.errors import ServiceError
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


def _daily_tables(conn) -> dict:
    """Both daily tables as {(table, key): {column: value}}."""
    tables = {}
    for table, keys in ((ReportDay.__table__, 5), (ResolutionDay.__table__, 4)):
        for row in conn.execute(sa.select(table)):
            values = row._asdict()
            key = tuple(values.pop(c.name) for c in list(table.primary_key.columns)[:keys])
            tables[(table.name, key)] = values
    return tables


def _moved_equals_recounted(engine) -> int:
    """The daily tables as the writes left them, against a recount of every day from the cases (rolled
    back): the same rows, the same counts, the same hour sums."""
    with engine.connect() as conn, conn.begin() as transaction:
        moved = _daily_tables(conn)
        report_days.rebuild(conn)
        recounted = _daily_tables(conn)
        transaction.rollback()
    assert moved.keys() == recounted.keys(), sorted(set(moved) ^ set(recounted))[:5]
    for key, values in recounted.items():
        assert moved[key] == pytest.approx(values, abs=1e-6), key
    return len(moved)


@pytest.mark.parametrize("seed", [7, 2026])
def test_the_daily_tables_equal_a_recount_after_any_sequence_of_changes(busy_desk, seed):
    """Random changes through the services, the way people make them (replies, Tomar, reassignments,
    statuses, reclassifications across areas, resolutions, answers Sí and No, stars, the auto-close),
    some refused on the way (a rolled-back write must count nothing): after each few, report_days and
    resolution_days hold exactly what a recount of every day from the cases gives."""
    rng = random.Random(seed)
    with unit_of_work(busy_desk) as session:  # first-response targets: first replies count too
        session.execute(sa.update(SlaPolicy).values(first_response_hours=4))
    with unit_of_work(busy_desk, write=False) as session:
        numbers = []
        for statuses, count in (
            ([Status.RESOLVED], 12),
            ([Status.CLOSED], 4),
            ([Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING], 14),
        ):
            numbers += session.scalars(
                sa.select(Case.number).where(Case.status.in_(statuses)).order_by(Case.id.desc()).limit(count)
            ).all()
        advisors = session.execute(
            sa.select(advisor_areas.c.area_id, User.username).join(User, User.id == advisor_areas.c.user_id)
        ).all()
        options = session.scalars(sa.select(ServiceOption.id).where(ServiceOption.active.is_(True))).all()

    def change(session, number):
        case = session.scalar(sa.select(Case).where(Case.number == number))
        of_area = [name for area, name in advisors if area == case.area_id]
        holder = session.scalar(sa.select(User.username).where(User.id == case.assignee_id)) or rng.choice(of_area)
        staff = users.load_actor(session=session, username=holder)
        if case.status == Status.RESOLVED:
            kind = rng.choice(["answer", "answer", "rate", "reply"])
        elif case.status == Status.CLOSED:
            kind = rng.choice(["rate", "reply"])  # a closed case takes no reply: refused, rolled back
        else:
            kind = rng.choice(["reply", "take", "assign", "status", "reclassify", "resolve", "resolve"])
        common = dict(session=session, number=number)
        if kind == "reply":
            cases.post_message(**common, actor=staff, uploads=None, body="Revisando.")
        elif kind == "take":
            advisor = users.load_actor(session=session, username=rng.choice(of_area))
            workflow.take_case(**common, actor=advisor, expected_version=None)
        elif kind == "assign":
            workflow.assign_case(**common, actor=staff, advisor_username=rng.choice(of_area), expected_version=None)
        elif kind == "status":
            workflow.change_status(
                **common, actor=staff, to=rng.choice(["waiting", "in_progress"]), expected_version=None
            )
        elif kind == "reclassify":
            workflow.reclassify(
                **common,
                actor=staff,
                urgency=rng.choice(list(Urgency)).value,
                option_id=rng.choice(options),
                reason="Otra área",
                expected_version=None,
            )
        elif kind == "resolve":
            workflow.resolve_case(**common, actor=staff, solution="Listo.", expected_version=None)
        else:
            requester = session.scalar(sa.select(User.username).where(User.id == case.requester_id))
            requester = users.load_actor(session=session, username=requester)
            if kind == "answer":
                said = rng.random() < 0.5
                surveys.answer(**common, actor=requester, round=case.reopen_count + 1, resolved=said, comment="No")
            else:
                surveys.rate(**common, actor=requester, rating=rng.randint(1, 5))

    done = refused = 0
    for step in range(90):
        try:
            with unit_of_work(busy_desk) as session:
                change(session, rng.choice(numbers))
            done += 1
        except ServiceError:
            refused += 1
        if step % 15 == 14:
            assert _moved_equals_recounted(busy_desk) > 1_000
    surveys.auto_close(busy_desk, days=5, now=clock.now() + timedelta(days=6))
    _moved_equals_recounted(busy_desk)
    assert done >= 25 and refused >= 1, (done, refused)  # the sequence really changed cases, and met refusals


def test_a_savepoint_rolled_back_keeps_what_the_transaction_did_before_it(busy_desk):
    """The e-mail reader and the SLA alerts undo part of a transaction by a savepoint. A case resolved before
    the savepoint still counts; one resolved inside it and undone counts nothing."""
    with unit_of_work(busy_desk, write=False) as session:
        (first, first_advisor), (second, second_advisor) = session.execute(
            sa.select(Case.number, User.username)
            .join(User, User.id == Case.assignee_id)
            .where(Case.status == Status.IN_PROGRESS)
            .order_by(Case.id.desc())
            .limit(2)
        ).all()
        resolved_today = session.scalar(sa.select(sa.func.sum(ReportDay.resolved)).where(ReportDay.grain == "area"))

    def resolve(session, number, username):
        actor = users.load_actor(session=session, username=username)
        workflow.resolve_case(session=session, actor=actor, number=number, solution="Listo.", expected_version=None)

    with unit_of_work(busy_desk) as session:
        resolve(session, first, first_advisor)
        session.flush()
        with pytest.raises(RuntimeError), session.begin_nested():
            resolve(session, second, second_advisor)
            session.flush()
            raise RuntimeError("undone")
    _moved_equals_recounted(busy_desk)
    with unit_of_work(busy_desk, write=False) as session:
        assert session.scalar(sa.select(sa.func.sum(ReportDay.resolved)).where(ReportDay.grain == "area")) == (
            resolved_today + 1
        )
        statuses = dict(
            session.execute(sa.select(Case.number, Case.status).where(Case.number.in_([first, second]))).all()
        )
    assert statuses == {first: Status.RESOLVED, second: Status.IN_PROGRESS}
