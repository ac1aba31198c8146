"""The desk's data on disk is for the desk's own user only: the folders it makes are 0700 and its database
file 0600, set with chmod after creation so the process umask can neither widen nor narrow them."""

from __future__ import annotations

import os
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def make_private_dir(path: Path) -> None:
    """Create the folder, and each missing folder above it, as 0700.

    A folder that exists already keeps its mode: the operator may have chosen it (a group that runs the
    backups), and the files the desk writes inside are private anyway.
    """
    path = Path(path)
    missing = []
    for folder in (path, *path.parents):
        if folder.is_dir():
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            continue  # another process made it a moment ago, and set its mode
        os.chmod(folder, FOLDER_MODE)


def create_private_file(path: Path) -> None:
    """Create the file empty as 0600 unless it exists (then it keeps its mode).

    SQLite opens an empty file as a new database and gives its -wal and -shm files the database file's
    mode, so creating mesa.db here first keeps all three private from the first byte.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
