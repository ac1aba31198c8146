"""Satisfacción: the managers' figures, charts and exports (CSV, Excel) in the reader's language.

They are sums over report_days (models.reports, kept by services.report_days): a range of days
costs the same whether the desk holds a thousand cases or a million. A filter the daily rows do
not keep (an option and an advisor at once) is answered from the cases, by SQL aggregates.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction

from models import Area, Case, CaseEvent, ReportDay, ServiceOption, SurveyAnswer, User
from models.enums import Role, Status
from models.reports import HOUR_BOUNDS, HOUR_COLUMNS, URGENCY_COLUMNS
from models.surveys import COMMENTED_SQL
from services import clock, i18n, surveys
from services.errors import PermissionDenied, ValidationFailed
from services.users import Actor

EXPORT_LIMIT = 100_000
# Up to this many resolved cases in the range the median is read exactly from the cases;
# beyond it, from the daily resolution-time buckets (to within the bucket: see HOUR_BOUNDS).
EXACT_MEDIAN_UP_TO = 2_000
_KEY_COLUMNS = (
    "answered",
    "said_no",
    "stars_1",
    "stars_2",
    "stars_3",
    "stars_4",
    "stars_5",
    "closed",
    "closed_never_reopened",
    "closed_without_answer",
    "resolved",
    "resolved_on_time",
    "first_responded",
    "first_response_on_time",
    *HOUR_COLUMNS,
)


class hours_between(GenericFunction):  # noqa: N801 (SQL function name)
    """Hours from the first timestamp to the second, in the database's own arithmetic."""

    type = sa.Float()
    inherit_cache = True


@compiles(hours_between, "sqlite")
def _hours_sqlite(element, compiler, **kw):
    start, end = list(element.clauses)
    return f"((julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)})) * 24.0)"


@compiles(hours_between)
def _hours_default(element, compiler, **kw):
    start, end = list(element.clauses)
    return f"(EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - {compiler.process(start, **kw)})) / 3600.0)"


class month_of(GenericFunction):  # noqa: N801 (SQL function name)
    """'YYYY-MM' of a timestamp."""

    type = sa.String()
    inherit_cache = True


@compiles(month_of, "sqlite")
def _month_sqlite(element, compiler, **kw):
    return f"strftime('%Y-%m', {compiler.process(element.clauses, **kw)})"


@compiles(month_of)
def _month_default(element, compiler, **kw):
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM')"


@dataclass(frozen=True)
class ReportFilters:
    start: date
    end: date  # inclusive
    area_id: int | None = None
    option_id: int | None = None
    advisor_id: int | None = None


@dataclass(frozen=True)
class KeyFigures:
    answered: int
    rated: int
    csat: float | None  # share of 4–5 stars among ratings
    average_rating: float | None
    no_rate: float | None  # share of "No" answers
    first_contact: float | None  # closed cases never reopened
    median_resolution_hours: float | None
    sla_compliance: float | None
    closed_without_answer: int
    first_response_compliance: float | None = None  # first responses in time, of those with a target


def _require_reader(actor: Actor) -> None:
    if actor.role not in (Role.MANAGER, Role.ADMIN):
        raise PermissionDenied("error.forbidden")


def _bounds(filters: ReportFilters) -> tuple[datetime, datetime]:
    """The local days of the filter as a UTC range [start, end)."""
    if filters.end < filters.start:
        raise ValidationFailed("reports.bad_range", field="dates")
    zone = clock.tz()
    return clock.utc_start_of(filters.start, zone), clock.utc_start_of(filters.end + timedelta(days=1), zone)


def _grain(filters: ReportFilters) -> str | None:
    """The daily rows that answer this filter; None when only the cases can (an option and an advisor)."""
    if filters.option_id and filters.advisor_id:
        return None
    return "advisor" if filters.advisor_id else "option" if filters.option_id else "area"


def _day_where(filters: ReportFilters, grain: str) -> list:
    return [
        ReportDay.grain == grain,
        ReportDay.day >= filters.start,
        ReportDay.day <= filters.end,
        *_chosen(filters, ReportDay.area_id, ReportDay.option_id, ReportDay.advisor_id),
    ]


def _case_filters(filters: ReportFilters) -> list:
    return _chosen(filters, Case.area_id, Case.option_id, Case.assignee_id)


