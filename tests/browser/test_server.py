"""server.py as started by the README: e-mail flows from the server's start, and its cookie routes refuse
anything but a fresh login's grant."""

import json
import time
import urllib.error
import urllib.request

import pytest

from services import outbox
from services.db import unit_of_work
from tests.browser.conftest import LiveApp
from tests.conftest import drop_database, new_database
from tests.smtp import SmtpServer


@pytest.fixture
def mail_waiting_desk(tmp_path, migrated_template):
    """A desk with an e-mail queued while its server was down, and an SMTP server that is up."""
    smtp = SmtpServer().start()
    folder = tmp_path / "desk"
    folder.mkdir()
    app = LiveApp(
        folder,
        new_database(migrated_template, folder),
        {"MESA_SMTP_HOST": "127.0.0.1", "MESA_SMTP_PORT": str(smtp.port)},
    )
    with unit_of_work(app.engine) as session:
        outbox.enqueue(
            session=session,
            to_address="ana@example.org",
            subject="Pendiente desde antes del reinicio",
            body_text="Hola",
            body_html="<p>Hola</p>",
        )
    yield app, smtp
    app.stop()
    smtp.stop()
    drop_database(app.database_url)


def test_mail_queued_before_a_restart_leaves_without_anyone_opening_the_desk(mail_waiting_desk):
    app, smtp = mail_waiting_desk
    app.start()  # and no browser ever connects
    deadline = time.monotonic() + 30
    while not smtp.to("ana@example.org") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [m.subject for m in smtp.to("ana@example.org")] == ["Pendiente desde antes del reinicio"]


def _post(url, body, headers):
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.headers.get_all("Set-Cookie") or []
    except urllib.error.HTTPError as refused:
        return refused.code, refused.headers.get_all("Set-Cookie") or []


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ({"grant": "x" * 43}, {"X-Mesa-Desk": "1"}),  # a grant nobody was given
        ({"grant": "x" * 43}, {}),  # and without the desk's header (a cross-site form cannot add it)
        ({"grant": ["no"]}, {"X-Mesa-Desk": "1"}),
        ({}, {"X-Mesa-Desk": "1"}),
    ],
)
def test_the_cookie_route_gives_nothing_for_a_made_up_grant(live_app, body, headers):
    status, cookies = _post(live_app.url + "/_mesa/sesion", body, headers)
    assert status == 403 and not cookies
