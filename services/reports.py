"""Satisfacción: the managers' figures and charts, computed by SQL aggregates (GROUP BY in the database)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction

from models import Area, Case, ServiceOption, SurveyAnswer, User
from models.enums import Role, Status
from services import settings
from services.errors import PermissionDenied, ValidationFailed
from services.users import Actor

EXPORT_LIMIT = 100_000


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


def _require_reader(actor: Actor) -> None:
    if actor.role not in (Role.MANAGER, Role.ADMIN):
        raise PermissionDenied("error.forbidden")


def _bounds(filters: ReportFilters) -> tuple[datetime, datetime]:
    """The local days of the filter as a UTC range [start, end)."""
    if filters.end < filters.start:
        raise ValidationFailed("reports.bad_range", field="dates")
    zone = ZoneInfo(settings.current().timezone)

    def utc(day: date) -> datetime:
        return datetime.combine(day, time.min, zone).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)

    return utc(filters.start), utc(filters.end + timedelta(days=1))


def _case_filters(filters: ReportFilters) -> list:
    where = []
    if filters.area_id:
        where.append(Case.area_id == filters.area_id)
    if filters.option_id:
        where.append(Case.option_id == filters.option_id)
    if filters.advisor_id:
        where.append(Case.assignee_id == filters.advisor_id)
    return where


def _share(part, whole) -> float | None:
    return None if not whole else part / whole


def key_figures(*, session: so.Session, actor: Actor, filters: ReportFilters) -> KeyFigures:
    _require_reader(actor)
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
        .where(SurveyAnswer.created_at >= start, SurveyAnswer.created_at < end,
               *([SurveyAnswer.case_id.in_(sa.select(Case.id).where(*cases_where))] if cases_where else []))
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
        answered=answered, rated=rated, csat=_share(happy, rated),
        average_rating=None if not rated else rating_sum / rated, no_rate=_share(said_no, answered),
        first_contact=_share(never_reopened, closed), median_resolution_hours=median,
        sla_compliance=_share(on_time, resolved), closed_without_answer=without_answer,
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


def charts(*, session: so.Session, actor: Actor, filters: ReportFilters) -> dict[str, pd.DataFrame]:
    """Small aggregated tables, one per chart: never one row per case."""
    _require_reader(actor)
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
        "ratings": (sa.select(SurveyAnswer.rating, sa.func.count()).where(*in_range, SurveyAnswer.rating.is_not(None))
                    .group_by(SurveyAnswer.rating).order_by(SurveyAnswer.rating), ["estrellas", "respuestas"]),
        "months": (sa.select(month, *figures).where(*in_range).group_by(month).order_by(month),
                   ["mes", "respuestas", "calificadas", "satisfechas"]),
        "areas": (sa.select(Area.name, *figures).select_from(SurveyAnswer)
                  .join(Case, Case.id == SurveyAnswer.case_id).join(Area, Area.id == Case.area_id)
                  .where(*in_range).group_by(Area.name).order_by(Area.name),
                  ["área", "respuestas", "calificadas", "satisfechas"]),
        "advisors": (sa.select(assignee.full_name, *figures).select_from(SurveyAnswer)
                     .join(Case, Case.id == SurveyAnswer.case_id).join(assignee, assignee.id == Case.assignee_id)
                     .where(*in_range).group_by(assignee.full_name).order_by(sa.func.count().desc()).limit(25),
                     ["asesor", "respuestas", "calificadas", "satisfechas"]),
        "urgency": (sa.select(Case.urgency, sa.func.avg(hours_between(Case.created_at, Case.resolved_at)),
                              sa.func.count())
                    .where(Case.resolved_at >= start, Case.resolved_at < end, *cases_where).group_by(Case.urgency),
                    ["urgencia", "horas_promedio", "casos"]),
    }
    result = {name: _frame(session, query, columns) for name, (query, columns) in queries.items()}
    for name in ("months", "areas", "advisors"):
        frame = result[name]
        frame["csat"] = (frame["satisfechas"] / frame["calificadas"].where(frame["calificadas"] > 0)).astype(float)
    return result


def latest_comments(*, session: so.Session, actor: Actor, filters: ReportFilters, limit: int = 20) -> pd.DataFrame:
    _require_reader(actor)
    query = (
        _answers(filters)
        .with_only_columns(Case.number, SurveyAnswer.rating, SurveyAnswer.rating_comment, SurveyAnswer.comment,
                           SurveyAnswer.resolved, SurveyAnswer.created_at)
        .where(sa.or_(SurveyAnswer.rating_comment.is_not(None), SurveyAnswer.comment.is_not(None)))
        .order_by(SurveyAnswer.created_at.desc())
        .limit(limit)
    )
    rows = session.execute(query).all()
    return pd.DataFrame(
        [(n, r, rc or c, "Sí" if ok else "No", at) for n, r, rc, c, ok, at in rows],
        columns=["caso", "calificación", "comentario", "¿resuelta?", "fecha"],
    )


EXPORT_COLUMNS = ["Caso", "Área", "Opción", "Urgencia", "Asesor", "Registrado", "Resuelto", "¿Resuelta?",
                  "Comentario del solicitante", "Calificación", "Comentario de la calificación", "Fecha de respuesta"]


def export_rows(*, session: so.Session, actor: Actor, filters: ReportFilters) -> pd.DataFrame:
    """The filtered survey answers with their case (no conversation, no internal notes), Spanish columns."""
    _require_reader(actor)
    assignee = sa.orm.aliased(User)
    query = (
        _answers(filters)
        .with_only_columns(Case.number, Area.name, ServiceOption.name, Case.urgency, assignee.full_name,
                           Case.created_at, Case.resolved_at, SurveyAnswer.resolved, SurveyAnswer.comment,
                           SurveyAnswer.rating, SurveyAnswer.rating_comment, SurveyAnswer.created_at)
        .join(Area, Area.id == Case.area_id)
        .join(ServiceOption, ServiceOption.id == Case.option_id)
        .outerjoin(assignee, assignee.id == Case.assignee_id)
        .order_by(SurveyAnswer.created_at)
        .limit(EXPORT_LIMIT)
    )
    frame = pd.DataFrame(session.execute(query).all(), columns=EXPORT_COLUMNS)
    frame["¿Resuelta?"] = frame["¿Resuelta?"].map({True: "Sí", False: "No"})
    for column in ("Área", "Opción", "Asesor", "Comentario del solicitante", "Comentario de la calificación"):
        frame[column] = frame[column].map(inert_cell)
    return frame


def inert_cell(value):
    """Text a spreadsheet would read as a formula (=, +, -, @, tab, CR first) gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def filter_choices(*, session: so.Session, actor: Actor) -> dict[str, list[tuple[int, str]]]:
    _require_reader(actor)
    return {
        "areas": [tuple(r) for r in session.execute(sa.select(Area.id, Area.name).order_by(Area.position))],
        "options": [tuple(r) for r in session.execute(
            sa.select(ServiceOption.id, Area.name + " · " + ServiceOption.name)
            .join(Area, Area.id == ServiceOption.area_id).order_by(Area.position, ServiceOption.position))],
        "advisors": [tuple(r) for r in session.execute(
            sa.select(User.id, User.full_name).where(User.role == Role.ADVISOR).order_by(User.full_name))],
    }
