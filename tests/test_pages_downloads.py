"""Downloads are made when the button is clicked, in a thread of Streamlit's own: through the same check of
the tab's session as every other action, so a session ended since the page was drawn gets nothing."""

import pytest
import sqlalchemy as sa
from streamlit.runtime.media_file_manager import MediaFileManager

from models import ServiceOption
from services import cases, sessions, settings, users
from services.cases import NewFile, Uploads
from services.db import unit_of_work
from services.errors import PermissionDenied
from services.storage import Storage
from tests.conftest import logged_in_app, make_user


@pytest.fixture
def downloads(monkeypatch):
    """The data callables the page's download buttons left for later, by file name."""
    made = {}
    register = MediaFileManager.add_deferred

    def keep(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        made[file_name] = data_callable
        return register(self, data_callable, mimetype, coordinates, file_name=file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", keep)
    return made


def _end_session(engine, handle):
    with unit_of_work(engine) as session:
        sessions.end(session=session, handle=handle, reason="logout")


def test_an_attachment_downloads_while_the_session_lives_and_not_after_a_logout_elsewhere(desk, downloads):
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    with unit_of_work(desk) as session:
        cases.register_case(
            session=session,
            actor=users.load_actor(session=session, username="ana.perez"),
            uploads=Uploads(Storage(settings.current().storage_dir), 5),
            option_id=session.scalar(sa.select(ServiceOption.id).where(ServiceOption.name == "Impresoras")),
            subject="Impresora",
            description="No imprime",
            files=[NewFile("nota.txt", b"Detalles\n", "Nota")],
        )
    at = logged_in_app("ana.perez")
    at.switch_page("app_pages/verificar.py")
    at.query_params["caso"] = "1"
    at.run()

    assert downloads["nota.txt"]() == b"Detalles\n"
    _end_session(desk, at.session_state["mesa_session"])
    with pytest.raises(PermissionDenied) as refused:
        downloads["nota.txt"]()
    assert refused.value.key == "login.session_ended"


def test_the_satisfaction_export_is_refused_once_the_managers_session_has_ended(desk, downloads):
    make_user(desk, "marta.luna", role="manager")
    at = logged_in_app("marta.luna")
    at.switch_page("app_pages/satisfaccion.py").run()

    assert downloads["satisfaccion.csv"]()
    _end_session(desk, at.session_state["mesa_session"])
    for name in ("satisfaccion.csv", "satisfaccion.xlsx"):
        with pytest.raises(PermissionDenied):
            downloads[name]()
