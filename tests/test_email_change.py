"""Changing one's e-mail in Mi cuenta: the new address is used only after its owner follows the link sent to it."""

import base64
import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from models import OutboxEmail, User
from services import clock, users
from services.db import unit_of_work
from services.errors import PermissionDenied, ValidationFailed
from tests.conftest import logged_in_app, make_user, texts

OLD = "ana.perez@example.org"
NEW = "ana.nueva@example.org"
LINK = re.compile(r"https://mesa\.example\.test/mi-cuenta\?confirmar_correo=([A-Za-z0-9_\-.]+)")


@pytest.fixture
def ana(desk, monkeypatch):
    monkeypatch.setenv("MESA_APP_URL", "https://mesa.example.test")
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    make_user(desk, "carlos.gomez", full_name="Carlos Gómez")
    return desk


def _actor(engine, username="ana.perez"):
    with unit_of_work(engine, write=False) as session:
        return users.load_actor(session=session, username=username)


def _ask(engine, email, *, full_name="Ana Pérez", username="ana.perez"):
    with unit_of_work(engine) as session:
        return users.update_profile(session=session, actor=_actor(engine, username), full_name=full_name, email=email)


def _confirm(engine, token, username="ana.perez"):
    with unit_of_work(engine) as session:
        return users.confirm_email(session=session, actor=_actor(engine, username), token=token)


def _mails(engine, to_address):
    with unit_of_work(engine, write=False) as session:
        return session.execute(
            sa.select(OutboxEmail.subject, OutboxEmail.body_text, OutboxEmail.body_html)
            .where(OutboxEmail.to_address == to_address)
            .order_by(OutboxEmail.id)
        ).all()


def _latest_token(engine, to_address=NEW):
    return LINK.findall(_mails(engine, to_address)[-1].body_text)[-1]


def _reencoded(payload: str, old: str, new: str) -> str:
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    assert old in raw
    return base64.urlsafe_b64encode(raw.replace(old, new).encode()).decode().rstrip("=")


def _stored(engine, username="ana.perez"):
    with unit_of_work(engine, write=False) as session:
        user = session.scalar(sa.select(User).where(User.username == username))
        return user.email, user.pending_email


def test_a_new_address_waits_for_its_link_and_the_old_one_stays_in_use(ana):
    updated = _ask(ana, f"  {NEW} ", full_name="Ana María Pérez")
    assert (updated.full_name, updated.email, updated.pending_email) == ("Ana María Pérez", OLD, NEW)
    assert _stored(ana) == (OLD, NEW)
    assert _actor(ana).pending_email == NEW


def test_the_new_address_gets_the_link_and_the_old_one_a_notice(ana):
    _ask(ana, NEW)
    [to_new] = _mails(ana, NEW)
    assert LINK.search(to_new.body_text) and LINK.search(to_new.body_html)
    assert OLD not in to_new.body_text  # whoever owns the new address does not learn the old one
    [to_old] = _mails(ana, OLD)
    assert NEW in to_old.body_text and "avise a la mesa" in to_old.body_text
    assert "confirmar_correo" not in to_old.body_text + to_old.body_html


def test_following_the_link_switches_the_address_once(ana):
    _ask(ana, NEW)
    token = _latest_token(ana)
    confirmed = _confirm(ana, token)
    assert (confirmed.email, confirmed.pending_email) == (NEW, None)
    assert _stored(ana) == (NEW, None)
    with pytest.raises(ValidationFailed) as refused:
        _confirm(ana, token)
    assert refused.value.key == "email_change.superseded"
    assert _stored(ana) == (NEW, None)


def test_another_users_link_is_refused_and_changes_nobody(ana):
    _ask(ana, NEW)
    with pytest.raises(PermissionDenied) as refused:
        _confirm(ana, _latest_token(ana), username="carlos.gomez")
    assert refused.value.key == "email_change.not_yours"
    assert _stored(ana) == (OLD, NEW)
    assert _stored(ana, "carlos.gomez") == ("carlos.gomez@example.org", None)


def test_a_link_followed_after_a_day_has_expired(ana, monkeypatch):
    asked_at = datetime(2026, 11, 27, 9, 0)
    monkeypatch.setattr(clock, "now", lambda: asked_at)
    _ask(ana, NEW)
    token = _latest_token(ana)
    monkeypatch.setattr(clock, "now", lambda: asked_at + users.EMAIL_CONFIRMATION_LIFETIME + timedelta(seconds=1))
    with pytest.raises(ValidationFailed) as refused:
        _confirm(ana, token)
    assert refused.value.key == "email_change.expired"
    assert _stored(ana) == (OLD, NEW)


