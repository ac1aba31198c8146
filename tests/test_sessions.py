"""Server-side sessions and the one-time setup, on a real database: what the probe found, as tests."""

import subprocess
import sys
from datetime import timedelta

import pytest
import sqlalchemy as sa

from models import User, UserSession
from services import clock, sessions, users
from services.db import unit_of_work
from services.errors import Conflict, NotFound, PermissionDenied
from services.settings import load_settings
from tests.conftest import PASSWORD, ROOT, make_user

KEY = "k" * 40


@pytest.fixture
def config(data_dir):
    return load_settings({"MESA_DATA_DIR": str(data_dir), "MESA_SESSION_IDLE_HOURS": "2", "MESA_SESSION_MAX_DAYS": "3"})


@pytest.fixture
def frozen(monkeypatch):
    """The services' clock, moved by the test."""
    now = {"t": clock.now()}
    monkeypatch.setattr(clock, "now", lambda: now["t"])
    return now


def _open(engine, username, *, remember=False):
    with unit_of_work(engine) as session:
        user_id = users.load_actor(session=session, username=username).id
        return sessions.open_session(session=session, user_id=user_id, remember=remember, user_agent="Firefox/1")


def _resume(engine, handle, config):
    with unit_of_work(engine) as session:
        return sessions.resume(session=session, handle=handle, config=config)


def _cookie_for(engine, opened, config):
    with unit_of_work(engine) as session:
        return sessions.trade_grant(session=session, grant=opened.grant, config=config, key=KEY)


def _by_cookie(engine, value, config):
    with unit_of_work(engine) as session:
        return sessions.resume_cookie(session=session, cookie=value, config=config, key=KEY)


# --- 1. Setup: open only while no active administrator exists ----------------------------------------


def _cli(data_dir, database_url, *args):
    env = {
        "PATH": "/usr/bin:/bin",
        "MESA_DATA_DIR": str(data_dir),
        "MESA_DATABASE_URL": database_url,
        "MESA_BCRYPT_ROUNDS": "4",
    }
    return subprocess.run(
        [sys.executable, "cli.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )


def test_a_desk_given_an_admin_from_the_command_line_never_offers_the_setup(engine, data_dir, database_url):
    with unit_of_work(engine) as session:
        assert users.needs_setup(session=session)
    _cli(
        data_dir,
        database_url,
        "create-user",
        "--username",
        "jefe.ti",
        "--full-name",
        "Jefe TI",
        "--email",
        "jefe@example.org",
        "--role",
        "admin",
        "--password",
        PASSWORD,
    )
    with unit_of_work(engine) as session:
        assert not users.needs_setup(session=session)
    with pytest.raises(Conflict), unit_of_work(engine) as session:
        users.complete_setup(
            session=session,
            username="intruso",
            full_name="Intruso",
            email="i@example.org",
            password=PASSWORD,
            password_repeat=PASSWORD,
            load_demo=False,
        )
    with unit_of_work(engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(User).where(User.role == "admin")) == 1


def test_seed_demo_alone_leaves_the_desk_without_admin_so_the_setup_stays_open_once(engine, data_dir, database_url):
    out = _cli(data_dir, database_url, "seed-demo").stdout
    assert "create-user" in out  # the operator is told how to close the setup
    with unit_of_work(engine) as session:
        assert users.needs_setup(session=session)
        users.complete_setup(
            session=session,
            username="admin.mesa",
            full_name="Admin",
            email="a@example.org",
            password=PASSWORD,
            password_repeat=PASSWORD,
            load_demo=False,
        )
    with unit_of_work(engine) as session:
        assert not users.needs_setup(session=session)


# --- 2. Sessions ---------------------------------------------------------------------------------------


def test_a_session_lives_until_logout_and_a_cookie_of_it_dies_with_it(desk, config):
    make_user(desk, "ana.perez")
    opened = _open(desk, "ana.perez", remember=True)
    cookie = _cookie_for(desk, opened, config)
    assert _resume(desk, opened.handle, config) is not None
    assert _by_cookie(desk, cookie.value, config) == opened.handle
    with unit_of_work(desk) as session:
        sessions.end(session=session, handle=opened.handle)
    assert _resume(desk, opened.handle, config) is None
    assert _by_cookie(desk, cookie.value, config) is None


def test_the_grant_gives_one_cookie_once_and_only_while_fresh(desk, config, frozen):
    make_user(desk, "ana.perez")
    opened = _open(desk, "ana.perez")
    assert _cookie_for(desk, opened, config) is not None
    assert _cookie_for(desk, opened, config) is None  # used
    late = _open(desk, "ana.perez")
    frozen["t"] += sessions.GRANT_LIFETIME + timedelta(seconds=1)
    assert _cookie_for(desk, late, config) is None


def test_recordarme_makes_a_persistent_cookie_and_https_a_secure_one(desk, config, data_dir):
    make_user(desk, "ana.perez")
    plain = _cookie_for(desk, _open(desk, "ana.perez"), config)
    assert plain.max_age is None and not plain.secure
    https = load_settings({"MESA_DATA_DIR": str(data_dir), "MESA_APP_URL": "https://mesa.example.org"})
    kept = _cookie_for(desk, _open(desk, "ana.perez", remember=True), https)
    assert kept.max_age == 7 * 86400 and kept.secure


def test_the_database_holds_no_cookie_secret(desk, config):
    make_user(desk, "ana.perez")
    cookie = _cookie_for(desk, _open(desk, "ana.perez"), config)
    secret = cookie.value.split(".")[0]
    with unit_of_work(desk) as session:
        stored = [tuple(row) for row in session.execute(sa.select(UserSession.__table__))]
    assert all(secret not in str(value) for row in stored for value in row)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "garbage",
        "a.b.c",
        "eyJhbGciOiJub25lIn0.eyJ1c2VybmFtZSI6ImEifQ.",
        sessions.sign("x" * 43, KEY),
        sessions.sign("x" * 43, "otra-clave" * 5),
        "ñ" * 10 + ".abc",
        "x" * 500,
    ],
)
def test_a_malformed_forged_or_unknown_cookie_is_no_session(desk, config, value):
    assert _by_cookie(desk, value, config) is None


