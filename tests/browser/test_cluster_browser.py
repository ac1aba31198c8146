"""Issue 20, as deployed: deploy/local-cluster.sh starts PostgreSQL, three app processes, two workers and
nginx from deploy/'s own files, and people work through nginx (https, a certificate of its own).

- Two people in their own browsers register cases; an advisor takes and resolves both; every e-mail
  arrives, once.
- The app process serving a person is killed (kill -9) while they fill in the registration form: their
  next action reaches another process through nginx, they are still logged in, and the case is stored
  once or not at all (never half).
- A worker is killed in the middle of a batch: every e-mail still arrives, each Message-ID once.
- PostgreSQL restarts while people work: during the outage they read a Spanish message, not a
  traceback; afterwards the desk serves again.
"""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from models import Case, CaseEvent, OutboxEmail, ServiceOption
from models.enums import OutboxStatus
from services import cases, catalogue, users
from services.cases import Uploads
from services.db import make_engine, unit_of_work
from services.errors import Unavailable
from services.storage import Storage
from services.users import Actor
from tests.browser.conftest import _free_port, go_to, settle
from tests.browser.test_journeys import enter, open_in_inbox, resolve
from tests.conftest import ROOT, make_user
from tests.smtp import SmtpServer

SCRIPT = ROOT / "deploy" / "local-cluster.sh"
GT = "Gestión Tecnológica"


