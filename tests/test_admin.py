"""Administración on a real SQLite file: every action, its refusal for non-admins, the audit, CSV import, lockout."""

import pytest
import sqlalchemy as sa

from models import Area, AuditEntry, ServiceOption, SlaPolicy, User
from services import audit, catalogue, clock, outbox, sla, users
from services.catalogue import DEFAULT_SLA_HOURS
from services.db import make_engine, unit_of_work
from services.errors import PermissionDenied, ValidationFailed
from services.security import verify_password
from tests.conftest import make_user

HOURS = {u.value: h for u, h in DEFAULT_SLA_HOURS.items()}

GT = "Gestión Tecnológica"


def _actor(engine, username):
    with unit_of_work(engine, write=False) as session:
        return users.load_actor(session=session, username=username)


def _area_id(engine, name=GT):
    with unit_of_work(engine, write=False) as session:
        return session.scalar(sa.select(Area.id).where(Area.name == name))


def _option_id(engine, name):
    with unit_of_work(engine, write=False) as session:
        return session.scalar(sa.select(ServiceOption.id).where(ServiceOption.name == name))


def _audit(engine):
    with unit_of_work(engine, write=False) as session:
        return session.execute(sa.select(AuditEntry.action, AuditEntry.target)).all()


ACTIONS = {
    users.list_users: lambda e: {},
    users.add_user: lambda e: {
        "username": "nuevo.usuario",
        "full_name": "Nuevo",
        "email": "n@example.org",
        "role": "employee",
    },
    users.update_user: lambda e: {
        "username": "ana.perez",
        "full_name": "Ana",
        "email": "a@example.org",
        "role": "employee",
    },
    users.set_user_active: lambda e: {"username": "ana.perez", "active": False},
    users.reset_password: lambda e: {"username": "ana.perez"},
    users.unlock: lambda e: {"username": "ana.perez"},
    users.preview_import: lambda e: {"content": b"usuario,nombre,correo,rol\nx.y,X,x@example.org,asesor\n"},
    catalogue.area_details: lambda e: {},
    catalogue.add_option: lambda e: {"area_id": _area_id(e), "name": "Opción nueva"},
    catalogue.update_option: lambda e: {
        "option_id": _option_id(e, "Impresoras"),
        "name": "Impresoras",
        "description": "",
        "active": False,
    },
    catalogue.move_option: lambda e: {"option_id": _option_id(e, "Impresoras"), "offset": -1},
    catalogue.set_assignment_mode: lambda e: {"area_id": _area_id(e), "mode": "manual"},
    catalogue.set_area_advisors: lambda e: {"area_id": _area_id(e), "usernames": []},
    sla.set_targets: lambda e: {
        "area_id": _area_id(e),
        "resolution_hours": dict(HOURS, high=6),
        "first_response_hours": {},
    },
    outbox.list_outbox: lambda e: {},
    outbox.outbox_counts: lambda e: {},
    outbox.queue_test_email: lambda e: {"to_address": "a@example.org", "org_name": "Org"},
    outbox.retry_email: lambda e: {"email_id": 1},
    users.end_user_sessions: lambda e: {"username": "ana.perez"},
    users.confirm_import: lambda e: {"content": b"usuario,nombre,correo,rol\nx.y,X,x@example.org,asesor\n"},
    audit.list_audit: lambda e: {},
}


@pytest.mark.parametrize("action", list(ACTIONS), ids=lambda action: action.__name__)
def test_every_admin_action_is_refused_to_non_admins_and_changes_nothing(desk, action):
    make_user(desk, "ana.perez")
    make_user(desk, "laura.rios", role="advisor", areas=[GT])
    make_user(desk, "marta.luna", role="manager")
    before = _snapshot(desk)
    for username in ("ana.perez", "laura.rios", "marta.luna"):
        with pytest.raises(PermissionDenied), unit_of_work(desk) as session:
            action(session=session, actor=_actor(desk, username), **ACTIONS[action](desk))
    assert _snapshot(desk) == before
    with unit_of_work(desk) as session:  # and an admin may
        action(session=session, actor=_actor(desk, "admin.mesa"), **ACTIONS[action](desk))


