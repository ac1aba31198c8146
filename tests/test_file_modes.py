"""The desk's data is for its own user only: the data folder it creates is 0700, the SQLite database and its
-wal/-shm files 0600, and the attachments folder 0700, whatever the umask of the process that made them."""

import os
import stat

import pytest

from services.db import make_engine, unit_of_work
from services.migrate import upgrade
from services.settings import cookie_key, load_settings
from services.storage import Storage, check_file


def _mode(path) -> str:
    """The permission bits as ls would count them ("0o600"), so a failure reads as a mode."""
    return oct(stat.S_IMODE(os.stat(path).st_mode))


@pytest.fixture(params=[0o022, 0o000], ids=["umask 022", "umask 000"])
def permissive_umask(request):
    """The umask a service manager or a shell commonly gives (022), and none at all (000)."""
    before = os.umask(request.param)
    yield request.param
    os.umask(before)


@pytest.fixture
def fresh_settings(tmp_path, permissive_umask):
    """Settings whose data folder does not exist yet, with the default SQLite database inside it."""
    return load_settings({"MESA_DATA_DIR": str(tmp_path / "srv" / "mesa" / "data")}, secrets_file=tmp_path / "none")


def test_a_fresh_data_folder_and_its_database_are_readable_by_the_owner_only(fresh_settings):
    assert not fresh_settings.data_dir.exists()
    engine = make_engine(fresh_settings.database_url)
    try:
        upgrade(engine)
        with unit_of_work(engine):  # a connection stays open: SQLite keeps its -wal and -shm files meanwhile
            database = fresh_settings.data_dir / "mesa.db"
            wal, shm = database.with_name("mesa.db-wal"), database.with_name("mesa.db-shm")
            assert wal.exists() and shm.exists()
            assert _mode(fresh_settings.data_dir) == "0o700"
            assert {p.name: _mode(p) for p in (database, wal, shm)} == {
                "mesa.db": "0o600",
                "mesa.db-wal": "0o600",
                "mesa.db-shm": "0o600",
            }
    finally:
        engine.dispose()
    assert _mode(fresh_settings.data_dir.parent) == "0o700"  # a missing parent made for it is private as well


def test_the_cookie_key_creates_a_private_data_folder_when_it_comes_first(fresh_settings):
    cookie_key(fresh_settings)
    assert _mode(fresh_settings.data_dir) == "0o700"
    assert _mode(fresh_settings.data_dir / "cookie_key") == "0o600"


def test_the_attachments_folder_and_every_level_under_it_are_private(fresh_settings):
    checked = check_file(name="nota.txt", data=b"hola", max_mb=1)
    storage = Storage(fresh_settings.storage_dir)
    assert storage.save(checked)
    stored = storage.path_for(checked.content_hash)
    folders = [fresh_settings.data_dir, fresh_settings.storage_dir, stored.parent.parent, stored.parent]
    assert {str(f.relative_to(fresh_settings.data_dir.parent)): _mode(f) for f in folders} == {
        str(f.relative_to(fresh_settings.data_dir.parent)): "0o700" for f in folders
    }
    assert _mode(stored) == "0o600"


def test_an_existing_folder_chosen_by_the_operator_keeps_its_mode(tmp_path, permissive_umask):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o750)
    os.chmod(shared, 0o750)
    engine = make_engine(f"sqlite:///{shared / 'mesa.db'}")
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    assert _mode(shared) == "0o750"
    assert _mode(shared / "mesa.db") == "0o600"