class Cluster:
    def __init__(self, folder: Path, smtp: SmtpServer):
        self.folder, self.smtp = folder, smtp
        self.https, self.http, self.pg = _free_port(), _free_port(), _free_port()
        self.apps = [_free_port() for _ in range(3)]
        self.url = f"https://127.0.0.1:{self.https}"
        self.database_url = f"postgresql+psycopg://mesa@127.0.0.1:{self.pg}/mesa"

    def run(self, action: str, timeout: float = 180) -> str:
        ports = ["--https-port", str(self.https), "--http-port", str(self.http), "--pg-port", str(self.pg)]
        env = {
            **os.environ,
            "MESA_SMTP_HOST": "127.0.0.1",
            "MESA_SMTP_PORT": str(self.smtp.port),
            "MESA_ORG_NAME": "Comfanorte",
        }
        done = subprocess.run(
            [
                "bash",
                str(SCRIPT),
                action,
                "--dir",
                str(self.folder),
                *ports,
                "--app-ports",
                ",".join(map(str, self.apps)),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def child(self, name: str) -> int:
        return int((self.folder / "pids" / f"{name}.child").read_text())

    def serving_app(self) -> int | None:
        """The app port nginx holds a connection to (one browser: one WebSocket, one process), if any."""
        established = subprocess.run(["ss", "-Htn", "state", "established"], capture_output=True, text=True).stdout
        counts = {port: established.count(f"127.0.0.1:{port} ") for port in self.apps}
        port = max(counts, key=counts.get)
        return port if counts[port] else None

    def reconnected_away_from(self, port: int, timeout: float = 30) -> int:
        """The browser's WebSocket, back through nginx on another process (what the browser does on its own
        once the one it used is gone)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            now = self.serving_app()
            if now not in (None, port):
                return now
            time.sleep(0.1)
        raise AssertionError(f"the browser did not reconnect to another process than {port}")

    def postgres(self, action: str) -> None:
        bin_dir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(
            [
                *as_postgres,
                str(bin_dir / "pg_ctl"),
                "-D",
                str(self.folder / "pg" / "data"),
                "-m",
                "fast",
                "-w",
                "-l",
                str(self.folder / "logs" / "postgres.log"),
                "-o",
                f"-p {self.pg} -c listen_addresses=127.0.0.1 -k {self.folder / 'pg'}",
                action,
            ],
            check=True,
            capture_output=True,
        )


@pytest.fixture(scope="module")
def cluster(chromium):
    smtp = SmtpServer().start()
    folder = Path(tempfile.mkdtemp(prefix="mesa-cluster-"))  # under /tmp: the postgres user passes through
    cluster = Cluster(folder, smtp)
    try:
        cluster.run("up")
        cluster.engine = make_engine(cluster.database_url)
        make_user(cluster.engine, "maria.lopez", full_name="María López")
        make_user(cluster.engine, "pablo.ortiz", full_name="Pablo Ortiz")
        make_user(cluster.engine, "sofia.rueda", "advisor", areas=[GT], full_name="Sofía Rueda")
        # Each later test's own person: María's resolved case greets her with its survey.
        make_user(cluster.engine, "lucia.mejia", full_name="Lucía Mejía")
        make_user(cluster.engine, "tomas.vera", full_name="Tomás Vera")
        with unit_of_work(cluster.engine) as session:
            area = next(a for a in catalogue.list_areas(session=session) if a.name == GT)
            catalogue.set_assignment_mode(session=session, actor=Actor.system(), area_id=area.id, mode="manual")
        yield cluster
    finally:
        subprocess.run(["bash", str(SCRIPT), "down", "--dir", str(folder)], capture_output=True, timeout=60)
        if getattr(cluster, "engine", None) is not None:
            cluster.engine.dispose()
        smtp.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def person(chromium, request):
    """A browser of its own (cookies, storage) that accepts the cluster's own certificate."""
    contexts = []

    def new_tab():
        context = chromium.new_context(
            viewport={"width": 1280, "height": 900}, locale="es-CO", ignore_https_errors=True
        )
        contexts.append(context)
        tab = context.new_page()
        tab.set_default_timeout(30_000)
        return tab

    yield new_tab
    for context in contexts:
        context.close()


def register(tab, subject: str) -> str:
    """Registrar un Caso through the form; the number the dialog gives."""
    go_to(tab, "Mesa de Servicio", "Registrar un Caso")
    fill_form(tab, subject)
    return send(tab)


def fill_form(tab, subject: str) -> None:
    tab.get_by_role("button", name=GT).click()
    settle(tab)
    tab.get_by_text("Impresoras", exact=True).click()
    settle(tab)
    tab.get_by_role("textbox", name="Asunto *").fill(subject)
    tab.get_by_role("textbox", name="Describa lo que pasó *").fill(f"{subject}: no funciona desde esta mañana.")
    settle(tab)


def send(tab) -> str:
    tab.get_by_role("button", name="Enviar caso").click()
    found = tab.get_by_role("dialog").get_by_text(re.compile(r"Su caso fue registrado con el número \d+"))
    found.wait_for()
    return re.search(r"\d+", found.inner_text()).group(0)


def outbox_settled(engine, timeout: float = 120) -> None:
    """Until the workers have sent every e-mail (none pending or being sent)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with unit_of_work(engine, write=False) as session:
            waiting = session.scalar(
                sa.select(sa.func.count())
                .select_from(OutboxEmail)
                .where(OutboxEmail.status.in_(("pending", "sending")))
            )
        if not waiting:
            return
        time.sleep(0.5)
    raise AssertionError(f"{waiting} e-mails still waiting")


def stored_count(engine, subject: str) -> int:
    with unit_of_work(engine, write=False) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(Case).where(Case.subject == subject))


def received(smtp: SmtpServer, address: str, subject_part: str) -> int:
    return sum(1 for m in smtp.to(address) if subject_part in m.subject)


def test_two_people_register_an_advisor_resolves_and_each_email_arrives_once(cluster, person):
    maria, pablo, sofia = person(), person(), person()
    enter(maria, cluster.url, "maria.lopez", "María López")
    enter(pablo, cluster.url, "pablo.ortiz", "Pablo Ortiz")
    first = register(maria, "Impresora del piso 3 atascada")
    second = register(pablo, "Impresora de recepción sin tóner")
    assert first != second

    enter(sofia, cluster.url, "sofia.rueda", "Sofía Rueda")
    for number in (first, second):
        open_in_inbox(sofia, number)
        settle(sofia)
        sofia.get_by_role("button", name="Tomar").click()
        sofia.get_by_text("El caso quedó asignado a usted.").wait_for()
        resolve(sofia, f"Se revisó la impresora del caso {number}.")
        sofia.get_by_role("button", name="Volver a la bandeja").click()
        settle(sofia)

    outbox_settled(cluster.engine)
    for address, number in (("maria.lopez@example.org", first), ("pablo.ortiz@example.org", second)):
        assert received(cluster.smtp, address, f"[Caso #{number}] Caso registrado") == 1
        assert received(cluster.smtp, address, f"[Caso #{number}] Caso resuelto") == 1
    message_ids = [m.message["Message-ID"] for m in cluster.smtp.received]
    assert len(message_ids) == len(set(message_ids))


def test_the_process_serving_a_person_dies_mid_form_and_the_next_action_reaches_another(cluster, person):
    tab = person()
    enter(tab, cluster.url, "lucia.mejia", "Lucía Mejía")
    go_to(tab, "Mesa de Servicio", "Registrar un Caso")
    subject = "Monitor que parpadea en contabilidad"
    fill_form(tab, subject)
    port = cluster.serving_app()
    killed = cluster.child(f"app-{port}")
    os.kill(killed, signal.SIGKILL)
    cluster.reconnected_away_from(port)

    # Her next action, Enviar caso, reaches the new process: a new session there, which takes up her form
    # (the area from the address, the fields from what the browser sends back) and tells her so; the
    # click itself belonged to the page the dead process drew, so nothing is sent until she checks it.
    tab.get_by_role("button", name="Enviar caso").click()
    expect(tab.get_by_text("Se restableció la conexión con la mesa.", exact=False)).to_be_visible()
    expect(tab.get_by_test_id("stTopNavSection").filter(has_text="Lucía Mejía")).to_be_visible()  # still logged in
    assert tab.get_by_role("textbox", name="Asunto *").input_value() == subject
    assert stored_count(cluster.engine, subject) == 0
    settle(tab)
    send(tab)
    assert stored_count(cluster.engine, subject) == 1  # once, whole
    with unit_of_work(cluster.engine, write=False) as session:
        case = session.scalar(sa.select(Case).where(Case.subject == subject))
    assert case.description == f"{subject}: no funciona desde esta mañana."
    # And the dead process is back, as Restart=always brings it (the supervisor started it again).
    deadline = time.monotonic() + 60
    while cluster.child(f"app-{port}") == killed and time.monotonic() < deadline:
        time.sleep(0.25)
    assert cluster.child(f"app-{port}") != killed


def test_a_worker_killed_mid_batch_leaves_no_email_unsent_and_sends_none_twice(cluster):
    """Two workers share the outbox; both die (kill -9) with a batch claimed. Its claim lapses after the
    lease (a minute), the restarted workers send those e-mails, each with the Message-ID stored before
    the first attempt. A message the SMTP server had already taken when its worker died, before its
    "sent" was written, would go again with that same Message-ID (mail clients show one): at-least-once
    is all SMTP allows. So the workers die at a moment this test makes sure of, not at a moment a pause
    makes likely: the server lets two e-mails in and holds the next sender at MAIL FROM, and the kill
    waits until a sender is held there, none is past it, and every e-mail that arrived is recorded sent."""
    with unit_of_work(cluster.engine, write=False) as session:
        mark = session.scalar(sa.select(sa.func.coalesce(sa.func.max(OutboxEmail.id), 0)))
    cluster.smtp.hold(after=2)
    try:
        numbers = [register_by_service(cluster.engine, "tomas.vera", f"Silla rota número {i}") for i in range(12)]
        with unit_of_work(cluster.engine, write=False) as session:
            expected = set(session.scalars(sa.select(OutboxEmail.message_id).where(OutboxEmail.id > mark)))
        assert len(expected) >= len(numbers)

        def arrived() -> set[str]:
            return {m.message["Message-ID"] for m in cluster.smtp.received} & expected

        def recorded_sent() -> set[str]:
            with unit_of_work(cluster.engine, write=False) as session:
                return set(
                    session.scalars(
                        sa.select(OutboxEmail.message_id).where(
                            OutboxEmail.id > mark, OutboxEmail.status == OutboxStatus.SENT
                        )
                    )
                )

        deadline = time.monotonic() + 60
        while not (cluster.smtp.held and not cluster.smtp.in_flight and arrived() <= recorded_sent()):
            assert time.monotonic() < deadline, "no sender reached the held MAIL FROM"
            time.sleep(0.05)
        with unit_of_work(cluster.engine, write=False) as session:
            claimed = session.scalar(
                sa.select(sa.func.count()).select_from(OutboxEmail).where(OutboxEmail.status == OutboxStatus.SENDING)
            )
        assert claimed, "no batch was being sent"
        sent_before = arrived()
        os.kill(cluster.child("worker-1"), signal.SIGKILL)
        os.kill(cluster.child("worker-2"), signal.SIGKILL)  # both: whichever held the batch dies with it
    finally:
        cluster.smtp.release()
    assert sent_before != expected  # they died before the last e-mail
    outbox_settled(cluster.engine, timeout=180)
    delivered = [m.message["Message-ID"] for m in cluster.smtp.received if m.message["Message-ID"] in expected]
    assert set(delivered) == expected  # every one arrived
    assert len(delivered) == len(expected), sorted(delivered)  # and none twice


def test_postgresql_restarts_while_people_work_and_they_read_why_not_a_traceback(cluster, person):
    tab = person()
    enter(tab, cluster.url, "tomas.vera", "Tomás Vera")
    go_to(tab, "Mesa de Servicio", "Verificar mis Casos")
    writes = Writer(cluster.engine, "tomas.vera").start()
    try:
        cluster.postgres("stop")
        go_to_anyway(tab, "Mesa de Servicio", "Registrar un Caso")
        expect(tab.get_by_text("La base de datos no responde en este momento", exact=False)).to_be_visible()
        assert tab.get_by_test_id("stException").count() == 0 and "Traceback" not in tab.content()
        cluster.postgres("start")
        go_to(tab, "Mesa de Servicio", "Verificar mis Casos")
        expect(tab.get_by_role("heading", name="Verificar mis Casos")).to_be_visible()
        expect(tab.get_by_text("La base de datos no responde en este momento", exact=False)).to_have_count(0)
    finally:
        writes.stop()
    # The writes went on around the outage: each case either stored whole or refused in words, none half.
    assert writes.stored and writes.refused
    with unit_of_work(cluster.engine, write=False) as session:
        for number in writes.stored:
            case = session.scalar(sa.select(Case).where(Case.number == int(number)))
            assert case is not None and case.due_at is not None
        events = session.scalar(
            sa.select(sa.func.count())
            .select_from(CaseEvent)
            .where(
                CaseEvent.kind == "registered",
                CaseEvent.case_id.in_(sa.select(Case.id).where(Case.subject.like("Carga %"))),
            )
        )
        cases = session.scalar(sa.select(sa.func.count()).select_from(Case).where(Case.subject.like("Carga %")))
    assert events == cases == len(writes.stored)


class Writer(threading.Thread):
    """A person registering a case after another through the services while the database restarts."""

    def __init__(self, engine, username: str):
        super().__init__(daemon=True)
        self.engine, self.username = engine, username
        self.stored: list[int] = []
        self.refused = 0
        self.stopping = threading.Event()

    def start(self):
        super().start()
        return self

    def run(self):
        while not self.stopping.is_set():
            try:
                self.stored.append(register_by_service(self.engine, self.username, f"Carga {len(self.stored)}"))
            except Unavailable:
                self.refused += 1
                time.sleep(0.2)

    def stop(self):
        self.stopping.set()
        self.join(30)


def register_by_service(engine, username: str, subject: str) -> int:
    with unit_of_work(engine) as session:
        option = session.scalar(sa.select(ServiceOption.id).where(ServiceOption.name == "Impresoras"))
        return cases.register_case(
            session=session,
            actor=users.load_actor(session=session, username=username),
            uploads=Uploads(Storage(Path(tempfile.gettempdir()) / "mesa-cluster-files"), 5),
            option_id=option,
            subject=subject,
            description="Registrado mientras la base se reinicia.",
        ).number


def go_to_anyway(tab, section: str, item: str) -> None:
    """The menu, as a person clicks it, without waiting for the page to come out right."""
    tab.get_by_test_id("stTopNavSection").filter(has_text=section).click()
    tab.get_by_role("menuitem", name=item).click()
