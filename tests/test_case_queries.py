"""The work view reads a case in a fixed number of statements, however long its conversation grows (no N+1)."""

from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from models import Area
from services import cases, inbox, users, workflow
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
    """Laura's reply to the case: its first response, which recounts its day in report_days."""
    with unit_of_work(engine) as session:
        cases.post_message(
            session=session,
            actor=users.load_actor(session=session, username="laura.rios"),
            uploads=Uploads(Storage(tmp_path / "files"), 5),
            number=number,
            body="Ya lo revisamos.",
        )


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's query planner; PostgreSQL plans on its own statistics")
def test_a_first_reply_recounts_its_day_from_that_days_closed_cases_alone(people, tmp_path):
    """A first reply (or a resolution, a closing) recounts its day in report_days inside the reply's own
    transaction. The closed cases of that day must come from ix_cases_closed_at, also on a desk whose
    tables have no statistics (SQLite never gathers them by itself): through ix_cases_status_due it read
    every closed case of the desk, ~0.5 s per first reply at 200,000 cases with the write lock held."""
    number = register_case(people, tmp_path)  # assigned to Laura, the area's one advisor
    with statements_with(people, "closed_at >=") as seen:
        laura_replies(people, tmp_path, number)
    [(statement, parameters)] = seen
    with people.connect() as conn:
        assert not conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").all()
        plan = plan_of(conn, statement, parameters)
    assert "INDEX ix_cases_closed_at (closed_at>? AND closed_at<?)" in plan, plan


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's query planner; PostgreSQL plans on its own statistics")
def test_a_days_recount_clears_that_days_rows_by_index(people, tmp_path):
    """The recount replaces its day's rows of report_days and resolution_days: found by their day through an
    index, not by reading the whole daily tables (three years of days, ~170,000 rows at 200,000 cases:
    14 ms of every status change, reassignment, resolution or answer)."""
    number = register_case(people, tmp_path)
    with statements_with(people, "DELETE FROM") as seen:
        laura_replies(people, tmp_path, number)
    deletes = {statement.split()[2]: (statement, parameters) for statement, parameters in seen}
    assert set(deletes) == {"report_days", "resolution_days"}
    with people.connect() as conn:
        for table, (statement, parameters) in deletes.items():
            plan = plan_of(conn, statement, parameters)
            assert "USING" in plan and "day>? AND day<?" in plan, (table, plan)


def test_only_a_change_that_moves_a_daily_figure_recounts_its_day(people, tmp_path):
    """An answered open case put on hold and back, or an unanswered one taken: no daily row counts that, so no
    recount. Its reassignment moves its first response to the new advisor's row: recounted."""
    make_user(people, "pablo.diaz", role="advisor", areas=[GT], full_name="Pablo Díaz")
    number = register_case(people, tmp_path)
    laura_replies(people, tmp_path, number)

    def recounts(service, username: str, **arguments) -> bool:
        with statements_with(people, "DELETE FROM report_days") as seen, unit_of_work(people) as session:
            actor = users.load_actor(session=session, username=username)
            service(session=session, actor=actor, number=number, expected_version=None, **arguments)
        return bool(seen)

    assert not recounts(workflow.change_status, "laura.rios", to="waiting")
    assert not recounts(workflow.change_status, "laura.rios", to="in_progress")
    assert recounts(workflow.assign_case, "laura.rios", advisor_username="pablo.diaz")
    unanswered = register_case(people, tmp_path)
    number = unanswered
    assert not recounts(workflow.take_case, "pablo.diaz")


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
