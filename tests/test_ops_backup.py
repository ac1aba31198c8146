"""Backups taken while people keep registering cases, restored into an empty database and data folder: the
manifest holds and every case and attachment opens for its requester. A damaged backup, or a target that already
has a desk, is refused and nothing changes."""

import hashlib
import json
import threading
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from cli import main
from models import Case, ServiceOption, User
from services import cases, ops, settings, users
from services.cases import NewFile, Uploads
from services.db import make_engine, unit_of_work
from services.settings import load_settings
from services.storage import Storage
from tests.conftest import ON_POSTGRES, _admin_execute, _server_url, drop_database, make_user, new_database

PEOPLE = ("ana.perez", "carlos.gomez")
# The same file attached to many cases is stored once (content-addressed) and backed up once.
POLICY = NewFile("politica.txt", "Política de préstamo de equipos".encode())


def _register(engine, storage: Storage, username: str, n: int) -> int:
    with unit_of_work(engine) as session:
        option_id = session.scalar(sa.select(ServiceOption.id).where(ServiceOption.name == "Impresoras"))
        return cases.register_case(
            session=session,
            actor=users.load_actor(session=session, username=username),
            uploads=Uploads(storage, 5),
            option_id=option_id,
            subject=f"Impresora {n}",
            description=f"La impresora {n} no imprime.",
            files=[NewFile(f"nota-{n}.txt", f"nota {n} de {username}".encode()), POLICY],
        ).number


class WriteLoad(threading.Thread):
    """People registering cases with files, one after another, until stopped."""

    def __init__(self, engine, storage: Storage, first: int, pause: float = 0.0):
        super().__init__(daemon=True)
        self.engine, self.storage, self.next, self.pause = engine, storage, first, pause
        self.stopping = threading.Event()
        self.registered = 0
        self.errors: list[BaseException] = []

    def run(self):
        while not self.stopping.is_set():
            try:
                _register(self.engine, self.storage, PEOPLE[self.next % 2], self.next)
            except BaseException as exc:  # noqa: BLE001 - the test reads them
                self.errors.append(exc)
                return
            self.next += 1
            self.registered += 1
            self.stopping.wait(self.pause)  # a person's moment between one case and the next

    def wait_for(self, count: int, timeout: float = 20) -> None:
        deadline = threading.Event()
        timer = threading.Timer(timeout, deadline.set)
        timer.start()
        while self.registered < count and not deadline.is_set() and not self.errors:
            deadline.wait(0.02)
        timer.cancel()
        assert self.registered >= count and not self.errors, self.errors

    def stop(self) -> None:
        self.stopping.set()
        self.join(30)
        assert not self.errors, self.errors


@pytest.fixture
def people(desk):
    for username in PEOPLE:
        make_user(desk, username)
    return desk


@pytest.fixture
def storage(data_dir):
    return Storage(load_settings().storage_dir)


@pytest.fixture
def backup_folder(people, storage, tmp_path):
    """A backup of a desk with two cases and their files, taken with `cli.py backup`."""
    for n, username in enumerate(PEOPLE):
        _register(people, storage, username, n)
    folder = tmp_path / "copia"
    assert main(["backup", str(folder)]) == 0
    return folder


