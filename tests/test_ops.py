"""The desk's health as a load balancer (GET /_mesa/salud) and a monitor (`cli.py status`) read it: the database,
the data folder and the outbox, told apart, never a traceback and never a secret."""

import json
import os
import subprocess
import tempfile
import urllib.error
import urllib.request
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from cli import main
from models import OutboxEmail
from models.enums import OutboxStatus
from services import clock, ops, outbox
from services.db import unit_of_work
from services.settings import load_settings
from tests.browser.conftest import LiveApp

SECRET = "clave-que-nadie-debe-ver"


def _queue_email(engine) -> int:
    with unit_of_work(engine) as session:
        outbox.enqueue(
            session=session, to_address="ana@example.org", subject="Caso 1", body_text="Hola", body_html="<p>Hola</p>"
        )
    with unit_of_work(engine, write=False) as session:
        return session.scalar(sa.select(sa.func.max(OutboxEmail.id)))


def _set(engine, email_id: int, **values) -> None:
    """A direct UPDATE: the outbox as it would be after time passed and attempts failed."""
    if not values:
        return
    with unit_of_work(engine) as session:
        session.execute(sa.update(OutboxEmail).where(OutboxEmail.id == email_id).values(**values))


def _writable(folder: Path) -> bool:
    try:
        tempfile.TemporaryFile(dir=folder).close()
    except OSError:
        return False
    return True


@contextmanager
def read_only(folder: Path):
    """The folder refuses new files, even to root (who ignores permission bits: then the immutable flag)."""
    os.chmod(folder, 0o500)
    immutable = _writable(folder) and subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0
    try:
        if _writable(folder):
            pytest.skip("this machine cannot make a folder read-only for this user")
        yield folder
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        os.chmod(folder, 0o700)


