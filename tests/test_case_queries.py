"""The work view reads a case in a fixed number of statements, however long its conversation grows (no N+1)."""

from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from models import Area, ReportDay, SlaPolicy, User
from services import cases, clock, inbox, report_days, users, workflow
from services.cases import NewFile, Uploads
from services.db import unit_of_work
from services.storage import Storage
from tests.conftest import ON_POSTGRES, make_user, register_case

GT = "Gestión Tecnológica"


@pytest.fixture
def people(desk):
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    make_user(desk, "laura.rios", role="advisor", areas=[GT], full_name="Laura Ríos")
    make_user(desk, "marta.luna", role="manager", full_name="Marta Luna")
    return desk


def _case_with(engine, files_dir, count: int) -> int:
    """A case with `count` messages (half of them the advisor's internal notes), each with a file and an event."""
    number = register_case(engine, files_dir)
    uploads = Uploads(Storage(files_dir), 5)
    for i in range(count):
        author = "laura.rios" if i % 2 else "ana.perez"
        with unit_of_work(engine) as session:
            cases.post_message(
                session=session,
                actor=users.load_actor(session=session, username=author),
                uploads=uploads,
                number=number,
                body=f"Mensaje {i}",
                internal=author == "laura.rios",
                files=[NewFile(f"nota{i}.txt", f"archivo {i}".encode())],
            )
    return number


def _statements_to_read(engine, username: str, number: int) -> tuple[int, int]:
    """(statements issued, messages seen) when `username` opens case `number`."""
    with unit_of_work(engine, write=False) as session:
        actor = users.load_actor(session=session, username=username)
        statements = []

        def count(conn, cursor, statement, *_):
            statements.append(statement)

        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            detail = cases.get_case(session=session, actor=actor, number=number)
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
    return len(statements), len(detail.messages)


@pytest.mark.parametrize("username", ["ana.perez", "laura.rios", "marta.luna"])
def test_reading_a_case_takes_the_same_few_statements_for_one_message_or_ten(people, tmp_path, username):
    small = _case_with(people, tmp_path / "files", 1)
    large = _case_with(people, tmp_path / "files", 10)
    small_count, small_seen = _statements_to_read(people, username, small)
    large_count, large_seen = _statements_to_read(people, username, large)
    assert large_seen > small_seen
    # The case with its area, option and people; its files; its messages; its events (each with its people);
    # and for its requester where it stands in the queue, for the staff the area's calendar (the time left).
    assert small_count == large_count == 5


@contextmanager
def statements_with(engine, marker: str):
    """The (statement, parameters) the engine issues inside the block whose text holds `marker`."""
    seen = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if marker in statement:
            seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", keep)


def plan_of(conn, statement: str, parameters) -> str:
    return " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters))


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's query planner; PostgreSQL plans on its own statistics")
@pytest.mark.parametrize("username", ["laura.rios", "marta.luna"])
def test_the_bandejas_key_figures_read_open_cases_from_an_index_alone(people, tmp_path, username):
    """Every click in the Bandeja counts its six figures: from the partial index of open cases, without
    reading one case row per open case (migration 0014 added the first response's columns to it)."""
    with unit_of_work(people) as session:
        session.execute(sa.update(Area).values(assignment_mode="manual"))
    register_case(people, tmp_path)
    with statements_with(people, "count(*) FILTER") as seen, unit_of_work(people, write=False) as session:
        figures = inbox.figures(session=session, actor=users.load_actor(session=session, username=username))
    assert figures.unassigned == 1
    [(statement, parameters)] = seen
    with people.connect() as conn:
        if username == "marta.luna":
            # Across all areas the planner needs the tables' statistics to prefer the partial index to
            # ix_cases_status_due (a desk in use has none, nor have the bench's: README "In a browser").
            conn.exec_driver_sql("ANALYZE")
        plan = plan_of(conn, statement, parameters)
    assert "USING COVERING INDEX ix_cases_open_" in plan, plan


def laura_replies(engine, tmp_path, number: int) -> None:
    """Laura's reply to the case: its first response, which counts in report_days."""
    with unit_of_work(engine) as session:
        cases.post_message(
            session=session,
            actor=users.load_actor(session=session, username="laura.rios"),
            uploads=Uploads(Storage(tmp_path / "files"), 5),
            number=number,
            body="Ya lo revisamos.",
        )


# What a day's recount reads: every case and answer of the day, by the dates they count on.
RECOUNT_READS = ("closed_at >=", "resolved_at >=", "first_response_at >=", "survey_answers.created_at >=")


