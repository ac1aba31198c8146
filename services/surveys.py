"""Calificación del Servicio: "¿Su solicitud fue resuelta?", the rating after a Sí, and the auto-close.

An answer is taken once per resolution (the round is the case's reopen count + 1): a second
click, a stale tab or a race with the auto-close finds the case changed and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.exc
import sqlalchemy.orm as so

from models import Case, CaseEvent, CaseMessage, SurveyAnswer
from models.enums import Status
from services import clock, notifications, sla, text, workflow
from services.db import unit_of_work
from services.errors import Conflict, NotFound, ValidationFailed
from services.users import Actor

MAX_COMMENT = 5_000
AUTO_CLOSE_BATCH = 200


@dataclass(frozen=True)
class Question:
    """A resolved case waiting for its requester's answer."""

    number: int
    subject: str
    solution: str
    resolved_at: datetime
    round: int


# What an answer leaves its case in: Sí closes it, No sends it back En atención (the exports read it too).
STATUS_AFTER_ANSWER = {True: Status.CLOSED, False: Status.IN_PROGRESS}


def pending_questions(*, session: so.Session, actor: Actor) -> list[Question]:
    """The actor's resolved cases, oldest resolution first."""
    rows = session.scalars(
        sa.select(Case)
        .where(Case.requester_id == actor.id, Case.status == Status.RESOLVED)
        .order_by(Case.resolved_at, Case.number)
        .limit(50)
    )
    return [Question(c.number, c.subject, c.solution or "", c.resolved_at, c.reopen_count + 1) for c in rows]


def _own_resolved_case(session: so.Session, actor: Actor, number: int | str, round_: int) -> Case:
    # The row lock makes a second tab (or the auto-close) wait, then see the case changed.
    case = workflow.find_case(session, number, lock=True)
    workflow.allowed(actor, case).require("answer_survey")
    if case.reopen_count + 1 != round_:  # a question about an earlier resolution
        raise Conflict("survey.already_answered", number=case.number)
    return case


def answer(
    *,
    session: so.Session,
    actor: Actor,
    number: int | str,
    round: int,
    resolved: bool,  # noqa: A002
    comment: str = "",
) -> None:
    """Sí closes the case; No needs a comment and sends it back to the same advisor, En atención."""
    case = _own_resolved_case(session, actor, number, round)
    comment = text.clean(comment)
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed("survey.comment_too_long", field="comment", max=MAX_COMMENT)
    if not resolved and not comment:
        raise ValidationFailed("survey.comment_required", field="comment")
    now = clock.now()
    session.add(
        SurveyAnswer(
            case_id=case.id,
            resolution_round=round,
            answered_by_id=actor.id,
            resolved=resolved,
            comment=comment or None,
            created_at=now,
        )
    )
    workflow.set_status_now(session, case, STATUS_AFTER_ANSWER[resolved], now)
    if resolved:
        case.closed_at = now
        session.add(_event(case, actor, "closed", now, by="requester"))
        notifications.notify(
            session=session,
            kind="case_closed",
            case=case,
            recipient_ids=[actor.id],
            actor=actor,
            quote=case.solution,
            tell_actor=True,
        )
    else:
        case.reopen_count += 1
        sla.reopen(session, case, now)  # before resolved_at goes: the time it sat resolved is not the advisor's
        case.resolved_at = None
        session.add(CaseMessage(case_id=case.id, author_id=actor.id, body=comment, created_at=now))
        session.add(_event(case, actor, "reopened", now, comment=comment))
        told = notifications.case_staff(session, case)
        notifications.notify(
            session=session, kind="case_reopened", case=case, recipient_ids=told, actor=actor, quote=comment
        )
    try:
        session.flush()
    except (sqlalchemy.exc.IntegrityError, so.exc.StaleDataError):
        raise Conflict("survey.already_answered", number=case.number) from None


def _event(case: Case, actor: Actor | None, kind: str, now: datetime, **detail) -> CaseEvent:
    return CaseEvent(case_id=case.id, actor_id=actor.id if actor else None, kind=kind, detail=detail, created_at=now)


def rate(*, session: so.Session, actor: Actor, number: int | str, rating: int | None, comment: str = "") -> None:
    """¿Cómo califica la atención? 1–5 stars and a comment, once; None skips the rating for good."""
    case = workflow.find_case(session, number)
    workflow.allowed(actor, case).require("rate")
    if rating is not None and (not isinstance(rating, int) or not 1 <= rating <= 5):
        raise ValidationFailed("survey.rating_range", field="rating")
    row = session.scalar(
        sa.select(SurveyAnswer)
        .where(SurveyAnswer.case_id == case.id, SurveyAnswer.resolved.is_(True))
        .order_by(SurveyAnswer.resolution_round.desc())
        .limit(1)
        .with_for_update()
    )
    if row is None:
        raise NotFound("case.not_found")
    if row.rated_at is not None:
        raise Conflict("survey.already_rated", number=case.number)
    comment = text.clean(comment)
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed("survey.comment_too_long", field="comment", max=MAX_COMMENT)
    row.rating = rating
    row.rating_comment = comment or None
    row.rated_at = clock.now()
    session.flush()


def auto_close(engine: sa.Engine, *, days: int, now: datetime | None = None) -> int:
    """Close resolved cases nobody answered for `days` days, "cerrado sin respuesta"; returns how many.

    Run by every sender (app processes and workers): rows are claimed under a lock
    (FOR UPDATE SKIP LOCKED on PostgreSQL), and a requester answering at the same moment
    meets a changed version, so a case is closed once.
    """
    now = now or clock.now()
    closed = 0
    while True:
        with unit_of_work(engine) as session:
            query = (
                sa.select(Case)
                .where(Case.status == Status.RESOLVED, Case.resolved_at < now - timedelta(days=days))
                .order_by(Case.resolved_at)
                .limit(AUTO_CLOSE_BATCH)
            )
            if engine.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            batch = session.scalars(query).all()
            for case in batch:
                workflow.set_status_now(session, case, Status.CLOSED, now)
                case.closed_at = now
                case.closed_without_answer = True
                session.add(_event(case, None, "closed", now, by="auto", days=days))
                notifications.notify(
                    session=session,
                    kind="case_closed_auto",
                    case=case,
                    recipient_ids=[case.requester_id],
                    actor=None,
                    quote=case.solution,
                    extra={"days": days},
                )
            closed += len(batch)
        if len(batch) < AUTO_CLOSE_BATCH:
            return closed


def periodic_jobs(config) -> tuple:
    """What every sender runs besides the outbox: the auto-close of unanswered resolved cases."""
    return (lambda engine: auto_close(engine, days=config.auto_close_days),)
