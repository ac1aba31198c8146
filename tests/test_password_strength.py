"""Security finding 7: a weak password is refused with its reason in Spanish; strong ones pass."""

import secrets

import pytest

from services import users
from services.db import unit_of_work
from services.errors import ValidationFailed
from services.i18n import EN, ES, t
from services.security import check_password_policy
from tests.conftest import PASSWORD, make_user

ORG_NAME = "Fundación Horizonte"


def _change_password(engine, username, new_password):
    with unit_of_work(engine) as session:
        users.change_password(
            session=session,
            actor=users.load_actor(session=session, username=username),
            current_password=PASSWORD,
            new_password=new_password,
            new_password_repeat=new_password,
        )


def _assert_refused_in_spanish(refused, key):
    assert refused.value.key == key
    assert key in ES and key in EN
    spanish = t(key, "es", **refused.value.params)
    assert spanish != t(key, "en", **refused.value.params)
    assert "clave" in spanish.lower()


@pytest.mark.parametrize(
    ("password", "key"),
    [
        ("aaaaaaaa", "password.weak_repeat"),
        ("22222222", "password.weak_repeat"),
        ("Qwerty12", "password.common"),
        ("mesa1234", "password.like_organization"),
        ("ana.perez1", "password.like_username"),
        ("Horizonte2026", "password.like_organization"),
        ("teamo123", "password.common"),
        ("Colombia2026!", "password.common"),
        ("Perez2024", "password.like_personal"),
        ("perez12345", "password.like_personal"),
        ("Millonarios10", "password.common"),
        ("poiuytre", "password.weak_keyboard"),
    ],
)
def test_a_weak_new_password_is_refused_with_its_reason_in_spanish(desk, monkeypatch, password, key):
    monkeypatch.setenv("MESA_ORG_NAME", ORG_NAME)
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    with pytest.raises(ValidationFailed) as refused:
        _change_password(desk, "ana.perez", password)
    _assert_refused_in_spanish(refused, key)
    assert refused.value.field == "new_password"


def test_an_account_created_with_the_users_own_email_name_is_refused(desk):
    with pytest.raises(ValidationFailed) as refused, unit_of_work(desk) as session:
        users.create_user(
            session=session,
            actor=users.Actor.system(),
            username="luis.gomez",
            full_name="Luis Gómez",
            email="lgtecnologia@example.org",
            role="employee",
            password="Lgtecnologia7",
        )
    _assert_refused_in_spanish(refused, "password.like_personal")


def test_the_setup_refuses_the_organisations_name_as_the_admins_password(engine, monkeypatch):
    monkeypatch.setenv("MESA_ORG_NAME", ORG_NAME)
    with pytest.raises(ValidationFailed) as refused, unit_of_work(engine) as session:
        users.complete_setup(
            session=session,
            username="admin.mesa",
            full_name="Admin Mesa",
            email="admin@example.org",
            password="fundacionhorizonte1",
            password_repeat="fundacionhorizonte1",
            load_demo=False,
        )
    _assert_refused_in_spanish(refused, "password.like_organization")


@pytest.mark.parametrize(
    "password",
    [PASSWORD, "caballo correcto batería grapa", "Nueva-clave-77", "Otra-clave-segura-1", "Mi-clave-propia-5"],
)
def test_a_strong_password_is_accepted(desk, password):
    make_user(desk, "ana.perez", full_name="Ana Pérez", password=password)


def test_generated_passwords_always_pass_the_policy():
    for _ in range(300):
        check_password_policy(
            secrets.token_urlsafe(9),
            username="ana.perez",
            full_name="Ana Pérez",
            email="ana.perez@example.org",
            org_name=ORG_NAME,
        )
        check_password_policy(users.temporary_password(), username="ana.perez", org_name=ORG_NAME)


def test_the_benchmarks_synthetic_password_passes_the_policy():
    from bench.generate import SYNTHETIC_PASSWORD

    check_password_policy(SYNTHETIC_PASSWORD, username="usuario.sintetico", org_name="Mesa de Servicio")


def test_a_long_password_is_checked_quickly():
    import time

    started = time.perf_counter()
    for password in ("a" * 72, "ab" * 36, "1234567890" * 7 + "12", "Qwertyuiop" * 7 + "as"):
        with pytest.raises(ValidationFailed):
            check_password_policy(password, username="ana.perez", org_name=ORG_NAME)
    assert time.perf_counter() - started < 2


def test_the_spanish_list_is_checked_case_insensitively_and_without_trailing_digits_or_symbols():
    for password in ("TEAMO2024", "Contraseña123", "contrasena!!", "Barcelona#1", "Tequiero.2025"):
        with pytest.raises(ValidationFailed) as refused:
            check_password_policy(password, username="ana.perez", org_name=ORG_NAME)
        assert refused.value.key == "password.common"