def test_a_resolution_moves_its_own_rows_and_reads_no_other_case(people, tmp_path):
    """A resolution (a first reply, a closing, an answer) counts in the daily tables inside its own
    transaction: it adds itself to its rows and reads no other case. A recount of its day read every case
    of the day (15–30 ms per write at 200,000 cases, more with a desk's daily volume), and before that
    every closed case of the desk."""
    number = register_case(people, tmp_path)  # assigned to Laura, the area's one advisor
    laura_replies(people, tmp_path, number)
    with (
        statements_with(people, "_days") as writes,
        statements_with(people, "") as seen,
        unit_of_work(people) as session,
    ):
        actor = users.load_actor(session=session, username="laura.rios")
        workflow.resolve_case(session=session, actor=actor, number=number, solution="Listo.", expected_version=None)
    assert not [s for s, _ in seen if any(marker in s for marker in RECOUNT_READS)]
    # Each table moved in one statement, then its rows left at nothing removed (none here).
    assert [s.split()[:3] for s, _ in writes] == [
        ["INSERT", "INTO", "report_days"],
        ["DELETE", "FROM", "report_days"],
        ["INSERT", "INTO", "resolution_days"],
        ["DELETE", "FROM", "resolution_days"],
    ]
    assert all("ON CONFLICT" in s for s, _ in writes if s.startswith("INSERT"))
    with unit_of_work(people, write=False) as session:
        laura = session.scalar(sa.select(User.id).where(User.username == "laura.rios"))
        grains = session.execute(
            sa.select(ReportDay.grain, ReportDay.resolved, ReportDay.advisor_id).order_by(ReportDay.grain)
        ).all()
    assert [tuple(g) for g in grains] == [("advisor", 1, laura), ("area", 1, 0), ("option", 1, 0)]


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's query planner; PostgreSQL plans on its own statistics")
def test_a_days_recount_reads_that_days_cases_and_rows_by_index(people, tmp_path):
    """A recount of days (bench.generate, `cli.py rebuild-reports`, report_days.refresh_days) reads the days'
    closed cases from ix_cases_closed_at, also on a desk whose tables have no statistics (SQLite never
    gathers them by itself): through ix_cases_status_due it read every closed case of the desk, ~0.5 s per
    day at 200,000 cases. And it replaces the days' rows of report_days and resolution_days found by their
    day through an index, not by reading the whole daily tables (~170,000 rows at 200,000 cases)."""
    number = register_case(people, tmp_path)
    laura_replies(people, tmp_path, number)
    with (
        statements_with(people, "closed_at >=") as reads,
        statements_with(people, "DELETE FROM") as deletes,
        people.begin() as conn,
    ):
        report_days.refresh_days(conn, {clock.now().date()})
    [(statement, parameters)] = reads
    with people.connect() as conn:
        assert not conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").all()
        plan = plan_of(conn, statement, parameters)
        assert "INDEX ix_cases_closed_at (closed_at>? AND closed_at<?)" in plan, plan
        by_table = {statement.split()[2]: (statement, parameters) for statement, parameters in deletes}
        assert set(by_table) == {"report_days", "resolution_days"}
        for table, (statement, parameters) in by_table.items():
            plan = plan_of(conn, statement, parameters)
            assert "USING" in plan and "day>? AND day<?" in plan, (table, plan)


def test_only_a_change_that_moves_a_daily_figure_writes_a_daily_row(people, tmp_path):
    """An answered open case put on hold and back, or an unanswered one taken: no daily row counts that, so
    nothing is written. Its reassignment moves its first response to the new advisor's row."""
    make_user(people, "pablo.diaz", role="advisor", areas=[GT], full_name="Pablo Díaz")
    with unit_of_work(people) as session:  # a first-response target, so that the first reply counts
        gt = session.scalar(sa.select(Area.id).where(Area.name == GT))
        session.execute(sa.update(SlaPolicy).where(SlaPolicy.area_id == gt).values(first_response_hours=4))
    number = register_case(people, tmp_path)
    laura_replies(people, tmp_path, number)

    def writes(service, username: str, **arguments) -> bool:
        with statements_with(people, " report_days") as seen, unit_of_work(people) as session:
            actor = users.load_actor(session=session, username=username)
            service(session=session, actor=actor, number=number, expected_version=None, **arguments)
        return bool(seen)

    assert not writes(workflow.change_status, "laura.rios", to="waiting")
    assert not writes(workflow.change_status, "laura.rios", to="in_progress")
    assert writes(workflow.assign_case, "laura.rios", advisor_username="pablo.diaz")
    with unit_of_work(people, write=False) as session:
        rows = dict(
            session.execute(
                sa.select(User.username, ReportDay.first_responded)
                .join(User, User.id == ReportDay.advisor_id)
                .where(ReportDay.grain == "advisor")
            ).all()
        )
    assert rows == {"pablo.diaz": 1}  # Laura's row, left at nothing, is gone
    unanswered = register_case(people, tmp_path)
    number = unanswered
    with statements_with(people, "SELECT cases.id, cases.resolved_at") as read_before:
        assert not writes(workflow.take_case, "pablo.diaz")
    assert not read_before  # a case that counts nowhere, before or after: its old values are not even read


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's query planner; PostgreSQL plans on its own statistics")
def test_a_bandeja_with_closed_cases_reads_its_page_from_the_status_index_alone(people, tmp_path):
    """Cerrado added to Estado: the list holds every closed case of the areas (~100,000 at 200,000 cases).
    Its page is read from the status index alone, stopping after the page's rows of each status, and only
    those rows are joined to their names: with the joins, every closed case was read and sorted, 0.33 s
    per click at 200,000 cases."""
    numbers = [register_case(people, tmp_path, subject=f"Impresora {i}") for i in range(3)]
    wanted = (*inbox.STATUS_CHOICES,)
    with statements_with(people, "ORDER BY cases.due_at") as seen, unit_of_work(people, write=False) as session:
        laura = users.load_actor(session=session, username="laura.rios")
        result = inbox.list_inbox(session=session, actor=laura, filters=inbox.InboxFilters(statuses=wanted))
    assert [row.number for row in result.rows] == numbers  # the soonest due first: here, as registered
    [(statement, parameters)] = [(s, p) for s, p in seen if " LIMIT " in s]
    with people.connect() as conn:
        plan = plan_of(conn, statement, parameters)
    assert "USING COVERING INDEX ix_cases_area_status_due" in plan, plan
