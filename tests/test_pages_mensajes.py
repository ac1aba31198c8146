"""Mensajes in AppTest: the unread count in the menu follows notifications arriving and being read."""

import sqlalchemy as sa

from models import Area
from services.db import unit_of_work
from tests.conftest import logged_in_app, make_user, page_titles, register_case, texts


def _register(engine, tmp_path, username="ana.perez", subject="Sin internet en la sala 3"):
    return register_case(engine, tmp_path, username=username, option="Red e internet", subject=subject)


def test_the_unread_count_changes_when_a_notification_arrives_and_when_it_is_read(desk, tmp_path):
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    make_user(desk, "laura.rios", role="advisor", areas=["Gestión Tecnológica"], full_name="Laura Ríos")
    with unit_of_work(desk) as session:  # a manual queue: new cases wait for the area's advisors
        session.execute(sa.update(Area).values(assignment_mode="manual"))
    at = logged_in_app("laura.rios")
    assert "Mensajes" in page_titles(at)

    number = _register(desk, tmp_path)
    at.run()
    assert "Mensajes (1)" in page_titles(at)
    _register(desk, tmp_path, subject="Otro caso")
    at.run()
    assert "Mensajes (2)" in page_titles(at)

    at.switch_page("app_pages/mensajes.py").run()
    shown = texts(at)
    assert "2 sin leer de 2" in shown
    assert f"Nuevo caso \\#{number} en la cola de Gestión Tecnológica" in shown
    open_buttons = [b for b in at.button if b.label == "Abrir"]
    open_buttons[-1].click().run()  # the oldest: the first case
    assert "Mensajes (1)" in page_titles(at)
    assert f"Caso #{number}" in texts(at) and "Volver a la bandeja" in [b.label for b in at.button]  # its work view

    at.switch_page("app_pages/mensajes.py").run()
    next(b for b in at.button if b.label == "Marcar todas como leídas").click().run()
    assert "Mensajes" in page_titles(at) and not any(t.startswith("Mensajes (") for t in page_titles(at))
    assert "1 notificación marcada como leída." in texts(at)


def test_the_requester_is_told_their_case_was_registered(desk, tmp_path):
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    number = _register(desk, tmp_path)
    at = logged_in_app("ana.perez")
    at.switch_page("app_pages/mensajes.py").run()
    assert f"Su caso \\#{number} fue registrado" in texts(at)