def test_a_fresh_desk_is_healthy_and_status_exits_0(desk, capsys):
    health = ops.health(desk, load_settings())
    assert health.status == ops.OK
    assert health.database.status == ops.OK and health.database.latency_ms is not None
    assert health.data_folder == ops.FolderCheck(ops.OK)
    assert health.outbox == ops.OutboxCheck(
        ops.OK, pending=0, oldest_pending_seconds=None, retrying=0, failed_last_hour=0
    )
    assert main(["status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Base de datos: bien (") and lines[0].endswith(" ms)")
    assert lines[1:] == [
        "Carpeta de datos: bien",
        "Correo saliente: bien — 0 pendientes; 0 en reintento; 0 fallidos en la última hora",
        "Estado de la mesa: bien",
    ]


OUTBOX_STATES = {
    "a new e-mail waits a moment": ({}, ops.OK),
    "an e-mail written 20 minutes ago still waits": ({"created_at": timedelta(minutes=-20)}, ops.DEGRADED),
    "an e-mail waits for a retry after a failed attempt": (
        {"attempts": 1, "last_error": "SMTPServerDisconnected", "next_attempt_at": timedelta(minutes=1)},
        ops.DEGRADED,
    ),
    "an e-mail was given up in the last hour": (
        {"status": OutboxStatus.FAILED, "attempts": 7, "next_attempt_at": timedelta(minutes=-10)},
        ops.DEGRADED,
    ),
    "an e-mail given up yesterday is the administrators' list, not a fault now": (
        {"status": OutboxStatus.FAILED, "attempts": 7, "next_attempt_at": timedelta(days=-1)},
        ops.OK,
    ),
    "an e-mail sent long ago": (
        {"status": OutboxStatus.SENT, "created_at": timedelta(days=-2), "sent_at": timedelta(days=-2)},
        ops.OK,
    ),
}


@pytest.mark.parametrize(("change", "expected"), OUTBOX_STATES.values(), ids=OUTBOX_STATES.keys())
def test_the_outbox_is_degraded_when_mail_is_stuck_or_failing(desk, change, expected):
    email = _queue_email(desk)
    now = clock.now()
    _set(desk, email, **{k: now + v if isinstance(v, timedelta) else v for k, v in change.items()})
    health = ops.health(desk, load_settings())
    assert (health.outbox.status, health.status) == (expected, expected)
    assert main(["status"]) == {ops.OK: 0, ops.DEGRADED: 1}[expected]


def test_the_outbox_reports_its_depth_and_the_age_of_the_oldest_waiting_email(desk, capsys):
    first, _second = _queue_email(desk), _queue_email(desk)
    _set(desk, first, created_at=clock.now() - timedelta(minutes=20))
    mail = ops.health(desk, load_settings()).outbox
    assert (mail.pending, mail.retrying, mail.failed_last_hour) == (2, 0, 0)
    assert 20 * 60 <= mail.oldest_pending_seconds < 21 * 60
    assert main(["status"]) == 1
    assert capsys.readouterr().out.splitlines()[2:] == [
        "Correo saliente: con problemas — 2 pendientes, el más antiguo de hace 20 min; 0 en reintento; "
        "0 fallidos en la última hora",
        "Estado de la mesa: con problemas",
    ]


def test_a_data_folder_that_takes_no_file_is_down(desk, data_dir, capsys):
    with read_only(data_dir):
        health = ops.health(desk, load_settings())
        assert main(["status"]) == 2
    assert health.data_folder == ops.FolderCheck(ops.DOWN, "PermissionError")
    assert health.status == ops.DOWN
    assert "Carpeta de datos: sin servicio (PermissionError)" in capsys.readouterr().out


def test_an_attachments_folder_that_takes_no_file_is_down(desk):
    config = load_settings()
    config.storage_dir.mkdir()
    with read_only(config.storage_dir):
        assert ops.health(desk, config).data_folder.status == ops.DOWN


NOWHERE = {
    "a PostgreSQL port nobody listens on": f"postgresql+psycopg://mesa:{SECRET}@127.0.0.1:1/mesa",
    "a SQLite file in a folder that does not exist": "sqlite:///{missing}/mesa.db",
}


@pytest.mark.parametrize("url", NOWHERE.values(), ids=NOWHERE.keys())
def test_a_database_that_does_not_answer_is_down_named_by_its_error_class_only(data_dir, monkeypatch, capsys, url):
    missing = data_dir / "no-existe"
    monkeypatch.setenv("MESA_DATABASE_URL", url.format(missing=missing))
    health = ops.check(load_settings())
    assert health.status == ops.DOWN
    assert health.database == ops.DatabaseCheck(ops.DOWN, None, "OperationalError")
    assert health.outbox.status == ops.DOWN
    assert main(["status", "--json"]) == 2
    answer = capsys.readouterr().out
    assert json.loads(answer) == {**health.as_dict(), "checked_at": json.loads(answer)["checked_at"]}
    assert SECRET not in answer and str(data_dir) not in answer
    assert not missing.exists()  # a status looks; it creates no database


def _get(url: str):
    """(status, headers, JSON body) of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.headers, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, refused.headers, json.loads(refused.read())


def test_the_health_route_answers_200_while_the_desk_serves_and_503_when_it_cannot(desk, database_url, data_dir):
    app = LiveApp(data_dir, database_url).start()
    try:
        status, headers, body = _get(app.url + ops.HEALTH_ROUTE)
        assert (status, body["status"], body["database"]["status"]) == (200, ops.OK, ops.OK)
        assert headers["Cache-Control"] == "no-store" and headers["Content-Type"] == "application/json"
        assert body["outbox"]["pending"] == 0
        with read_only(data_dir):
            status, headers, body = _get(app.url + ops.HEALTH_ROUTE)
        assert (status, body["status"], body["data_folder"]) == (
            503,
            ops.DOWN,
            {"status": ops.DOWN, "error": "PermissionError"},
        )
        assert headers["Cache-Control"] == "no-store"
        assert str(data_dir) not in json.dumps(body)
    finally:
        app.stop()
