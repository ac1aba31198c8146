"""The administration's gate and record: only admins administer, and each change they make leaves a line
(who, what, before, after) in the audit that Administración → Auditoría lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import AuditEntry, User
from services import clock
from services.errors import PermissionDenied

if TYPE_CHECKING:
    from services.users import Actor


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("error.forbidden")


def audit(session: so.Session, actor: Actor, action: str, target: str, before=None, after=None) -> None:
    """One line of the administration audit: who changed what, before and after."""
    session.add(
        AuditEntry(
            actor_id=actor.id, action=action, target=target[:120], before=before, after=after, created_at=clock.now()
        )
    )


@dataclass(frozen=True)
class AuditRow:
    created_at: datetime
    actor: str | None  # None: the command line (cli.py), shown as "Sistema"
    action: str
    target: str
    before: dict | None
    after: dict | None


def list_audit(*, session: so.Session, actor: Actor, limit: int = 200) -> list[AuditRow]:
    require_admin(actor)
    rows = session.execute(
        sa.select(AuditEntry, User.full_name)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(limit)
    ).all()
    return [AuditRow(e.created_at, name, e.action, e.target, e.before, e.after) for e, name in rows]