@pytest.fixture
def new_desk_place(tmp_path, monkeypatch, migrated_template):
    """Point the desk at a new data folder and a new database: `empty` (nothing at all) or `migrated` (the schema
    of `cli.py migrate`, no rows). Returns (url, data folder)."""
    made = []

    def place(kind: str) -> tuple[str, Path]:
        folder = tmp_path / f"destino-{len(made)}"
        folder.mkdir()
        if kind == "migrated":
            url = new_database(migrated_template, folder)
        elif ON_POSTGRES:
            name = f"mesa_test_{uuid.uuid4().hex[:12]}"
            _admin_execute(f"CREATE DATABASE {name}")
            url = _server_url(name)
        else:
            url = f"sqlite:///{folder / 'mesa.db'}"
        made.append(url)
        monkeypatch.setenv("MESA_DATA_DIR", str(folder))
        monkeypatch.setenv("MESA_DATABASE_URL", url)
        return url, folder

    yield place
    for url in made:
        drop_database(url)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _opened_by_requesters(engine, storage: Storage) -> dict[int, tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """Every case as its requester opens it: {number: (subject, file names, SHA-256 of the bytes read)}."""
    seen = {}
    with unit_of_work(engine, write=False) as session:
        owners = session.execute(sa.select(Case.number, User.username).join(User, Case.requester_id == User.id))
        for number, username in owners.all():
            actor = users.load_actor(session=session, username=username)
            detail = cases.get_case(session=session, actor=actor, number=number)
            files = [
                cases.read_attachment(session=session, actor=actor, storage=storage, attachment_id=a.id)
                for a in detail.attachments
            ]
            seen[number] = (detail.subject, tuple(f[0] for f in files), tuple(_sha256(f[2]) for f in files))
    return seen


def _table_names(url: str) -> list[str]:
    if url.startswith("sqlite") and not Path(sa.engine.make_url(url).database).exists():
        return []
    engine = make_engine(url)
    try:
        return sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_a_backup_taken_under_a_write_load_restores_into_an_empty_desk_that_opens_every_case_and_file(
    people, storage, tmp_path, new_desk_place, capsys
):
    for n in range(3):
        _register(people, storage, PEOPLE[n % 2], n)
    # Twenty people registering at once, each their own thread, while the backup runs.
    loads = [WriteLoad(people, storage, first=3 + 1000 * (i + 1), pause=0.2) for i in range(20)]
    for load in loads:
        load.start()

    def total() -> int:
        return sum(load.registered for load in loads)

    def wait_for_total(count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while total() < count and time.monotonic() < deadline and not any(load.errors for load in loads):
            time.sleep(0.02)
        assert total() >= count, [load.errors for load in loads if load.errors]

    wait_for_total(20)
    before = total()
    folder = tmp_path / "copia"
    assert main(["backup", str(folder)]) == 0
    wait_for_total(total() + 5)  # the desk keeps working after the snapshot
    for load in loads:
        load.stop()
    after = sum(load.registered for load in loads)
    backup_output = capsys.readouterr().out
    assert "Copia completa en" in backup_output

    manifest = ops.read_manifest(folder)
    in_snapshot = manifest["row_counts"]["cases"]
    assert 3 + before <= in_snapshot < 3 + after
    assert manifest["row_counts"]["attachments"] == 2 * in_snapshot
    assert manifest["missing_attachments"] == []
    for entry in manifest["attachments"]:
        data = (folder / "attachments" / entry["path"]).read_bytes()
        assert (len(data), _sha256(data), Path(entry["path"]).name) == (entry["size"], entry["sha256"], entry["sha256"])
    source = _opened_by_requesters(people, storage)

    url, data_folder = new_desk_place("empty")
    assert main(["restore", str(folder)]) == 0
    assert "Restauración verificada" in capsys.readouterr().out
    restored_engine = make_engine(url)
    try:
        restored = _opened_by_requesters(restored_engine, Storage(data_folder / "attachments"))
    finally:
        restored_engine.dispose()
    assert len(restored) == in_snapshot
    assert restored == {number: source[number] for number in restored}
    assert all(len(files) == 2 for _subject, files, _hashes in restored.values())


def test_a_backup_restores_into_a_migrated_empty_database_and_refuses_one_with_people_unless_forced(
    backup_folder, new_desk_place, capsys
):
    url, _folder = new_desk_place("migrated")
    engine = make_engine(url)
    make_user(engine, "alguien.mas")
    engine.dispose()  # the desk is stopped while it is restored
    assert main(["restore", str(backup_folder)]) == 1
    assert "ya tiene datos (1 usuarios, 0 casos)" in capsys.readouterr().err
    assert main(["restore", str(backup_folder), "--force"]) == 0
    engine = make_engine(url)
    try:
        with unit_of_work(engine, write=False) as session:
            assert session.scalar(sa.select(sa.func.count()).select_from(Case)) == 2
            assert session.scalar(sa.select(User.id).where(User.username == "alguien.mas")) is None
    finally:
        engine.dispose()


def test_a_restore_into_the_running_desk_is_refused_and_changes_nothing(backup_folder, people, storage, capsys):
    _register(people, storage, "ana.perez", 10)
    assert main(["restore", str(backup_folder)]) == 1
    assert "ya tiene datos" in capsys.readouterr().err
    with unit_of_work(people, write=False) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Case)) == 3


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _edit_manifest(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["row_counts"]["cases"] += 1
    (folder / "manifest.json").write_text(json.dumps(manifest))


def _first_attachment(folder: Path) -> Path:
    return next(p for p in sorted((folder / "attachments").rglob("*")) if p.is_file())


DAMAGE = {
    "an attachment's bytes changed": lambda folder: _flip_a_byte(_first_attachment(folder)),
    "an attachment is gone": lambda folder: _first_attachment(folder).unlink(),
    "the database file changed": lambda folder: _flip_a_byte(next(folder.glob("mesa.d*"))),
    "a row count in the manifest changed": _edit_manifest,
    "the manifest is gone (an unfinished backup)": lambda folder: (folder / "manifest.json").unlink(),
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_damaged_backup_is_refused_and_nothing_is_restored(backup_folder, new_desk_place, capsys, damage):
    damage(backup_folder)
    url, data_folder = new_desk_place("empty")
    assert main(["restore", str(backup_folder)]) == 1
    assert capsys.readouterr().err.startswith("No se hizo nada: ")
    assert _table_names(url) == []
    assert list(data_folder.iterdir()) == []


def test_a_backup_goes_only_into_a_new_or_empty_folder(backup_folder, capsys):
    assert main(["backup", str(backup_folder)]) == 1
    assert "no está vacía" in capsys.readouterr().err
    assert ops.read_manifest(backup_folder)["row_counts"]["cases"] == 2


def test_a_file_the_desk_itself_lost_is_named_by_the_backup_and_the_restore_exit_3(
    people, storage, tmp_path, new_desk_place, capsys
):
    _register(people, storage, "ana.perez", 1)
    lost = storage.path_for(hashlib.sha256(b"nota 1 de ana.perez").hexdigest())
    lost.unlink()
    folder = tmp_path / "copia"
    assert main(["backup", str(folder)]) == 3
    assert ops.read_manifest(folder)["missing_attachments"] == [lost.name]
    new_desk_place("empty")
    assert main(["restore", str(folder)]) == 3
    assert "1 adjuntos ya faltaban cuando se hizo la copia" in capsys.readouterr().out


def test_the_generated_cookie_key_travels_with_the_backup(people, tmp_path, new_desk_place):
    """It signs the cases' reply addresses and the e-mail confirmation links already sent."""
    key = settings.cookie_key(load_settings())
    folder = tmp_path / "copia"
    assert main(["backup", str(folder)]) == 0
    new_desk_place("empty")
    assert main(["restore", str(folder)]) == 0
    assert settings.cookie_key(load_settings()) == key
