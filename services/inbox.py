"""Bandeja de casos: the advisors' queue, its key figures and filters, paged in SQL."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import Area, Case, ServiceOption, User
from models.cases import OPEN_STATUS_SQL
from models.enums import Role, Status
from services import clock, search, sla
from services.errors import PermissionDenied
from services.paging import Page, clamp, read_page
from services.text import clean
from services.users import Actor
from services.workflow import OPEN

# The Bandeja draws only the rows of one page: the user picks how many (its table costs the browser
# time per row), 25 unless they choose otherwise.
PAGE_SIZES = (10, 25, 50, 100)
PAGE_SIZE = 25
# Exactly the partial indexes' predicate, so SQLite and PostgreSQL use them (a bound-parameter
# IN list would not match).
IS_OPEN = sa.text(f"cases.{OPEN_STATUS_SQL}")
QUICK_FILTERS = ("unassigned", "mine_open", "due_today", "overdue", "first_response_overdue", "waiting")


@dataclass(frozen=True)
class InboxFilters:
    area_id: int | None = None
    statuses: tuple[str, ...] = tuple(OPEN)
    urgency: str | None = None
    assignee: str = "any"  # "me", "unassigned" or "any"
    text: str = ""
    quick: str | None = None
    window: int | None = None  # the search's window (services.search.window_for; None: the first)


@dataclass(frozen=True)
class InboxRow:
    number: int
    subject: str
    requester: str
    area: str
    option: str
    urgency: str
    status: str
    assignee: str | None
    created_at: datetime
    due_at: datetime | None
    waiting_since: datetime | None
    last_activity_at: datetime
    area_id: int = 0
    first_response_due_at: datetime | None = None
    first_response_at: datetime | None = None
    # Business time to each target in the area's calendar (negative once past; None: no target, or met).
    left: timedelta | None = None
    first_response_left: timedelta | None = None
    # With a search: where its words are in the case's text (between search.SNIPPET_START and _END).
    snippet: str = ""

    @property
    def paused(self) -> bool:
        """En espera (on the requester): its SLA clock stands still, so it is never shown overdue."""
        return self.status == Status.WAITING


InboxPage = Page[InboxRow]
# The Estado filter's choices, in the flow's order; its default is workflow.OPEN.
STATUS_CHOICES = tuple(Status)


@dataclass(frozen=True)
class InboxFigures:
    unassigned: int
    mine_open: int
    due_today: int
    overdue: int
    first_response_overdue: int
    waiting: int


def _require_staff(actor: Actor) -> None:
    if actor.role not in (Role.ADVISOR, Role.MANAGER, Role.ADMIN):
        raise PermissionDenied("error.forbidden")


def _scope(actor: Actor):
    """Advisors see their areas' cases; managers and admins every area."""
    if actor.role == Role.ADVISOR:
        return Case.area_id.in_(actor.area_ids or (-1,))
    return sa.true()


def _end_of_local_day(now: datetime) -> datetime:
    return clock.utc_start_of(clock.local_day(now) + timedelta(days=1))


def _quick(quick: str, me, now, end_of_day):
    """The condition of one key figure; `me`, `now` and `end_of_day` are values or bound parameters."""
    if quick == "unassigned":
        return sa.and_(IS_OPEN, Case.assignee_id.is_(None))
    if quick == "mine_open":
        return sa.and_(IS_OPEN, Case.assignee_id == me)
    if quick == "waiting":
        return sa.and_(IS_OPEN, Case.status == Status.WAITING)
    running = sa.and_(IS_OPEN, Case.status != Status.WAITING)
    if quick == "due_today":
        return sa.and_(running, Case.due_at >= now, Case.due_at < end_of_day)
    if quick == "overdue":
        return sa.and_(running, Case.due_at < now)
    if quick == "first_response_overdue":
        return sa.and_(running, Case.first_response_at.is_(None), Case.first_response_due_at < now)
    raise KeyError(quick)


@functools.cache
def _figures_query(in_areas: bool) -> sa.Select:
    """The six counts in one statement, built once (every click of the Bandeja asks it): the actor, the
    time and an advisor's areas are its parameters."""
    me, now, end_of_day = sa.bindparam("me"), sa.bindparam("now"), sa.bindparam("end_of_day")
    scope = Case.area_id.in_(sa.bindparam("areas", expanding=True)) if in_areas else sa.true()
    return (
        sa.select(*(sa.func.count().filter(_quick(key, me, now, end_of_day)) for key in QUICK_FILTERS))
        .select_from(Case)
        .where(scope, IS_OPEN)
    )