def _chosen(filters: ReportFilters, area, option, advisor) -> list:
    """The filter's area, option and advisor as conditions on these columns (only those chosen)."""
    pairs = ((area, filters.area_id), (option, filters.option_id), (advisor, filters.advisor_id))
    return [column == value for column, value in pairs if value]


def _share(part, whole) -> float | None:
    return None if not whole else part / whole


def key_figures(*, session: so.Session, actor: Actor, filters: ReportFilters) -> KeyFigures:
    _require_reader(actor)
    _bounds(filters)
    grain = _grain(filters)
    if grain is None:
        return key_figures_from_cases(session=session, filters=filters)
    sums = session.execute(
        sa.select(*(sa.func.coalesce(sa.func.sum(getattr(ReportDay, c)), 0) for c in _KEY_COLUMNS)).where(
            *_day_where(filters, grain)
        )
    ).one()
    got = dict(zip(_KEY_COLUMNS, sums, strict=True))
    stars = [got[f"stars_{n}"] for n in range(1, 6)]
    rated = sum(stars)
    median = None
    if got["resolved"] and got["resolved"] <= EXACT_MEDIAN_UP_TO:
        median = _exact_median(session, filters, got["resolved"])
    elif got["resolved"]:
        median = median_of_buckets([got[c] for c in HOUR_COLUMNS])
    return KeyFigures(
        answered=got["answered"],
        rated=rated,
        csat=_share(stars[3] + stars[4], rated),
        average_rating=None if not rated else sum(n * c for n, c in enumerate(stars, 1)) / rated,
        no_rate=_share(got["said_no"], got["answered"]),
        first_contact=_share(got["closed_never_reopened"], got["closed"]),
        median_resolution_hours=median,
        sla_compliance=_share(got["resolved_on_time"], got["resolved"]),
        closed_without_answer=got["closed_without_answer"],
        first_response_compliance=_share(got["first_response_on_time"], got["first_responded"]),
    )