def test_an_idle_session_ends_and_says_why(desk, config, frozen):
    make_user(desk, "ana.perez")
    opened = _open(desk, "ana.perez")
    frozen["t"] += timedelta(hours=1, minutes=59)
    assert _resume(desk, opened.handle, config) is not None  # and this activity moves the idle clock
    frozen["t"] += timedelta(hours=1, minutes=59)
    assert _resume(desk, opened.handle, config) is not None
    frozen["t"] += timedelta(hours=2, minutes=1)
    assert _resume(desk, opened.handle, config) is None
    with unit_of_work(desk) as session:
        assert session.get(UserSession, opened.handle).end_reason == "idle"


def test_a_busy_session_still_ends_at_its_absolute_lifetime(desk, config, frozen):
    make_user(desk, "ana.perez")
    opened = _open(desk, "ana.perez")
    for _ in range(3 * 24 + 1):
        frozen["t"] += timedelta(hours=1)
        _resume(desk, opened.handle, config)
    assert _resume(desk, opened.handle, config) is None
    with unit_of_work(desk) as session:
        assert session.get(UserSession, opened.handle).end_reason == "expired"


def test_deactivation_ends_sessions_for_good_even_after_reactivation(desk, config):
    make_user(desk, "ana.perez")
    opened = _open(desk, "ana.perez")
    with unit_of_work(desk) as session:
        users.set_user_active(session=session, actor=users.Actor.system(), username="ana.perez", active=False)
    with unit_of_work(desk) as session:
        users.set_user_active(session=session, actor=users.Actor.system(), username="ana.perez", active=True)
    assert _resume(desk, opened.handle, config) is None


def test_a_password_change_keeps_this_session_and_ends_the_others(desk, config):
    make_user(desk, "ana.perez")
    here, elsewhere = _open(desk, "ana.perez"), _open(desk, "ana.perez")
    with unit_of_work(desk) as session:
        actor = users.load_actor(session=session, username="ana.perez")
        users.change_password(
            session=session,
            actor=actor,
            current_password=PASSWORD,
            new_password="Otra-clave-segura-7",
            new_password_repeat="Otra-clave-segura-7",
            keep_session=here.handle,
        )
    assert _resume(desk, here.handle, config) is not None
    assert _resume(desk, elsewhere.handle, config) is None


def test_a_reset_and_an_admins_cerrar_sus_sesiones_end_every_session(desk, config):
    make_user(desk, "ana.perez")
    first = _open(desk, "ana.perez")
    with unit_of_work(desk) as session:
        users.reset_password(session=session, actor=users.Actor.system(), username="ana.perez")
    assert _resume(desk, first.handle, config) is None
    second = _open(desk, "ana.perez")
    with unit_of_work(desk) as session:
        boss = users.load_actor(session=session, username="admin.mesa")
        assert users.end_user_sessions(session=session, actor=boss, username="ana.perez") == 1
    assert _resume(desk, second.handle, config) is None