def figures(*, session: so.Session, actor: Actor) -> InboxFigures:
    """The key figures at the top of the inbox, in one aggregate query over the open cases' index."""
    _require_staff(actor)
    now = clock.now()
    advisor = actor.role == Role.ADVISOR
    params = {"me": actor.id, "now": now, "end_of_day": _end_of_local_day(now)}
    if advisor:
        params["areas"] = list(actor.area_ids or (-1,))
    return InboxFigures(*session.execute(_figures_query(advisor), params).one())


@functools.cache
def _rows_query() -> sa.Select:
    """The columns of a row of the list and the joins that name its people, area and option, built once:
    each call adds its conditions and order to it (building these sixteen columns and four joins again on
    every click cost ~2 ms of the list's run)."""
    requester = so.aliased(User)
    assignee = so.aliased(User)
    return (
        sa.select(
            Case.number,
            Case.subject,
            requester.full_name,
            Area.name,
            ServiceOption.name,
            Case.urgency,
            Case.status,
            assignee.full_name,
            Case.created_at,
            Case.due_at,
            Case.waiting_since,
            Case.last_activity_at,
            Case.area_id,
            Case.first_response_due_at,
            Case.first_response_at,
            Case.id,
        )
        .join(Case.requester.of_type(requester))
        .join(Case.area)
        .join(Case.option)
        .outerjoin(Case.assignee.of_type(assignee))
    )