def _exact_median(session: so.Session, filters: ReportFilters, resolved: int) -> float | None:
    """The lower middle resolution time, read from the cases (few enough to sort)."""
    start, end = _bounds(filters)
    hours = hours_between(Case.created_at, Case.resolved_at)
    median = session.scalar(
        sa.select(hours)
        .where(Case.resolved_at >= start, Case.resolved_at < end, *_case_filters(filters))
        .order_by(hours)
        .limit(1)
        .offset((resolved - 1) // 2)
    )
    return None if median is None else float(median)  # PostgreSQL's EXTRACT gives numeric


def median_of_buckets(counts: list[int]) -> float | None:
    """The lower middle of a resolution-time histogram, placed evenly inside its bucket."""
    total = sum(counts)
    if not total:
        return None
    rank, seen = (total - 1) // 2, 0
    for index, count in enumerate(counts):
        if seen + count > rank:
            low = HOUR_BOUNDS[index - 1] if index else 0.0
            high = HOUR_BOUNDS[index] if index < len(HOUR_BOUNDS) else low * 1.5
            return low + (rank - seen + 0.5) / count * (high - low)
        seen += count
    return None


def key_figures_from_cases(*, session: so.Session, filters: ReportFilters) -> KeyFigures:
    """The same figures read from the cases: for a filter the daily table does not keep (an option and
    an advisor at once), and as the reference the tests hold the daily table to."""
    start, end = _bounds(filters)
    cases_where = _case_filters(filters)
    answered, rated, happy, rating_sum, said_no = session.execute(
        sa.select(
            sa.func.count(),
            sa.func.count(SurveyAnswer.rating),
            sa.func.count().filter(SurveyAnswer.rating >= 4),
            sa.func.sum(SurveyAnswer.rating),
            sa.func.count().filter(SurveyAnswer.resolved.is_(False)),
        )
        .select_from(SurveyAnswer)
        .where(
            SurveyAnswer.created_at >= start,
            SurveyAnswer.created_at < end,
            *([SurveyAnswer.case_id.in_(sa.select(Case.id).where(*cases_where))] if cases_where else []),
        )
    ).one()
    closed, never_reopened, without_answer = session.execute(
        sa.select(
            sa.func.count(),
            sa.func.count().filter(Case.reopen_count == 0),
            sa.func.count().filter(Case.closed_without_answer.is_(True)),
        ).where(Case.status == Status.CLOSED, Case.closed_at >= start, Case.closed_at < end, *cases_where)
    ).one()
    resolved_where = [Case.resolved_at >= start, Case.resolved_at < end, *cases_where]
    resolved, on_time = session.execute(
        sa.select(sa.func.count(), sa.func.count().filter(Case.resolved_at <= Case.due_at)).where(*resolved_where)
    ).one()
    responded, responded_on_time = session.execute(
        sa.select(sa.func.count(), sa.func.count().filter(Case.first_response_at <= Case.first_response_due_at)).where(
            Case.first_response_at >= start,
            Case.first_response_at < end,
            Case.first_response_due_at.is_not(None),
            *cases_where,
        )
    ).one()
    median = None
    if resolved:
        median = session.scalar(
            sa.select(hours_between(Case.created_at, Case.resolved_at))
            .where(*resolved_where)
            .order_by(hours_between(Case.created_at, Case.resolved_at))
            .limit(1)
            .offset((resolved - 1) // 2)
        )
    return KeyFigures(
        answered=answered,
        rated=rated,
        csat=_share(happy, rated),
        average_rating=None if not rated else rating_sum / rated,
        no_rate=_share(said_no, answered),
        first_contact=_share(never_reopened, closed),
        median_resolution_hours=median,
        sla_compliance=_share(on_time, resolved),
        closed_without_answer=without_answer,
        first_response_compliance=_share(responded_on_time, responded),
    )


def _answers(filters: ReportFilters):
    start, end = _bounds(filters)
    return (
        sa.select(SurveyAnswer)
        .join(Case, Case.id == SurveyAnswer.case_id)
        .where(SurveyAnswer.created_at >= start, SurveyAnswer.created_at < end, *_case_filters(filters))
    )


def _frame(session: so.Session, query, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(session.execute(query).all(), columns=columns)


CHART_FIGURES = ["respuestas", "calificadas", "satisfechas"]


def charts(*, session: so.Session, actor: Actor, filters: ReportFilters) -> dict[str, pd.DataFrame]:
    """Small aggregated tables, one per chart, added up from the daily table."""
    _require_reader(actor)
    _bounds(filters)
    grain = _grain(filters)
    if grain is None:
        return charts_from_cases(session=session, filters=filters)
    where = _day_where(filters, grain)
    stars = [getattr(ReportDay, f"stars_{n}") for n in range(1, 6)]
    figures = (sa.func.sum(ReportDay.answered), sa.func.sum(sum(stars)), sa.func.sum(stars[3] + stars[4]))
    month = month_of(ReportDay.day)
    totals = session.execute(sa.select(*(sa.func.coalesce(sa.func.sum(c), 0) for c in stars)).where(*where)).one()
    ratings = pd.DataFrame([(n, c) for n, c in enumerate(totals, 1) if c], columns=["estrellas", "respuestas"])
    months = _frame(
        session,
        sa.select(month, *figures).where(*where, ReportDay.answered > 0).group_by(month).order_by(month),
        ["mes", *CHART_FIGURES],
    )
    areas = _frame(
        session,
        sa.select(Area.name, *figures)
        .join(Area, Area.id == ReportDay.area_id)
        .where(*where, ReportDay.answered > 0)
        .group_by(Area.name)
        .order_by(Area.name),
        ["área", *CHART_FIGURES],
    )
    if grain == "option":  # the daily table keeps advisors per area, not per option
        advisors = charts_from_cases(session=session, filters=filters, only=("advisors",))["advisors"]
    else:
        # Summed per advisor first, then named: the join touches 25 rows, not every advisor-day.
        per_advisor = (
            sa.select(ReportDay.advisor_id, *(f.label(n) for f, n in zip(figures, CHART_FIGURES, strict=True)))
            .where(*_day_where(filters, "advisor"), ReportDay.advisor_id != 0, ReportDay.answered > 0)
            .group_by(ReportDay.advisor_id)
            .order_by(sa.func.sum(ReportDay.answered).desc(), ReportDay.advisor_id)
            .limit(25)
            .subquery()
        )
        advisors = _frame(
            session,
            sa.select(User.full_name, per_advisor.c.respuestas, per_advisor.c.calificadas, per_advisor.c.satisfechas)
            .join(per_advisor, per_advisor.c.advisor_id == User.id)
            .order_by(per_advisor.c.respuestas.desc(), User.full_name),
            ["asesor", *CHART_FIGURES],
        )
    sums = session.execute(
        sa.select(
            *(
                sa.func.coalesce(sa.func.sum(getattr(ReportDay, f"{kind}_{u}")), 0)
                for u in URGENCY_COLUMNS
                for kind in ("resolved", "hours")
            )
        ).where(*where)
    ).one()
    urgency = pd.DataFrame(
        [(u, sums[2 * i + 1] / sums[2 * i], sums[2 * i]) for i, u in enumerate(URGENCY_COLUMNS) if sums[2 * i]],
        columns=["urgencia", "horas_promedio", "casos"],
    )
    result = {"ratings": ratings, "months": months, "areas": areas, "advisors": advisors, "urgency": urgency}
    _add_csat(result)
    return result


def _add_csat(result: dict[str, pd.DataFrame]) -> None:
    """CSAT (satisfied / rated, none without ratings) of each row of the by-month, area and advisor tables."""
    for name in ("months", "areas", "advisors"):
        frame = result[name]
        frame["csat"] = [
            float(h) / r if r else float("nan") for h, r in zip(frame["satisfechas"], frame["calificadas"], strict=True)
        ]


def charts_from_cases(*, session: so.Session, filters: ReportFilters, only=None) -> dict[str, pd.DataFrame]:
    """The same tables read from the cases (see key_figures_from_cases)."""
    start, end = _bounds(filters)
    cases_where = _case_filters(filters)
    in_range = [SurveyAnswer.created_at >= start, SurveyAnswer.created_at < end]
    if cases_where:
        in_range.append(SurveyAnswer.case_id.in_(sa.select(Case.id).where(*cases_where)))
    happy = sa.func.count().filter(SurveyAnswer.rating >= 4)
    rated = sa.func.count(SurveyAnswer.rating)
    figures = (sa.func.count().label("respuestas"), rated.label("calificadas"), happy.label("satisfechas"))
    month = month_of(SurveyAnswer.created_at)
    assignee = sa.orm.aliased(User)
    queries = {
        "ratings": (
            sa.select(SurveyAnswer.rating, sa.func.count())
            .where(*in_range, SurveyAnswer.rating.is_not(None))
            .group_by(SurveyAnswer.rating)
            .order_by(SurveyAnswer.rating),
            ["estrellas", "respuestas"],
        ),
        "months": (
            sa.select(month, *figures).where(*in_range).group_by(month).order_by(month),
            ["mes", "respuestas", "calificadas", "satisfechas"],
        ),
        "areas": (
            sa.select(Area.name, *figures)
            .select_from(SurveyAnswer)
            .join(Case, Case.id == SurveyAnswer.case_id)
            .join(Area, Area.id == Case.area_id)
            .where(*in_range)
            .group_by(Area.name)
            .order_by(Area.name),
            ["área", "respuestas", "calificadas", "satisfechas"],
        ),
        "advisors": (
            sa.select(assignee.full_name, *figures)
            .select_from(SurveyAnswer)
            .join(Case, Case.id == SurveyAnswer.case_id)
            .join(assignee, assignee.id == Case.assignee_id)
            .where(*in_range)
            .group_by(assignee.full_name)
            .order_by(sa.func.count().desc())
            .limit(25),
            ["asesor", "respuestas", "calificadas", "satisfechas"],
        ),
        "urgency": (
            sa.select(Case.urgency, sa.func.avg(hours_between(Case.created_at, Case.resolved_at)), sa.func.count())
            .where(Case.resolved_at >= start, Case.resolved_at < end, *cases_where)
            .group_by(Case.urgency),
            ["urgencia", "horas_promedio", "casos"],
        ),
    }
    result = {
        name: _frame(session, query, columns)
        for name, (query, columns) in queries.items()
        if only is None or name in only
    }
    if "urgency" in result:  # PostgreSQL's EXTRACT gives numeric
        result["urgency"]["horas_promedio"] = result["urgency"]["horas_promedio"].astype(float)
    if only is None:
        _add_csat(result)
    return result


def latest_comments(
    *, session: so.Session, actor: Actor, filters: ReportFilters, limit: int = 20, language: str = i18n.DEFAULT_LANGUAGE
) -> pd.DataFrame:
    _require_reader(actor)
    answer = {True: i18n.t("survey.yes", language), False: i18n.t("survey.no", language)}
    query = (
        _answers(filters)
        .with_only_columns(
            Case.number,
            SurveyAnswer.rating,
            SurveyAnswer.rating_comment,
            SurveyAnswer.comment,
            SurveyAnswer.resolved,
            SurveyAnswer.created_at,
        )
        .where(sa.text(f"({COMMENTED_SQL})"))
        .order_by(SurveyAnswer.created_at.desc())
        .limit(limit)
    )
    rows = session.execute(query).all()
    return pd.DataFrame(
        [(n, r, rc or c, answer[ok], at) for n, r, rc, c, ok, at in rows],
        columns=["caso", "calificación", "comentario", "¿resuelta?", "fecha"],
    )


# The export's columns, by catalogue key (report.export.column.*); the headers are in the reader's language.
EXPORT_COLUMNS = (
    "case",
    "area",
    "option",
    "urgency",
    "status",
    "advisor",
    "registered",
    "resolved",
    "answer",
    "comment",
    "rating",
    "rating_comment",
    "answered",
)
_TIMES = ("registered", "resolved", "answered")
_TYPED_TEXT = ("area", "option", "advisor", "comment", "rating_comment")


# What an answer left its case in (services.surveys.answer): Sí closes it, No sends it back En atención.
_STATUS_AFTER_ANSWER = sa.case(
    (SurveyAnswer.resolved, surveys.STATUS_AFTER_ANSWER[True]), else_=surveys.STATUS_AFTER_ANSWER[False]
)


def export_rows(
    *, session: so.Session, actor: Actor, filters: ReportFilters, language: str = i18n.DEFAULT_LANGUAGE
) -> pd.DataFrame:
    """The filtered survey answers with their case (no conversation, no internal notes), as a reader sees
    them: headers, urgency, status and the answer in `language`, times local to the minute, whole ratings.

    Each row holds the case as it was when that answer was given, not as it is now: the resolution the
    answer was about, the status the answer left, and the urgency and advisor of that moment, read from
    the case's timeline (case_events). Area and option are the case's current ones.
    """
    _require_reader(actor)
    assignee = sa.orm.aliased(User)
    # Urgency changes only by reclassification, whose event keeps the urgency it replaced: the first one
    # after the answer tells the urgency of then; without one, the urgency has not changed since.
    urgency = sa.func.coalesce(
        _event_around_answer("reclassified", CaseEvent.detail[("before", "urgency")].as_string(), after=True),
        Case.urgency,
    )
    # A case made without a timeline (bench/generate.py writes only "registered") shows its current values.
    advisor = sa.func.coalesce(_event_around_answer("assigned", CaseEvent.detail["to"].as_string()), assignee.full_name)
    resolved_at = sa.func.coalesce(_event_around_answer("resolved", CaseEvent.created_at), Case.resolved_at)
    query = (
        _answers(filters)
        .with_only_columns(
            Case.number,
            Area.name,
            ServiceOption.name,
            urgency,
            _STATUS_AFTER_ANSWER,
            advisor,
            Case.created_at,
            resolved_at,
            SurveyAnswer.resolved,
            SurveyAnswer.comment,
            SurveyAnswer.rating,
            SurveyAnswer.rating_comment,
            SurveyAnswer.created_at,
        )
        .join(Area, Area.id == Case.area_id)
        .join(ServiceOption, ServiceOption.id == Case.option_id)
        .outerjoin(assignee, assignee.id == Case.assignee_id)
        .order_by(SurveyAnswer.created_at)
        .limit(EXPORT_LIMIT)
    )
    frame = pd.DataFrame(session.execute(query).all(), columns=list(EXPORT_COLUMNS))
    t = i18n.t
    zone = clock.tz()
    frame["urgency"] = [t(f"urgency.{code}", language) for code in frame["urgency"]]
    frame["status"] = [t(f"status.{code}", language) for code in frame["status"]]
    frame["answer"] = [t("survey.yes" if resolved else "survey.no", language) for resolved in frame["answer"]]
    frame["rating"] = frame["rating"].astype("Int64")  # whole stars; a "No" has none (an empty cell, not NaN)
    for column in _TIMES:
        frame[column] = pd.to_datetime([_local_minute(moment, zone) for moment in frame[column]])
    for column in _TYPED_TEXT:
        frame[column] = frame[column].map(inert_cell)
    return frame.rename(columns={c: t(f"report.export.column.{c}", language) for c in EXPORT_COLUMNS})


def _event_around_answer(kind: str, value, *, after: bool = False):
    """`value` of the latest `kind` event of the answer's case at or before the answer (after=True: of its
    first one later than the answer), or NULL: a correlated subquery, so one query serves every row and
    each row reads only its own case's few events, through ix_case_events_case_created."""
    if after:
        when, order = CaseEvent.created_at > SurveyAnswer.created_at, (CaseEvent.created_at, CaseEvent.id)
    else:
        when, order = (
            CaseEvent.created_at <= SurveyAnswer.created_at,
            (CaseEvent.created_at.desc(), CaseEvent.id.desc()),
        )
    return (
        sa.select(value)
        .where(CaseEvent.case_id == SurveyAnswer.case_id, CaseEvent.kind == kind, when)
        .order_by(*order)
        .limit(1)
        .correlate(SurveyAnswer)
        .scalar_subquery()
    )


def _local_minute(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """A stored time as the organisation's wall clock to the minute (what a spreadsheet shows and sorts)."""
    if moment is None or pd.isna(moment):
        return None
    return clock.to_local(moment, zone).replace(tzinfo=None, second=0, microsecond=0)


def export_csv(
    *, session: so.Session, actor: Actor, filters: ReportFilters, language: str = i18n.DEFAULT_LANGUAGE
) -> bytes:
    """The export as CSV, UTF-8 with a BOM so Excel reads the accents; times as 2026-11-27 14:05."""
    frame = export_rows(session=session, actor=actor, filters=filters, language=language)
    return frame.to_csv(index=False, date_format="%Y-%m-%d %H:%M").encode("utf-8-sig")


def export_xlsx(
    *, session: so.Session, actor: Actor, filters: ReportFilters, language: str = i18n.DEFAULT_LANGUAGE
) -> bytes:
    """The export as an Excel workbook: times are date cells (they sort and filter as dates), ratings numbers."""
    frame = export_rows(session=session, actor=actor, filters=filters, language=language)
    sheet = i18n.t("report.export.sheet", language)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=sheet)
        worksheet = writer.sheets[sheet]
        worksheet.freeze_panes = "A2"
        for index, column in enumerate(worksheet.iter_cols(), start=1):
            if EXPORT_COLUMNS[index - 1] in _TIMES:
                for cell in column[1:]:
                    cell.number_format = "yyyy-mm-dd hh:mm"
            # Wide enough for the header and the first rows (a date column too narrow shows "#####").
            widest = max(16 if isinstance(c.value, datetime) else len(str(c.value or "")) for c in column[:200])
            worksheet.column_dimensions[column[0].column_letter].width = min(max(widest, 8) + 2, 60)
    return buffer.getvalue()


def inert_cell(value):
    """Text a spreadsheet would read as a formula (=, +, -, @, tab, CR first) gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def filter_choices(*, session: so.Session, actor: Actor) -> dict[str, list[tuple[int, str]]]:
    _require_reader(actor)
    return {
        "areas": [tuple(r) for r in session.execute(sa.select(Area.id, Area.name).order_by(Area.position))],
        "options": [
            tuple(r)
            for r in session.execute(
                sa.select(ServiceOption.id, Area.name + " · " + ServiceOption.name)
                .join(Area, Area.id == ServiceOption.area_id)
                .order_by(Area.position, ServiceOption.position)
            )
        ],
        "advisors": [
            tuple(r)
            for r in session.execute(
                sa.select(User.id, User.full_name).where(User.role == Role.ADVISOR).order_by(User.full_name)
            )
        ],
    }


@dataclass(frozen=True)
class PromiseRow:
    area: str
    promised: int  # first resolutions of cases promised a date, in the window
    kept: int  # of those, resolved by the promised date

    @property
    def observed(self) -> float | None:
        return _share(self.kept, self.promised)


def promise_calibration(*, session: so.Session, actor: Actor, days: int = 90) -> list[PromiseRow]:
    """Does the promise hold? Per area, over the last `days` days: the share of promised cases resolved by
    their date, to set beside the promised 9 of 10 (read from report_days, never from the cases)."""
    _require_reader(actor)
    since = clock.local_now().date() - timedelta(days=days)
    rows = session.execute(
        sa.select(Area.name, sa.func.sum(ReportDay.promised), sa.func.sum(ReportDay.promise_kept))
        .join(Area, Area.id == ReportDay.area_id)
        .where(ReportDay.grain == "area", ReportDay.day >= since)
        .group_by(Area.position, Area.name)
        .order_by(Area.position, Area.name)
    )
    return [PromiseRow(name, int(promised or 0), int(kept or 0)) for name, promised, kept in rows]