@pytest.mark.parametrize("tamper", ["forged_payload", "cut_signature", "garbage", "empty"])
def test_a_tampered_link_is_refused(ana, tamper):
    _ask(ana, NEW)
    token = _latest_token(ana)
    payload, _, signature = token.partition(".")
    forged = {
        # Another address put into Ana's request, under the signature of the original.
        "forged_payload": f"{_reencoded(payload, NEW, 'mallory@example.org')}.{signature}",
        "cut_signature": f"{payload}.{signature[:-2]}",
        "garbage": "no-es-un-enlace",
        "empty": "",
    }[tamper]
    with pytest.raises(ValidationFailed) as refused:
        _confirm(ana, forged)
    assert refused.value.key == "email_change.invalid"
    assert _stored(ana) == (OLD, NEW)


def test_a_newer_request_voids_the_first_link(ana, monkeypatch):
    _ask(ana, NEW)
    first = _latest_token(ana)
    later = clock.now() + timedelta(minutes=5)
    monkeypatch.setattr(clock, "now", lambda: later)
    _ask(ana, "ana.otra@example.org")
    with pytest.raises(ValidationFailed) as refused:
        _confirm(ana, first)
    assert refused.value.key == "email_change.superseded"
    assert _stored(ana) == (OLD, "ana.otra@example.org")
    assert _confirm(ana, _latest_token(ana, "ana.otra@example.org")).email == "ana.otra@example.org"


def test_setting_the_current_address_again_cancels_the_pending_change(ana):
    _ask(ana, NEW)
    token = _latest_token(ana)
    assert _ask(ana, OLD).pending_email is None
    assert _stored(ana) == (OLD, None)
    with pytest.raises(ValidationFailed):
        _confirm(ana, token)
    assert _stored(ana) == (OLD, None)


def test_saving_the_name_again_keeps_the_pending_request_without_mailing_again(ana):
    _ask(ana, NEW)
    _ask(ana, NEW, full_name="Ana María Pérez")
    assert len(_mails(ana, NEW)) == 1 and len(_mails(ana, OLD)) == 1
    assert _stored(ana) == (OLD, NEW)


def test_the_mails_speak_the_users_language(ana):
    with unit_of_work(ana) as session:
        users.set_language(session=session, actor=_actor(ana), language="en")
    _ask(ana, NEW)
    assert "e-mail" in _mails(ana, NEW)[0].subject.lower()
    assert "let the service desk know" in _mails(ana, OLD)[0].body_text


def _plain(at):
    """The page's text with the Markdown escapes of user text (ana\\.nueva) taken out."""
    return texts(at).replace("\\", "")


def test_mi_cuenta_confirms_the_link_and_shows_the_new_address(ana):
    at = logged_in_app("ana.perez")
    at.switch_page("app_pages/mi_cuenta.py").run()
    fields = {ti.label: ti for ti in at.text_input}
    fields["Correo electrónico"].input(NEW)
    next(b for b in at.button if b.label == "Guardar datos").click()
    at.run()
    assert f"Enviamos un enlace a {NEW}. Hasta que lo siga, la mesa sigue usando {OLD}." in _plain(at)
    assert _stored(ana) == (OLD, NEW)
    at.switch_page("app_pages/mi_cuenta.py").run()
    assert f"Pendiente de confirmar: {NEW}" in _plain(at)
    assert {ti.label: ti for ti in at.text_input}["Correo electrónico"].value == NEW

    at = logged_in_app("ana.perez")
    at.query_params["confirmar_correo"] = _latest_token(ana)
    at.switch_page("app_pages/mi_cuenta.py").run()
    assert not at.exception and not at.error, texts(at)
    assert f"Listo: su correo ahora es {NEW}." in _plain(at)
    assert {ti.label: ti for ti in at.text_input}["Correo electrónico"].value == NEW
    assert "confirmar_correo" not in at.query_params
    assert _stored(ana) == (NEW, None)


def test_mi_cuenta_shows_why_a_link_is_refused(ana):
    _ask(ana, NEW)
    at = logged_in_app("carlos.gomez")
    at.query_params["confirmar_correo"] = _latest_token(ana)
    at.switch_page("app_pages/mi_cuenta.py").run()
    assert "Ese enlace confirma el correo de otra cuenta." in texts(at)
    assert "confirmar_correo" not in at.query_params
    assert _stored(ana) == (OLD, NEW)
