"""Accounts on a real SQLite file: setup once, passwords, profile, and who may create users."""

import csv
import io
import threading

import pytest
import sqlalchemy as sa

from models import SetupMarker, User
from services import users
from services.db import unit_of_work
from services.errors import Conflict, PermissionDenied, ValidationFailed
from services.security import verify_password
from tests.conftest import PASSWORD, make_user


def _setup(engine, username="admin.mesa", load_demo=False, on_progress=None):
    with unit_of_work(engine) as session:
        return users.complete_setup(
            session=session,
            username=username,
            full_name="Admin",
            email="admin@example.org",
            password=PASSWORD,
            password_repeat=PASSWORD,
            load_demo=load_demo,
            on_progress=on_progress,
        )


def _admins(engine):
    with unit_of_work(engine, write=False) as session:
        return session.scalars(sa.select(User.username).where(User.role == "admin")).all()


def test_setup_creates_one_admin_and_cannot_run_twice(engine):
    _setup(engine)
    with pytest.raises(Conflict) as refused:
        _setup(engine, username="otro.admin")
    assert refused.value.key == "setup.already_done"
    assert _admins(engine) == ["admin.mesa"]


def test_two_visitors_racing_the_setup_create_a_single_admin(engine):
    outcomes = []

    def visitor(name):
        try:
            _setup(engine, username=name)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("refused")

    threads = [threading.Thread(target=visitor, args=(f"admin.{i}",)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(outcomes) == ["ok", "refused", "refused", "refused"]
    assert len(_admins(engine)) == 1


def test_setup_with_demo_loads_both_areas_and_a_user_of_every_role(engine):
    result = _setup(engine, load_demo=True)
    roles = {u.role for u in result.demo_users}
    assert roles == {"employee", "advisor", "manager"}
    with unit_of_work(engine, write=False) as session:
        from services import catalogue

        areas = catalogue.list_areas(session=session)
        assert [a.name for a in areas] == ["Gestión Tecnológica", "Servicios Generales"]
        for area in areas:
            assert 5 <= len(catalogue.list_options(session=session, area_id=area.id)) <= 8
        demo = result.demo_users[0]
        stored = session.scalar(sa.select(User).where(User.username == demo.username))
        assert stored.password_hash.startswith("$2") and stored.password_hash != demo.password
        assert verify_password(demo.password, stored.password_hash)
        assert session.get(SetupMarker, 1) is not None


@pytest.mark.parametrize(
    ("password", "key"),
    [
        ("corta1", "password.too_short"),
        ("ana.perez", "password.is_username"),
        ("12345678", "password.common"),
        ("Password", "password.common"),
        (" con-espacio-9", "password.spaces"),
        ("ñ" * 40, "password.too_long"),
    ],
)
def test_password_policy_refuses_weak_passwords_with_their_reason(desk, password, key):
    make_user(desk, "ana.perez")
    actor = _actor(desk, "ana.perez")
    with pytest.raises(ValidationFailed) as refused, unit_of_work(desk) as session:
        users.change_password(
            session=session, actor=actor, current_password=PASSWORD, new_password=password, new_password_repeat=password
        )
    assert refused.value.key == key
    with unit_of_work(desk, write=False) as session:
        stored = session.scalar(sa.select(User).where(User.username == "ana.perez"))
        assert verify_password(PASSWORD, stored.password_hash)


def _actor(engine, username):
    with unit_of_work(engine, write=False) as session:
        return users.load_actor(session=session, username=username)


def test_password_change_needs_the_current_password_and_the_same_new_one_twice(desk):
    make_user(desk, "ana.perez")
    actor = _actor(desk, "ana.perez")
    with pytest.raises(ValidationFailed) as wrong, unit_of_work(desk) as session:
        users.change_password(
            session=session,
            actor=actor,
            current_password="otra-cosa-1",
            new_password="Nueva-clave-77",
            new_password_repeat="Nueva-clave-77",
        )
    assert wrong.value.key == "password.current_wrong"
    with pytest.raises(ValidationFailed) as mismatch, unit_of_work(desk) as session:
        users.change_password(
            session=session,
            actor=actor,
            current_password=PASSWORD,
            new_password="Nueva-clave-77",
            new_password_repeat="Nueva-clave-78",
        )
    assert mismatch.value.key == "password.mismatch"
    with unit_of_work(desk) as session:
        users.change_password(
            session=session,
            actor=actor,
            current_password=PASSWORD,
            new_password="Nueva-clave-77",
            new_password_repeat="Nueva-clave-77",
        )
    with unit_of_work(desk, write=False) as session:
        stored = session.scalar(sa.select(User).where(User.username == "ana.perez"))
        assert verify_password("Nueva-clave-77", stored.password_hash)
        assert stored.password_changed_at > actor.password_changed_at


def test_changing_a_temporary_password_lifts_the_forced_change(desk):
    make_user(desk, "ana.perez", must_change_password=True)
    actor = _actor(desk, "ana.perez")
    assert actor.must_change_password
    with unit_of_work(desk) as session:
        users.change_password(
            session=session,
            actor=actor,
            current_password=PASSWORD,
            new_password="Mi-clave-propia-5",
            new_password_repeat="Mi-clave-propia-5",
        )
    assert not _actor(desk, "ana.perez").must_change_password


def test_usernames_are_unique_whatever_their_case(desk):
    make_user(desk, "ana.perez")
    with pytest.raises(ValidationFailed) as taken:
        make_user(desk, "Ana.Perez")
    assert taken.value.key == "user.username_taken"


@pytest.mark.parametrize("bad", ["ana perez", "ana..perez", ".ana", "ana_perez", "an", "ana.pérez"])
def test_usernames_must_look_like_nombre_apellido(desk, bad):
    with pytest.raises(ValidationFailed) as refused:
        make_user(desk, bad)
    assert refused.value.key == "user.username_format"


def test_only_admins_create_users(desk):
    make_user(desk, "ana.perez")
    employee = _actor(desk, "ana.perez")
    with pytest.raises(PermissionDenied), unit_of_work(desk) as session:
        users.create_user(
            session=session,
            actor=employee,
            username="intruso.nuevo",
            full_name="X",
            email="x@example.org",
            role="admin",
            password="Otra-clave-segura-1",
        )
    with unit_of_work(desk, write=False) as session:
        assert session.scalar(sa.select(User).where(User.username == "intruso.nuevo")) is None


def test_inactive_users_are_not_loaded_and_cannot_log_in(desk):
    make_user(desk, "ana.perez")
    with unit_of_work(desk) as session:
        users.set_user_active(session=session, actor=users.Actor.system(), username="ana.perez", active=False)
    assert _actor(desk, "ana.perez") is None
    with unit_of_work(desk, write=False) as session:
        assert "ana.perez" not in users.login_credentials(session=session)["usernames"]


def test_profile_update_validates_the_email(desk):
    make_user(desk, "ana.perez")
    actor = _actor(desk, "ana.perez")
    with pytest.raises(ValidationFailed) as refused, unit_of_work(desk) as session:
        users.update_profile(session=session, actor=actor, full_name="Ana María Pérez", email="no-es-correo")
    assert refused.value.key == "user.email_format"
    with unit_of_work(desk) as session:
        updated = users.update_profile(
            session=session, actor=actor, full_name="  Ana   María Pérez ", email="ana.maria@example.org"
        )
    # The new address waits for its confirmation link (tests/test_email_change.py); the name changes at once.
    assert (updated.full_name, updated.email, updated.pending_email) == (
        "Ana María Pérez",
        "ana.perez@example.org",
        "ana.maria@example.org",
    )


def test_the_setup_tells_its_progress_and_the_demo_list_downloads_with_passwords_that_open_the_accounts(engine):
    steps = []
    result = _setup(engine, load_demo=True, on_progress=lambda done, total: steps.append((done, total)))
    total = 1 + len(users.DEMO_PEOPLE)  # the administrator, then each demo person: one bcrypt hash each
    assert steps == [(done, total) for done in range(1, total + 1)]

    rows = list(csv.reader(io.StringIO(users.demo_users_csv(result.demo_users).decode("utf-8-sig"))))
    assert rows[0] == ["Usuario", "Nombre", "Rol", "Áreas", "Clave"]
    assert len(rows) == 1 + len(result.demo_users) == 1 + len(users.DEMO_PEOPLE)
    with unit_of_work(engine, write=False) as session:
        for username, _name, role, _areas, password in rows[1:]:
            stored = session.scalar(sa.select(User).where(User.username == username))
            assert verify_password(password, stored.password_hash)  # the list holds the real passwords
            assert role in {"Solicitante", "Asesor", "Coordinador"}
    english = users.demo_users_csv(result.demo_users, language="en").decode("utf-8-sig").splitlines()[0]
    assert english == "Username,Name,Role,Areas,Password"