def _snapshot(engine):
    with unit_of_work(engine, write=False) as session:
        return (
            session.execute(
                sa.select(
                    User.username, User.full_name, User.active, User.password_hash, User.must_change_password
                ).order_by(User.id)
            ).all(),
            session.execute(
                sa.select(ServiceOption.name, ServiceOption.active, ServiceOption.position).order_by(ServiceOption.id)
            ).all(),
            session.execute(sa.select(Area.assignment_mode).order_by(Area.id)).all(),
            session.execute(
                sa.select(SlaPolicy.area_id, SlaPolicy.urgency, SlaPolicy.hours).order_by(
                    SlaPolicy.area_id, SlaPolicy.urgency
                )
            ).all(),
            session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)),
        )


def test_admin_changes_are_audited_with_before_and_after(desk):
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    boss = _actor(desk, "admin.mesa")
    with unit_of_work(desk) as session:
        users.update_user(
            session=session,
            actor=boss,
            username="ana.perez",
            full_name="Ana María Pérez",
            email="ana@example.org",
            role="employee",
        )
        sla.set_targets(
            session=session,
            actor=boss,
            area_id=_area_id(desk),
            resolution_hours=dict(HOURS, high=6),
            first_response_hours={},
        )
    with unit_of_work(desk, write=False) as session:
        entries = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.target) for e in entries] == [("user.update", "ana.perez"), ("area.sla", GT)]
    assert entries[0].before["full_name"] == "Ana Pérez" and entries[0].after["full_name"] == "Ana María Pérez"
    assert entries[1].before["resolution"]["high"] == 8 and entries[1].after["resolution"]["high"] == 6


def test_a_new_user_gets_a_temporary_password_to_change_and_a_reset_ends_sessions(desk):
    boss = _actor(desk, "admin.mesa")
    with unit_of_work(desk) as session:
        password = users.add_user(
            session=session,
            actor=boss,
            username="Nuevo.Usuario",
            full_name="Nuevo Usuario",
            email="nuevo@example.org",
            role="advisor",
            area_names=(GT,),
        )
    new = _actor(desk, "nuevo.usuario")
    assert new.must_change_password and new.area_ids == (_area_id(desk),)
    with unit_of_work(desk) as session:
        again = users.reset_password(session=session, actor=boss, username="nuevo.usuario")
    assert again != password
    with unit_of_work(desk, write=False) as session:
        stored = session.scalar(sa.select(User).where(User.username == "nuevo.usuario"))
        assert verify_password(again, stored.password_hash) and not verify_password(password, stored.password_hash)
        assert stored.password_changed_at > new.password_changed_at  # older sessions end at their next run


def test_a_user_is_deactivated_never_deleted_and_an_admin_cannot_lock_himself_out(desk):
    make_user(desk, "ana.perez")
    boss = _actor(desk, "admin.mesa")
    with unit_of_work(desk) as session:
        users.set_user_active(session=session, actor=boss, username="ana.perez", active=False)
    assert _actor(desk, "ana.perez") is None
    with unit_of_work(desk, write=False) as session:
        assert session.scalar(sa.select(User.active).where(User.username == "ana.perez")) is False
    for call, kwargs, key in (
        (users.set_user_active, {"username": "admin.mesa", "active": False}, "user.cannot_deactivate_self"),
        (
            users.update_user,
            {"username": "admin.mesa", "full_name": "A", "email": "a@example.org", "role": "employee"},
            "user.cannot_demote_self",
        ),
    ):
        with pytest.raises(ValidationFailed) as refused, unit_of_work(desk) as session:
            call(session=session, actor=boss, **kwargs)
        assert refused.value.key == key


CSV_GOOD = (
    "usuario;nombre;correo;rol;areas\n"
    "pedro.paez;Pedro Páez;pedro@example.org;asesor;Gestión Tecnológica\n"
    "lina.rojas;Lina Rojas;lina@example.org;solicitante;\n"
).encode()
CSV_BAD = (
    "usuario,nombre,correo,rol,areas\n"
    "pedro.paez,Pedro Páez,pedro@example.org,asesor,Gestión Tecnológica\n"
    "Mal Usuario,Sin Nombre,no-es-correo,jefe,Area Inventada\n"
    "pedro.paez,Repetido,rep@example.org,solicitante,\n"
).encode()