def list_inbox(
    *,
    session: so.Session,
    actor: Actor,
    filters: InboxFilters = InboxFilters(),
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> InboxPage:
    """The cases of the actor's areas that match the filters, by SLA due time (soonest first)."""
    _require_staff(actor)
    now = clock.now()
    where = [_scope(actor)]
    if filters.quick:
        where.append(_quick(filters.quick, actor.id, now, _end_of_local_day(now)))
    elif set(filters.statuses) == set(OPEN):
        where.append(IS_OPEN)
    elif filters.statuses:
        where.append(Case.status.in_(filters.statuses))
    # Only open cases wanted (the Bandeja's default, a key figure, open statuses chosen): a search looks
    # among the open cases inside the word index, not among the newest matching cases of any status.
    open_only = bool(filters.quick) or (bool(filters.statuses) and set(filters.statuses) <= set(OPEN))
    if filters.area_id:
        where.append(Case.area_id == filters.area_id)
    if filters.urgency:
        where.append(Case.urgency == filters.urgency)
    if filters.assignee == "me":
        where.append(Case.assignee_id == actor.id)
    elif filters.assignee == "unassigned":
        where.append(Case.assignee_id.is_(None))
    text = clean(filters.text).lstrip("#")
    found = scope = table = None
    if text:
        if text.isdecimal() and len(text) < 18:
            where.append(Case.number == int(text))
        else:
            # The words anywhere in the case's text (its notes too: staff) and its requester's name, the best
            # match first, among the newest matching cases (services/search.py).
            scope = search.scope_for(actor, own=False, open_only=open_only)
            found = search.matches(session, text, scope, window=filters.window)
            if found is None or not found.scores:
                where.append(sa.false())
            else:
                table = found.table(session.get_bind().dialect.name)  # joined below: it drives the query
    count_query = sa.select(sa.func.count()).select_from(Case)
    if table is not None:
        count_query = count_query.join(table, table.c.case_id == Case.id)
    query = _rows_query()
    if table is not None:
        rows, total, page = _found_page(session, query, count_query.where(*where), where, table, page, page_size)
    elif open_only:  # the open cases' partial indexes hold them in this order
        order = (Case.due_at, Case.number)  # every case gets a due time when registered
        rows, total, page = read_page(
            session, query.where(*where).order_by(*order), count_query.where(*where), page, page_size, together=False
        )
    else:
        rows, total, page = _any_status_page(session, query, count_query.where(*where), where, page, page_size)
    pieces = search.snippets(session, text, scope, found, [r[-1] for r in rows]) if found is not None else {}
    calendars = sla.Calendars(session)
    return InboxPage(
        tuple(_with_time_left(InboxRow(*r[:-1], snippet=pieces.get(r[-1], "")), now, calendars) for r in rows),
        total,
        page,
        page_size,
        **search.window_fields(found),
    )


def _any_status_page(
    session: so.Session, query: sa.Select, count_query: sa.Select, where: list, page: int, page_size: int
) -> tuple[list[tuple], int, int]:
    """(rows, total, page) of a list that holds resolved and closed cases too (~100,000 in an area at 200,000
    cases). The page's ids come from the cases' status indexes alone, by due time and then by id (the
    registration order, as the number's), so the database stops after the page's rows of each status; only
    those rows are joined to their names. Read with the joins and by number, every case of the list was
    read and sorted: 0.33 s per click at 200,000 cases on SQLite."""
    total = session.scalar(count_query)
    page = clamp(page, total, page_size)
    paged = (
        sa.select(Case.id)
        .where(*where)
        .order_by(Case.due_at, Case.id)
        .limit(page_size)
        .offset((page - 1) * page_size)
        .subquery("paged")
    )
    rows = session.execute(query.join(paged, paged.c.id == Case.id).order_by(Case.due_at, Case.id)).all()
    return [tuple(r) for r in rows], total, page


def _found_page(
    session: so.Session,
    query: sa.Select,
    count_query: sa.Select,
    where: list,
    table: sa.CTE,
    page: int,
    page_size: int,
) -> tuple[list[tuple], int, int]:
    """(rows, total, page) of a search's page: the found cases (up to search.CAP and a few) are ranked and
    counted on `cases` alone — best match, then due time — and only the page's rows get their names
    (requester, area, option, assignee), instead of every found case being joined to them."""

    def read(page: int) -> list[sa.Row]:
        ranked = (
            sa.select(Case.id, table.c.score, sa.func.count().over().label("total"))
            .join(table, table.c.case_id == Case.id)
            .where(*where)
            .order_by(table.c.score, Case.due_at, Case.number)
            .limit(page_size)
            .offset((page - 1) * page_size)
            .subquery("ranked")
        )
        return session.execute(
            query.join(ranked, ranked.c.id == Case.id)
            .add_columns(ranked.c.total)
            .order_by(ranked.c.score, Case.due_at, Case.number)
        ).all()

    rows = read(page)
    if not rows and page > 1:  # past the last page (the list shrank): the last one
        page = clamp(page, session.scalar(count_query), page_size)
        rows = read(page)
    return [tuple(r[:-1]) for r in rows], (rows[0][-1] if rows else 0), max(1, page)


def _with_time_left(row: InboxRow, now: datetime, calendars: sla.Calendars) -> InboxRow:
    """The row with its business time left to each target, in its area's calendar."""
    calendar = calendars(row.area_id)
    first = None if row.first_response_at else row.first_response_due_at
    return dataclasses.replace(
        row,
        left=sla.left(row.due_at, row.waiting_since, now, calendar),
        first_response_left=sla.left(first, row.waiting_since, now, calendar),
    )


def areas_in_scope(*, session: so.Session, actor: Actor) -> list[tuple[int, str]]:
    _require_staff(actor)
    query = sa.select(Area.id, Area.name).where(Area.active.is_(True)).order_by(Area.position, Area.name)
    if actor.role == Role.ADVISOR:
        query = query.where(Area.id.in_(actor.area_ids or (-1,)))
    return [tuple(r) for r in session.execute(query)]


def all_options(*, session: so.Session, actor: Actor) -> list[tuple[int, str]]:
    """(id, "Area · Option") of every active option: the choices when reclassifying a case (a case that
    arrived by e-mail leaves its area's "Sin clasificar" this way; none goes back into it)."""
    _require_staff(actor)
    rows = session.execute(
        sa.select(ServiceOption.id, Area.name, ServiceOption.name)
        .join(ServiceOption.area)
        .where(ServiceOption.active.is_(True), ServiceOption.mail_only.is_(False), Area.active.is_(True))
        .order_by(Area.position, ServiceOption.position, ServiceOption.name)
    )
    return [(oid, f"{area} · {name}") for oid, area, name in rows]
