"""Synthetic data for benchmarks and demos: many users and cases in bulk (Core inserts, not ORM objects).

Every synthetic user shares one bcrypt hash of SYNTHETIC_PASSWORD (hashing thousands of
passwords would take minutes); never run this against a production database.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa

from models import (
    Area,
    Attachment,
    Case,
    CaseEvent,
    CaseMessage,
    Counter,
    ServiceOption,
    SurveyAnswer,
    User,
    advisor_areas,
    utcnow,
)
from models.enums import Role, Status, Urgency
from services import report_days
from services.catalogue import DEFAULT_SLA_HOURS, seed_demo_catalogue
from services.db import unit_of_work
from services.security import hash_password

SYNTHETIC_PASSWORD = "Clave-sintetica-2026"
CHUNK = 5_000
RECENT = timedelta(days=21)
STATUS_WEIGHTS = {
    Status.CLOSED: 70,
    Status.RESOLVED: 6,
    Status.IN_PROGRESS: 8,
    Status.WAITING: 4,
    Status.ASSIGNED: 6,
    Status.NEW: 6,
}
SUBJECT_WORDS = (
    "impresora",
    "correo",
    "portátil",
    "acceso",
    "clave",
    "red",
    "wifi",
    "silla",
    "aire",
    "baño",
    "luz",
    "proyector",
    "licencia",
    "teléfono",
    "vehículo",
    "cafetería",
    "puerta",
    "archivo",
    "sistema",
    "escritorio",
)


def _progress(label: str) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        sys.stderr.write(f"\r{label:9} [{'#' * filled}{'.' * (width - filled)}] {done:>9,}/{total:,}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return report


def generate(engine: sa.Engine, *, cases: int, users: int, seed: int = 7, quiet: bool = False) -> dict[str, int]:
    """Add `users` users and `cases` cases (with events, messages, surveys, attachments' metadata)."""
    rng = random.Random(seed)
    report = (lambda label: lambda done, total: None) if quiet else _progress
    with unit_of_work(engine) as session:
        seed_demo_catalogue(session=session)
        areas = session.scalars(sa.select(Area).order_by(Area.id)).all()
        options = {
            a.id: session.scalars(sa.select(ServiceOption.id).where(ServiceOption.area_id == a.id)).all() for a in areas
        }
        first_user = (session.scalar(sa.select(sa.func.max(User.id))) or 0) + 1
        first_case = (session.scalar(sa.select(sa.func.max(Case.id))) or 0) + 1
        first_number = session.scalar(sa.select(Counter.value).where(Counter.name == "case_number")) or 0

    password = hash_password(SYNTHETIC_PASSWORD)
    advisors_per_area = max(1, users // 50)
    now = utcnow()
    user_rows, advisor_rows, advisors = [], [], {a.id: [] for a in areas}
    for i in range(users):
        uid = first_user + i
        area = areas[i % len(areas)]
        role = (
            Role.ADVISOR if i < advisors_per_area * len(areas) else (Role.MANAGER if i % 500 == 499 else Role.EMPLOYEE)
        )
        user_rows.append(
            {
                "id": uid,
                "username": f"usuario{uid}.sintetico",
                "full_name": f"Usuario {uid} Sintético",
                "email": f"usuario{uid}@example.org",
                "role": role,
                "password_hash": password,
                "active": True,
                "must_change_password": False,
                "password_changed_at": now,
                "failed_logins": 0,
                "theme": "light",
                "language": "es",
                "created_at": now - timedelta(days=1200),
            }
        )
        if role == Role.ADVISOR:
            advisor_rows.append({"user_id": uid, "area_id": area.id})
            advisors[area.id].append(uid)
    requesters = [r["id"] for r in user_rows if r["role"] != Role.ADVISOR]
    with engine.begin() as conn:
        for start in range(0, len(user_rows), CHUNK):
            conn.execute(sa.insert(User), user_rows[start : start + CHUNK])
        if advisor_rows:
            conn.execute(sa.insert(advisor_areas), advisor_rows)

    statuses, weights = zip(*STATUS_WEIGHTS.items(), strict=True)
    urgencies = list(Urgency)
    tick = report("casos")
    done = 0
    case_id, number = first_case, first_number
    span = 3 * 365 * 24 * 3600
    while done < cases:
        batch = min(CHUNK, cases - done)
        case_rows, event_rows, message_rows, survey_rows, attachment_rows = [], [], [], [], []
        for _ in range(batch):
            area = rng.choice(areas)
            urgency = rng.choice(urgencies)
            created = now - timedelta(seconds=rng.randint(3600, span))
            # A desk keeps up: cases of the last three weeks are in every status; older ones are closed.
            status = rng.choices(statuses, weights)[0] if now - created < RECENT else Status.CLOSED
            requester = rng.choice(requesters)
            assignee = rng.choice(advisors[area.id]) if status != Status.NEW and advisors[area.id] else None
            resolved = (
                created + timedelta(hours=rng.uniform(0.5, 96)) if status in (Status.RESOLVED, Status.CLOSED) else None
            )
            closed = resolved + timedelta(days=rng.uniform(0, 5)) if status == Status.CLOSED else None
            last = closed or resolved or created + timedelta(hours=rng.uniform(0, 48))
            number += 1
            case_rows.append(
                {
                    "id": case_id,
                    "number": number,
                    "area_id": area.id,
                    "option_id": rng.choice(options[area.id]),
                    "requester_id": requester,
                    "assignee_id": assignee,
                    "subject": f"{rng.choice(SUBJECT_WORDS).capitalize()} {rng.choice(SUBJECT_WORDS)} {number}",
                    "description": "Caso sintético para pruebas de rendimiento.",
                    "urgency": urgency,
                    "status": status,
                    "created_at": created,
                    "status_changed_at": last,
                    "last_activity_at": last,
                    "first_response_at": created + timedelta(minutes=rng.randint(5, 600)) if assignee else None,
                    "due_at": created + timedelta(hours=DEFAULT_SLA_HOURS[urgency]),
                    "resolved_at": resolved,
                    "closed_at": closed,
                    "closed_without_answer": False,
                    "solution": "Se atendió la solicitud." if resolved else None,
                    "reopen_count": 0,
                    "version": 1,
                }
            )
            event_rows.append(
                {
                    "case_id": case_id,
                    "actor_id": requester,
                    "kind": "registered",
                    "detail": {},
                    "internal": False,
                    "created_at": created,
                }
            )
            if assignee:
                message_rows.append(
                    {
                        "case_id": case_id,
                        "author_id": assignee,
                        "body": "Estamos revisando su caso.",
                        "internal": False,
                        "created_at": created + timedelta(minutes=30),
                    }
                )
            if status == Status.CLOSED and rng.random() < 0.6:
                survey_rows.append(
                    {
                        "case_id": case_id,
                        "resolution_round": 1,
                        "answered_by_id": requester,
                        "resolved": True,
                        "rating": rng.choices([1, 2, 3, 4, 5], [3, 4, 10, 35, 48])[0],
                        "rating_comment": f"Comentario sintético {number}" if rng.random() < 0.15 else None,
                        "created_at": closed,
                        "rated_at": closed,
                    }
                )
            if rng.random() < 0.2:
                attachment_rows.append(
                    {
                        "case_id": case_id,
                        "uploaded_by_id": requester,
                        "original_name": "evidencia.png",
                        "description": "",
                        "content_type": "image/png",
                        "size_bytes": rng.randint(2_000, 900_000),
                        "content_hash": f"{case_id:064x}",
                        "internal": False,
                        "created_at": created,
                    }
                )
            case_id += 1
        with engine.begin() as conn:
            conn.execute(sa.insert(Case), case_rows)
            conn.execute(sa.insert(CaseEvent), event_rows)
            if message_rows:
                conn.execute(sa.insert(CaseMessage), message_rows)
            if survey_rows:
                conn.execute(sa.insert(SurveyAnswer), survey_rows)
            if attachment_rows:
                conn.execute(sa.insert(Attachment), attachment_rows)
        done += batch
        tick(done, cases)
    with engine.begin() as conn:
        conn.execute(sa.update(Counter).where(Counter.name == "case_number").values(value=number))
    report("informes")(0, 1)
    report_days.rebuild(engine)  # bulk inserts bypass the ORM that keeps the daily report table
    report("informes")(1, 1)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":  # ids were given explicitly: move the sequences past them
            for table in (User, Case, CaseEvent, CaseMessage, SurveyAnswer, Attachment):
                name = table.__tablename__
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {name}), false)"
                )
    # Fresh statistics for the planner (and, on PostgreSQL, a visibility map for index-only scans).
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE")
    return {"users": users, "cases": cases, "last_number": number}