def test_a_csv_import_shows_each_rows_errors_and_imports_all_or_nothing(desk):
    boss = _actor(desk, "admin.mesa")
    with unit_of_work(desk) as session:
        preview = users.preview_import(session=session, actor=boss, content=CSV_BAD)
    assert [r.errors for r in preview][0] == []
    assert {k for k, _ in preview[1].errors} == {
        "user.username_format",
        "user.email_format",
        "user.role_invalid",
        "user.area_unknown",
    }
    assert [k for k, _ in preview[2].errors] == ["user.username_taken"]
    with pytest.raises(ValidationFailed) as refused, unit_of_work(desk) as session:
        users.confirm_import(session=session, actor=boss, content=CSV_BAD)
    assert refused.value.key == "import.has_errors" and refused.value.params == {"count": 2}
    assert _actor(desk, "pedro.paez") is None  # nothing half imported

    seen = []
    with unit_of_work(desk) as session:
        created = users.confirm_import(
            session=session, actor=boss, content=CSV_GOOD, progress=lambda done, total: seen.append((done, total))
        )
    assert [u for u, _ in created] == ["pedro.paez", "lina.rojas"] and seen == [(1, 2), (2, 2)]
    assert _actor(desk, "pedro.paez").role == "advisor" and _actor(desk, "lina.rojas").must_change_password


def test_options_are_added_renamed_ordered_and_deactivated_keeping_their_place(desk):
    boss = _actor(desk, "admin.mesa")
    area = _area_id(desk)
    with unit_of_work(desk) as session:
        new_id = catalogue.add_option(
            session=session,
            actor=boss,
            area_id=area,
            name="Videoconferencias",
            description="Salas y equipos de videollamada.",
        )
        with pytest.raises(ValidationFailed):
            catalogue.add_option(session=session, actor=boss, area_id=area, name="videoconferencias")
        catalogue.move_option(session=session, actor=boss, option_id=new_id, offset=-1)
        catalogue.update_option(
            session=session,
            actor=boss,
            option_id=_option_id(desk, "Impresoras"),
            name="Impresoras y escáneres",
            description="",
            active=False,
        )
    with unit_of_work(desk, write=False) as session:
        names = [o.name for o in catalogue.list_options(session=session, area_id=area)]
    assert "Impresoras y escáneres" not in names and names[-2:] == ["Videoconferencias", "Telefonía"]


def test_five_failed_logins_lock_the_username_across_two_processes(desk, database_url):
    make_user(desk, "ana.perez")
    other_process = make_engine(database_url)
    try:
        for attempt, engine in enumerate([desk, other_process] * 2 + [other_process]):
            with unit_of_work(engine) as session:
                locked = users.record_failed_login(session=session, username="ana.perez")
            assert locked == (attempt == 4)
        for engine in (desk, other_process):
            with unit_of_work(engine, write=False) as session:
                assert "ana.perez" not in users.login_credentials(session=session)["usernames"]
        with unit_of_work(desk) as session:
            users.unlock(session=session, actor=_actor(desk, "admin.mesa"), username="ana.perez")
        with unit_of_work(other_process, write=False) as session:
            assert "ana.perez" in users.login_credentials(session=session)["usernames"]
    finally:
        other_process.dispose()


def test_failures_spread_over_more_than_15_minutes_do_not_lock_and_a_lock_expires(desk, monkeypatch):
    make_user(desk, "ana.perez")
    now = {"t": clock.now()}
    monkeypatch.setattr(clock, "now", lambda: now["t"])

    def fail():
        with unit_of_work(desk) as session:
            return users.record_failed_login(session=session, username="ana.perez")

    for _ in range(4):
        assert not fail()
    now["t"] += users.FAILURE_WINDOW + users.FAILURE_WINDOW / 15
    assert not fail()  # a new window starts
    for _ in range(3):
        assert not fail()
    assert fail()  # the fifth in this window
    now["t"] += users.LOCK_DURATION
    with unit_of_work(desk, write=False) as session:
        assert "ana.perez" in users.login_credentials(session=session)["usernames"]


def test_a_good_login_resets_the_count(desk):
    make_user(desk, "ana.perez")
    for _ in range(4):
        with unit_of_work(desk) as session:
            users.record_failed_login(session=session, username="ana.perez")
    with unit_of_work(desk) as session:
        users.record_successful_login(session=session, username="ana.perez")
    with unit_of_work(desk) as session:
        assert not users.record_failed_login(session=session, username="ana.perez")
    with unit_of_work(desk, write=False) as session:
        assert session.scalar(sa.select(User.failed_logins).where(User.username == "ana.perez")) == 1