def test_only_an_admin_may_end_someone_elses_sessions(desk, config):
    make_user(desk, "ana.perez")
    make_user(desk, "laura.rios", "advisor", areas=["Gestión Tecnológica"])
    opened = _open(desk, "ana.perez")
    with pytest.raises(PermissionDenied), unit_of_work(desk) as session:
        advisor = users.load_actor(session=session, username="laura.rios")
        users.end_user_sessions(session=session, actor=advisor, username="ana.perez")
    with pytest.raises(NotFound), unit_of_work(desk) as session:
        advisor = users.load_actor(session=session, username="laura.rios")
        sessions.end_one_of_mine(session=session, actor=advisor, handle=opened.handle)
    assert _resume(desk, opened.handle, config) is not None


def test_mi_cuenta_lists_ones_open_sessions_and_ends_the_others(desk, config):
    make_user(desk, "ana.perez")
    here, other, third = _open(desk, "ana.perez"), _open(desk, "ana.perez"), _open(desk, "ana.perez")
    with unit_of_work(desk) as session:
        actor = users.load_actor(session=session, username="ana.perez")
        listed = sessions.list_mine(session=session, actor=actor, current=here.handle, config=config)
        assert {v.handle for v in listed} == {here.handle, other.handle, third.handle}
        assert [v.current for v in listed].count(True) == 1
        sessions.end_one_of_mine(session=session, actor=actor, handle=other.handle)
        assert sessions.end_others_of_mine(session=session, actor=actor, keep=here.handle) == 1
    assert _resume(desk, here.handle, config) is not None
    assert _resume(desk, third.handle, config) is None


def test_mi_cuenta_shows_the_sessions_and_its_button_ends_the_others(desk, config):
    from tests.conftest import logged_in_app, texts

    make_user(desk, "ana.perez")
    elsewhere = _open(desk, "ana.perez")
    at = logged_in_app("ana.perez")
    at.switch_page("app_pages/mi_cuenta.py").run()
    assert "Esta sesión" in texts(at) and "Firefox" in texts(at)  # the other browser, named for a person
    next(b for b in at.button if b.label == "Cerrar las demás sesiones").click()
    at.run()
    assert "Se cerró 1 sesión." in texts(at)
    assert _resume(desk, elsewhere.handle, config) is None
    assert _resume(desk, at.session_state["mesa_session"], config) is not None


def test_an_admin_ends_a_users_sessions_from_usuarios(desk, config):
    from tests.conftest import logged_in_app

    make_user(desk, "ana.perez")
    opened = _open(desk, "ana.perez")
    at = logged_in_app("admin.mesa")
    at.switch_page("app_pages/admin_usuarios.py").run()
    at.selectbox(key="adm_pick").select("ana.perez").run()
    next(b for b in at.button if b.label == "Cerrar sus sesiones").click()
    at.run()
    assert not at.exception
    assert _resume(desk, opened.handle, config) is None


def test_the_live_check_of_every_click_finds_what_resume_finds_and_writes_nothing(desk, config, frozen):
    """The live check of every run and every call of a page (users.load_live_actor) answers as resume does — an ended, idle,
    too old session or an inactive user is no user — without writing; resume then says why it ended."""
    make_user(desk, "ana.perez")
    make_user(desk, "luis.gomez")

    make_user(desk, "laura.rios", "advisor", areas=["Servicios Generales", "Gestión Tecnológica"])

    def live(handle):
        with unit_of_work(desk, write=False) as session:
            actor = users.load_live_actor(session=session, handle=handle, config=config)
            return actor and (actor.username, actor.role, len(actor.area_ids))

    assert live(None) is None and live("x" * 65) is None and live("no-such-handle") is None
    ana, luis, laura = _open(desk, "ana.perez"), _open(desk, "luis.gomez"), _open(desk, "laura.rios")
    assert live(ana.handle) == ("ana.perez", "employee", 0) and live(luis.handle) == ("luis.gomez", "employee", 0)
    assert live(laura.handle) == ("laura.rios", "advisor", 2)  # an advisor with her areas
    with unit_of_work(desk, write=False) as session:  # the same person as the login's own reading of her
        assert users.load_live_actor(session=session, handle=laura.handle, config=config) == users.load_actor(
            session=session, username="laura.rios"
        )

    frozen["t"] += timedelta(hours=2, minutes=1)  # both idle longer than the idle timeout
    assert live(ana.handle) is None
    with unit_of_work(desk) as session:
        assert session.get(UserSession, ana.handle).ended_at is None  # the check wrote nothing
    assert _resume(desk, ana.handle, config) is None
    with unit_of_work(desk) as session:
        assert session.get(UserSession, ana.handle).end_reason == "idle"

    fresh = _open(desk, "luis.gomez")
    with unit_of_work(desk) as session:
        users.set_user_active(session=session, actor=users.Actor.system(), username="luis.gomez", active=False)
    assert live(fresh.handle) is None
