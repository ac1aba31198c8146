"""Who is told what: in-app notifications (Mensajes) and the e-mails that go with them.

Every notification and its e-mail are rows written in the caller's transaction, with the
change that causes them; nothing is sent from here (the outbox sender does it after commit).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import Area, Case, Notification, ServiceOption, User, advisor_areas
from models.enums import Role
from services import clock, i18n, outbox, screens, settings
from services.errors import NotFound
from services.paging import Page, clamp
from services.users import Actor

PAGE_SIZE = 30


@dataclass(frozen=True)
class NotificationView:
    id: int
    kind: str
    number: int | None
    detail: dict
    created_at: datetime
    read: bool


@dataclass(frozen=True)
class NotificationPage(Page[NotificationView]):
    unread: int = 0


def area_advisors(session: so.Session, area_id: int) -> list[int]:
    """Active advisors attached to an area (they share its queue)."""
    return list(
        session.scalars(
            sa.select(User.id)
            .join(advisor_areas, advisor_areas.c.user_id == User.id)
            .where(advisor_areas.c.area_id == area_id, User.active.is_(True), User.role == Role.ADVISOR)
            .order_by(User.id)
        )
    )


def case_staff(session: so.Session, case: Case) -> list[int]:
    """Who hears about a case from its requester: the assignee while still an active advisor of its
    area, otherwise the area's advisors (the case waits in their queue)."""
    advisors = area_advisors(session, case.area_id)
    return [case.assignee_id] if case.assignee_id in advisors else advisors


def _case_fields(session: so.Session, case: Case, lang: str) -> list[tuple[str, str]]:
    area, option = session.execute(
        sa.select(Area.name, ServiceOption.name)
        .join(ServiceOption, ServiceOption.area_id == Area.id)
        .where(ServiceOption.id == case.option_id)
    ).one()
    t = i18n.t
    return [
        (t("case.number_label", lang), str(case.number)),
        (t("case.area", lang), area),
        (t("case.option", lang), option),
        (t("case.subject", lang), case.subject),
        (t("case.urgency", lang), t(f"urgency.{case.urgency}", lang)),
        (t("case.status", lang), t(f"status.{case.status}", lang)),
    ]


def notify(
    *,
    session: so.Session,
    kind: str,
    case: Case,
    recipient_ids: Iterable[int | None],
    actor: Actor | None,
    quote: str | None = None,
    extra: dict | None = None,
    tell_actor: bool = False,
) -> int:
    """Tell each recipient in the app and by e-mail (the actor only when asked); returns how many."""
    wanted = {rid for rid in recipient_ids if rid is not None and (tell_actor or actor is None or rid != actor.id)}
    if not wanted:
        return 0
    recipients = session.scalars(
        sa.select(User)
        .where(User.id.in_(wanted), User.active.is_(True))
        .order_by(User.id)  # the same order on every database
    ).all()
    config = settings.current()
    detail = {
        "number": case.number,
        "subject": case.subject,
        "actor": actor.full_name if actor else "",
        **(extra or {}),
    }
    now = clock.now()
    for user in recipients:
        session.add(Notification(user_id=user.id, case_id=case.id, kind=kind, detail=detail, created_at=now))
        lang = user.language
        t = i18n.t
        # The requester follows the case in Verificar mis Casos; the staff work it in the Bandeja.
        page = "verificar" if user.id == case.requester_id else "bandeja"
        link = screens.url(page, base=config.app_url, caso=case.number)
        if kind == "case_resolved":
            link += "&responder=1"
        context = {
            "org_name": config.org_name,
            "subject": t(f"mail.{kind}.subject", lang, **detail),
            "heading": t(f"mail.{kind}.heading", lang, **detail),
            "paragraphs": [t(f"mail.{kind}.intro", lang, name=user.full_name, **detail)],
            "fields": _case_fields(session, case, lang),
            "quote": quote,
            "quote_label": t(f"mail.{kind}.quote", lang) if quote else "",
            "link_url": link,
            "link_label": t(f"mail.{kind}.link", lang),
            "footer": t("mail.footer", lang, org=config.org_name),
        }
        outbox.enqueue_mail(
            session=session,
            to_address=user.email,
            subject=f"[{t('mail.case_tag', lang, number=case.number)}] {context['subject']}",
            context=context,
            case_id=case.id,
        )
    return len(recipients)


def unread_count(*, session: so.Session, actor: Actor) -> int:
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == actor.id, Notification.read_at.is_(None))
    )


def list_notifications(
    *, session: so.Session, actor: Actor, page: int = 1, page_size: int = PAGE_SIZE
) -> NotificationPage:
    """The actor's notifications, newest first, one page at a time."""
    mine = Notification.user_id == actor.id
    total = session.scalar(sa.select(sa.func.count()).select_from(Notification).where(mine))
    page = clamp(page, total, page_size)
    rows = session.execute(
        sa.select(Notification, Case.number)
        .outerjoin(Case, Case.id == Notification.case_id)
        .where(mine)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    views = tuple(
        NotificationView(n.id, n.kind, number, n.detail or {}, n.created_at, n.read_at is not None)
        for n, number in rows
    )
    return NotificationPage(views, total, page, page_size, unread=unread_count(session=session, actor=actor))


@dataclass(frozen=True)
class CaseLink:
    """Where a notification leads: the case, and whether the reader is its requester."""

    number: int
    as_requester: bool


def open_notification(*, session: so.Session, actor: Actor, notification_id: int) -> CaseLink | None:
    """Mark one of the actor's notifications read; returns the case it leads to."""
    row = session.get(Notification, notification_id)
    if row is None or row.user_id != actor.id:
        raise NotFound("notif.not_found")
    if row.read_at is None:
        row.read_at = clock.now()
    case = session.get(Case, row.case_id) if row.case_id else None
    return None if case is None else CaseLink(case.number, case.requester_id == actor.id)


def mark_all_read(*, session: so.Session, actor: Actor) -> int:
    result = session.execute(
        sa.update(Notification)
        .where(Notification.user_id == actor.id, Notification.read_at.is_(None))
        .values(read_at=clock.now())
    )
    return result.rowcount
