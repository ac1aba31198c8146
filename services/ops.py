"""Operations: whether the desk is healthy (database, data folder, outbox), and its backups and restores.

Health (`health`, `check`) is what a load balancer (GET /_mesa/salud, server.py) and a monitor (`cli.py
status`) read. Three checks, each "ok", "degraded" or "down"; the desk's status is the worst of them:
- database: a trivial query answers (its latency in ms); down when it does not, degraded above 1 s;
- data folder: MESA_DATA_DIR, and its attachments folder once it exists, take a small file and give it
  back (written and removed at once); down when they do not;
- outbox: the e-mails waiting (pending or being sent) and the age of the oldest; degraded when the oldest
  was written more than 15 minutes ago (mail is not flowing: no SMTP host, SMTP down, no sender running),
  when an e-mail waits for a retry after a failed attempt, or when one was given up in the last hour (its
  last attempt was due then); down when the outbox cannot be read (a database without the desk's schema).
A check never raises: what failed is named by its exception's class only (never a path, a URL or a
password), and the answer carries no counts of people or cases.

Backup protocol (`backup`), safe while the desk runs:
1. the database snapshot: SQLite through its online backup API (one step, one read transaction) into
   mesa.db; PostgreSQL by `pg_dump --format=custom` into mesa.dump, inside a REPEATABLE READ transaction
   whose snapshot pg_dump shares (`--snapshot`), so the row counts and the attachment rows read for the
   manifest are exactly the dump's;
2. the attachments, after the snapshot: a file is written before the row that names it commits and never
   changes after, so every row of the snapshot finds its file (newer files are harmless extras);
3. the generated cookie key (when MESA_COOKIE_KEY is not set): it signs the cases' reply addresses;
4. manifest.json last (format, time, database kind, Alembic revision, the row count of every table, the
   size and SHA-256 of every file, and a checksum of itself): a folder without it is an incomplete backup.

Restore protocol (`restore`) into an empty database (migrated or not) and data folder, the desk stopped:
1. check everything first, so a refusal changes nothing: the manifest's checksum, every file's size and
   hash, a revision this code knows, a target without users or cases (unless `force`);
2. restore the database (SQLite: the file copied into place; PostgreSQL: `pg_restore --clean --if-exists
   --single-transaction`, which replaces a migrated empty schema too), the attachments, the cookie key;
3. verify: every table's row count equals the manifest's, every attachment row has its file with that hash.
The manifest's checksum catches damage, not a forger: keep backups where only the operators write.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, timedelta
from pathlib import Path, PurePosixPath

import sqlalchemy as sa

from models import Attachment, Base, Case, OutboxEmail, User
from models.enums import OutboxStatus
from services import clock
from services.migrate import alembic_config
from services.private_files import FILE_MODE, create_private_file, make_private_dir
from services.settings import COOKIE_KEY_FILE, Settings
from services.storage import Storage

# The route load balancers ask (server.py).
HEALTH_ROUTE = "/_mesa/salud"
OK, DEGRADED, DOWN = "ok", "degraded", "down"
_RANK = {OK: 0, DEGRADED: 1, DOWN: 2}
SLOW_DATABASE_MS = 1000
STALE_MAIL = timedelta(minutes=15)
RECENT_FAILURE = timedelta(hours=1)
# How long a status or a backup waits for a PostgreSQL server that does not answer.
CONNECT_TIMEOUT_SECONDS = 10

MANIFEST = "manifest.json"
FORMAT_VERSION = 1
ATTACHMENTS = "attachments"
DATABASE_FILES = {"sqlite": "mesa.db", "postgresql": "mesa.dump"}
CHUNK = 1024 * 1024


# --- Health -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatabaseCheck:
    status: str
    latency_ms: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class FolderCheck:
    status: str
    error: str | None = None


@dataclass(frozen=True)
class OutboxCheck:
    status: str
    pending: int | None = None  # waiting: pending or being sent
    oldest_pending_seconds: int | None = None
    retrying: int | None = None  # waiting again after a failed attempt
    failed_last_hour: int | None = None  # given up
    error: str | None = None


@dataclass(frozen=True)
class Health:
    status: str
    checked_at: str  # UTC, ISO 8601
    database: DatabaseCheck
    data_folder: FolderCheck
    outbox: OutboxCheck

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def _error(exc: BaseException) -> str:
    """What a health answer says of a failure: the exception's class, never its message (URLs, paths)."""
    return type(exc).__name__


def _check_database(engine: sa.Engine) -> DatabaseCheck:
    started = time.perf_counter()
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - a database that does not answer is the answer
        return DatabaseCheck(DOWN, error=_error(exc))
    latency = round((time.perf_counter() - started) * 1000, 1)
    return DatabaseCheck(DEGRADED if latency > SLOW_DATABASE_MS else OK, latency)


def _write_and_read_back(folder: Path) -> None:
    fd, name = tempfile.mkstemp(dir=folder, prefix=".salud-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(b"ok")
        if Path(name).read_bytes() != b"ok":
            raise OSError("read back differs")
    finally:
        Path(name).unlink(missing_ok=True)


def _check_folder(settings: Settings) -> FolderCheck:
    try:
        _write_and_read_back(settings.data_dir)
        if settings.storage_dir.exists():  # made with the first attachment
            _write_and_read_back(settings.storage_dir)
    except Exception as exc:  # noqa: BLE001 - a folder that cannot be written is the answer
        return FolderCheck(DOWN, _error(exc))
    return FolderCheck(OK)


def _check_outbox(engine: sa.Engine) -> OutboxCheck:
    now = clock.now()
    waiting = OutboxEmail.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING))
    retrying = sa.and_(OutboxEmail.status == OutboxStatus.PENDING, OutboxEmail.attempts > 0)
    given_up = sa.and_(OutboxEmail.status == OutboxStatus.FAILED, OutboxEmail.next_attempt_at >= now - RECENT_FAILURE)
    try:
        with engine.connect() as conn:
            pending, oldest, again = conn.execute(
                sa.select(
                    sa.func.count(),
                    sa.func.min(OutboxEmail.created_at),
                    sa.func.coalesce(sa.func.sum(sa.case((retrying, 1), else_=0)), 0),
                ).where(waiting)
            ).one()
            failed = conn.scalar(sa.select(sa.func.count()).where(given_up))
    except Exception as exc:  # noqa: BLE001 - an outbox that cannot be read is the answer
        return OutboxCheck(DOWN, error=_error(exc))
    age = None if oldest is None else max(0, int((now - oldest).total_seconds()))
    stale = age is not None and age > STALE_MAIL.total_seconds()
    status = DEGRADED if stale or again or failed else OK
    return OutboxCheck(status, pending, age, int(again), failed)


def _now_iso() -> str:
    return clock.now().replace(tzinfo=UTC).isoformat(timespec="seconds")


def health(engine: sa.Engine, settings: Settings) -> Health:
    """The desk's health as its engine and settings see it; never raises (module docstring: the rules)."""
    database = _check_database(engine)
    folder = _check_folder(settings)
    outbox = _check_outbox(engine) if database.status != DOWN else OutboxCheck(DOWN, error=database.error)
    status = max((database.status, folder.status, outbox.status), key=_RANK.__getitem__)
    return Health(status, _now_iso(), database, folder, outbox)


def unreachable(exc: BaseException) -> Health:
    """The health of a desk whose settings or engine could not even be made: nothing could be checked."""
    return Health(DOWN, _now_iso(), DatabaseCheck(DOWN, error=_error(exc)), FolderCheck(DOWN), OutboxCheck(DOWN))


def _standalone_engine(url: str) -> sa.Engine:
    """An engine for the command line's status, backup and restore: it never creates a missing SQLite file
    (make_engine would), keeps no pool, and waits a bounded time for a PostgreSQL server."""
    if url.startswith("sqlite"):
        path = Path(sa.engine.make_url(url).database or "")

        def connect():
            return sqlite3.connect(f"{path.absolute().as_uri()}?mode=rw", uri=True, check_same_thread=False, timeout=30)

        return sa.create_engine("sqlite://", creator=connect, poolclass=sa.pool.NullPool)
    return sa.create_engine(url, poolclass=sa.pool.NullPool, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})


def check(settings: Settings) -> Health:
    """The health of the configured desk, from outside it (`cli.py status`)."""
    try:
        engine = _standalone_engine(settings.database_url)
    except Exception as exc:  # noqa: BLE001 - a URL the driver refuses is a database that does not answer
        return unreachable(exc)
    try:
        return health(engine, settings)
    finally:
        engine.dispose()


# --- Backups and restores ------------------------------------------------------------------------------


class Refused(Exception):
    """A backup or restore that did not start: nothing was changed. The message (Spanish) is for the operator."""


class Failed(Exception):
    """A backup or restore that stopped part way; the message (Spanish) says what is left."""


@dataclass(frozen=True)
class StoredFile:
    path: str  # relative, with "/"
    size: int
    sha256: str


@dataclass(frozen=True)
class Contents:
    """What a database holds, as a manifest records it."""

    revision: str | None
    row_counts: dict[str, int]
    attachment_hashes: frozenset[str]

    @property
    def rows(self) -> int:
        return sum(self.row_counts.values())


@dataclass(frozen=True)
class BackupReport:
    folder: Path
    database_kind: str
    revision: str
    rows: int
    tables: int
    files: int
    file_bytes: int
    missing_files: tuple[str, ...]  # attachment rows whose file the desk itself lacks
    seconds: float


@dataclass(frozen=True)
class RestoreReport:
    database_kind: str
    revision: str
    head_revision: str
    rows: int
    tables: int
    files: int
    file_bytes: int
    missing_files: tuple[str, ...]  # already missing when the backup was taken
    seconds: float


def _quiet(_line: str) -> None:
    """No progress lines."""


def _kind(settings: Settings) -> str:
    return "sqlite" if settings.is_sqlite else "postgresql"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _copy_file(source: Path, target: Path) -> StoredFile:
    """Copy a file atomically (a temporary file renamed into place), owner-only; its size and hash as copied."""
    make_private_dir(target.parent)
    digest, size = hashlib.sha256(), 0
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".copia-")
    try:
        with os.fdopen(fd, "wb") as dst, source.open("rb") as src:
            while block := src.read(CHUNK):
                digest.update(block)
                size += len(block)
                dst.write(block)
            dst.flush()
            os.fsync(dst.fileno())
        os.chmod(temp, FILE_MODE)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return StoredFile(target.name, size, digest.hexdigest())


def _contents(conn: sa.Connection, tables: list[str] | None = None) -> Contents:
    names = tables if tables is not None else [t.name for t in Base.metadata.sorted_tables]
    return Contents(
        revision=conn.scalar(sa.text("SELECT version_num FROM alembic_version")),
        row_counts={name: conn.scalar(sa.select(sa.func.count()).select_from(sa.table(name))) for name in names},
        attachment_hashes=frozenset(conn.scalars(sa.select(Attachment.content_hash).distinct())),
    )


def _has_schema(engine: sa.Engine) -> bool:
    return sa.inspect(engine).has_table("alembic_version")


def _snapshot_sqlite(engine: sa.Engine, target: Path) -> Contents:
    create_private_file(target)
    source = engine.raw_connection()
    try:
        copy = sqlite3.connect(target)
        try:
            # One step (pages=-1): the whole copy inside one read transaction, so writers never restart it.
            source.driver_connection.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        finally:
            copy.close()
    finally:
        source.close()
    snapshot = _standalone_engine(f"sqlite:///{target}")
    try:
        with snapshot.connect() as conn:
            return _contents(conn)
    finally:
        snapshot.dispose()


def _server_major(conn: sa.Connection) -> int:
    return int(conn.scalar(sa.text("SHOW server_version_num"))) // 10000


def _pg_tool(name: str, major: int) -> str:
    """The client tool of the server's own major version when Debian's layout has it, else the one on PATH."""
    matching = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
    if matching.is_file():
        return str(matching)
    found = shutil.which(name)
    if found is None:
        raise Refused(f"No se encontró {name}: instale el cliente de PostgreSQL {major} (postgresql-client).")
    return found


def _run_pg(tool: str, major: int, url: str, arguments: list[str]) -> None:
    """Run pg_dump or pg_restore against the URL's database; the password travels in PGPASSWORD only."""
    parsed = sa.engine.make_url(url)
    fields = {"host": parsed.host, "port": parsed.port, "user": parsed.username, "dbname": parsed.database}
    fields |= {key: value for key, value in parsed.query.items() if isinstance(value, str)}

    def quoted(value) -> str:
        return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"

    conninfo = " ".join(f"{key}={quoted(value)}" for key, value in fields.items() if value not in (None, ""))
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    command = [_pg_tool(tool, major), "--no-password", f"--dbname={conninfo}", *arguments]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise Failed(f"{tool} terminó con el código {done.returncode}: {done.stderr.strip()[-2000:]}")


def _snapshot_postgres(engine: sa.Engine, url: str, target: Path) -> Contents:
    create_private_file(target)
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
        snapshot = conn.scalar(sa.text("SELECT pg_export_snapshot()"))
        contents = _contents(conn)
        _run_pg("pg_dump", _server_major(conn), url, ["--format=custom", f"--file={target}", f"--snapshot={snapshot}"])
    return contents


def _copy_attachments(storage: Path, target: Path) -> list[StoredFile]:
    """Every stored file, with its path under the storage folder (uploads in progress, hidden, are skipped)."""
    copied = []
    for path in sorted(storage.rglob("*")) if storage.is_dir() else ():
        if not path.is_file() or path.name.startswith("."):
            continue
        relative = path.relative_to(storage).as_posix()
        try:
            stored = _copy_file(path, target / relative)
        except FileNotFoundError:
            continue  # removed while we walked: the upload of a unit of work that rolled back
        copied.append(dataclasses.replace(stored, path=relative))
    return copied


def _checksum(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _write_manifest(folder: Path, body: dict) -> None:
    target = folder / MANIFEST
    fd, temp = tempfile.mkstemp(dir=folder, prefix=".manifest-")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({**body, "checksum": _checksum(body)}, fh, indent=2, sort_keys=True)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(temp, FILE_MODE)
    os.replace(temp, target)


def _size(n: int) -> str:
    return f"{n / 1048576:.1f} MB"


def backup(settings: Settings, dest: Path, *, progress: Callable[[str], None] = _quiet) -> BackupReport:
    """Back up the configured desk into the new (or empty) folder `dest` (module docstring: the protocol)."""
    started = time.monotonic()
    dest, kind = Path(dest), _kind(settings)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise Refused(f"La carpeta {dest} ya existe y no está vacía: elija una carpeta nueva para la copia.")
    engine = _standalone_engine(settings.database_url)
    try:
        try:
            migrated = _has_schema(engine)
        except sa.exc.SQLAlchemyError as exc:
            raise Refused(f"No se pudo abrir la base de datos ({_error(exc)}).") from exc
        if not migrated:
            raise Refused("La base de datos no tiene el esquema de la mesa (ejecute `python cli.py migrate`).")
        make_private_dir(dest)
        database_file = dest / DATABASE_FILES[kind]
        progress(f"Copiando la base de datos ({kind})…")
        if kind == "sqlite":
            contents = _snapshot_sqlite(engine, database_file)
        else:
            contents = _snapshot_postgres(engine, settings.database_url, database_file)
    except (OSError, sa.exc.SQLAlchemyError) as exc:
        raise Failed(f"La copia de la base de datos falló ({_error(exc)}); {dest} quedó incompleta.") from exc
    finally:
        engine.dispose()
    database_size = database_file.stat().st_size
    progress(
        f"  {DATABASE_FILES[kind]}: {_size(database_size)}, revisión {contents.revision}, "
        f"{contents.rows:,} filas en {len(contents.row_counts)} tablas"
    )
    progress("Copiando los adjuntos…")
    try:
        files = _copy_attachments(settings.storage_dir, dest / ATTACHMENTS)
    except OSError as exc:
        raise Failed(f"La copia de los adjuntos falló ({_error(exc)}: {exc}); {dest} quedó incompleta.") from exc
    # A file named by its content's hash holds that content; one that does not is as good as missing.
    copied = {PurePosixPath(f.path).name for f in files if PurePosixPath(f.path).name == f.sha256}
    missing = tuple(sorted(contents.attachment_hashes - copied))
    file_bytes = sum(f.size for f in files)
    progress(f"  {len(files):,} archivos, {_size(file_bytes)}")
    if missing:
        progress(f"Aviso: a la mesa le faltan {len(missing)} archivos adjuntos que la base nombra (ver manifest.json).")
    body = {
        "format_version": FORMAT_VERSION,
        "created_at": _now_iso(),
        "database_kind": kind,
        "alembic_revision": contents.revision,
        "database_file": database_file.name,
        "database_size": database_size,
        "database_sha256": _sha256(database_file),
        "row_counts": contents.row_counts,
        "attachments": [dataclasses.asdict(f) for f in files],
        "missing_attachments": list(missing),
    }
    key_file = settings.data_dir / COOKIE_KEY_FILE
    if settings.cookie_key is None and key_file.is_file():
        body["cookie_key_sha256"] = _copy_file(key_file, dest / COOKIE_KEY_FILE).sha256
    _write_manifest(dest, body)
    progress(f"Manifiesto escrito: {dest / MANIFEST}")
    return BackupReport(
        folder=dest,
        database_kind=kind,
        revision=contents.revision or "",
        rows=contents.rows,
        tables=len(contents.row_counts),
        files=len(files),
        file_bytes=file_bytes,
        missing_files=missing,
        seconds=time.monotonic() - started,
    )


def read_manifest(source: Path) -> dict:
    """The manifest of a backup folder, refused when it is missing, damaged or edited."""
    path = Path(source) / MANIFEST
    if not path.is_file():
        raise Refused(f"{path} no existe: la copia está incompleta (el manifiesto se escribe al final).")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        written = manifest.pop("checksum")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise Refused(f"{path} está dañado o incompleto.") from exc
    if written != _checksum(manifest):
        raise Refused(f"{path} fue modificado o está dañado (su suma de verificación no coincide).")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise Refused(f"{path} tiene un formato que esta versión no conoce ({manifest.get('format_version')!r}).")
    return manifest


def _attachment_path(relative: str) -> PurePosixPath:
    path = PurePosixPath(relative)
    if path.is_absolute() or not path.parts or any(part in ("", ".", "..") for part in path.parts):
        raise Refused(f"El manifiesto nombra una ruta no válida: {relative!r}.")
    return path


def _verify_source(source: Path, manifest: dict) -> None:
    """Every file the manifest names is in the backup folder with its size and hash."""
    expected = [(source / manifest["database_file"], manifest["database_size"], manifest["database_sha256"])]
    for entry in manifest["attachments"]:
        expected.append((source / ATTACHMENTS / _attachment_path(entry["path"]), entry["size"], entry["sha256"]))
    if "cookie_key_sha256" in manifest:
        expected.append((source / COOKIE_KEY_FILE, None, manifest["cookie_key_sha256"]))
    for path, size, sha256 in expected:
        if not path.is_file():
            raise Refused(f"Falta {path} en la copia.")
        if (size is not None and path.stat().st_size != size) or _sha256(path) != sha256:
            raise Refused(f"{path} no coincide con el manifiesto (tamaño o SHA-256): la copia está dañada.")


def _known_revisions() -> tuple[set[str], str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return {r.revision for r in script.walk_revisions()}, script.get_current_head()


def _users_and_cases(engine: sa.Engine) -> dict[str, int]:
    inspector = sa.inspect(engine)
    with engine.connect() as conn:
        return {
            model.__tablename__: conn.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (User, Case)
            if inspector.has_table(model.__tablename__)
        }


def _require_empty_target(settings: Settings) -> None:
    if settings.is_sqlite and not Path(sa.engine.make_url(settings.database_url).database or "").exists():
        return
    engine = _standalone_engine(settings.database_url)
    try:
        found = _users_and_cases(engine)
    except sa.exc.SQLAlchemyError as exc:
        raise Refused(f"No se pudo leer la base de datos de destino ({_error(exc)}).") from exc
    finally:
        engine.dispose()
    if any(found.values()):
        raise Refused(
            f"La base de datos de destino ya tiene datos ({found.get('users', 0)} usuarios, "
            f"{found.get('cases', 0)} casos): restaure en una base vacía, o use --force para reemplazarlos."
        )


def _restore_sqlite(settings: Settings, dump: Path, sha256: str) -> None:
    target = Path(sa.engine.make_url(settings.database_url).database or "")
    staged = target.with_name(f".{target.name}.restaurando")
    if _copy_file(dump, staged).sha256 != sha256:
        staged.unlink()
        raise Refused(f"{dump} cambió mientras se restauraba.")
    # The desk is stopped: a -wal or -shm left beside the old file would be read as part of the new one.
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(staged, target)


def _restore_postgres(settings: Settings, dump: Path) -> None:
    engine = _standalone_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            major = _server_major(conn)
    except sa.exc.SQLAlchemyError as exc:
        raise Refused(f"No se pudo conectar con la base de datos de destino ({_error(exc)}).") from exc
    finally:
        engine.dispose()
    # One transaction: a failed restore leaves the database as it was. --clean --if-exists replaces the tables a
    # `cli.py migrate` made; owners and grants are the target's own (its roles may differ from the source's).
    _run_pg(
        "pg_restore",
        major,
        settings.database_url,
        ["--no-owner", "--no-acl", "--clean", "--if-exists", "--single-transaction", "--exit-on-error", str(dump)],
    )


def _restore_attachments(source: Path, storage: Path, manifest: dict) -> tuple[int, int]:
    count = size = 0
    for entry in manifest["attachments"]:
        relative = _attachment_path(entry["path"])
        target = storage / relative
        there = target.is_file() and _sha256(target) == entry["sha256"]  # content-addressed: the same file
        if not there and _copy_file(source / ATTACHMENTS / relative, target).sha256 != entry["sha256"]:
            raise Failed(f"{relative} cambió mientras se restauraba.")
        count, size = count + 1, size + entry["size"]
    return count, size


def _verify_target(settings: Settings, manifest: dict) -> tuple[str, ...]:
    """Row counts and attachment files of the restored desk against the manifest; the files that were already
    missing when the backup was taken."""
    engine = _standalone_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            restored = _contents(conn, list(manifest["row_counts"]))
    finally:
        engine.dispose()
    wrong = {
        table: (restored.row_counts.get(table), count)
        for table, count in manifest["row_counts"].items()
        if restored.row_counts.get(table) != count
    }
    if wrong:
        listed = ", ".join(f"{t}: {got} en vez de {want}" for t, (got, want) in sorted(wrong.items()))
        raise Failed(f"Las filas restauradas no coinciden con el manifiesto ({listed}).")
    storage = Storage(settings.storage_dir)
    lacking = {
        h for h in restored.attachment_hashes if not storage.path_for(h).is_file() or _sha256(storage.path_for(h)) != h
    }
    known = set(manifest.get("missing_attachments", ()))
    if lacking - known:
        raise Failed(f"{len(lacking - known)} archivos adjuntos de la base no quedaron en la carpeta de datos.")
    return tuple(sorted(lacking))


def restore(
    settings: Settings, source: Path, *, force: bool = False, progress: Callable[[str], None] = _quiet
) -> RestoreReport:
    """Restore a backup folder into the configured database and data folder (module docstring: the protocol)."""
    started = time.monotonic()
    source, kind = Path(source), _kind(settings)
    progress(f"Comprobando la copia en {source}…")
    manifest = read_manifest(source)
    try:
        if manifest["database_kind"] != kind:
            raise Refused(
                f"La copia es de una base {manifest['database_kind']} y la configurada es {kind}: no se mezclan."
            )
        _verify_source(source, manifest)
        revision = manifest["alembic_revision"]
    except (KeyError, TypeError) as exc:
        raise Refused(f"{source / MANIFEST} está incompleto ({_error(exc)}).") from exc
    known, head = _known_revisions()
    if revision not in known:
        raise Refused(f"La copia está en la revisión {revision!r}, que esta versión de la mesa no conoce.")
    if not force:
        _require_empty_target(settings)
    progress(f"  manifiesto y {len(manifest['attachments']) + 1:,} archivos verificados")
    dump = source / manifest["database_file"]
    progress("Restaurando la base de datos…")
    if kind == "sqlite":
        _restore_sqlite(settings, dump, manifest["database_sha256"])
    else:
        _restore_postgres(settings, dump)
    try:
        progress("Restaurando los adjuntos…")
        files, file_bytes = _restore_attachments(source, settings.storage_dir, manifest)
        if "cookie_key_sha256" in manifest and settings.cookie_key is None:
            _copy_file(source / COOKIE_KEY_FILE, settings.data_dir / COOKIE_KEY_FILE)
        elif "cookie_key_sha256" in manifest:
            progress(
                "Aviso: MESA_COOKIE_KEY está configurada, así que la clave generada de la copia no se usa: las "
                "direcciones de respuesta y los enlaces de confirmación de los correos ya enviados dejan de valer."
            )
        progress("Verificando la mesa restaurada…")
        missing = _verify_target(settings, manifest)
    except OSError as exc:
        raise Failed(f"La restauración se detuvo después de la base de datos ({_error(exc)}: {exc}).") from exc
    except sa.exc.SQLAlchemyError as exc:
        raise Failed(f"La restauración se detuvo después de la base de datos ({_error(exc)}).") from exc
    return RestoreReport(
        database_kind=kind,
        revision=revision,
        head_revision=head,
        rows=sum(manifest["row_counts"].values()),
        tables=len(manifest["row_counts"]),
        files=files,
        file_bytes=file_bytes,
        missing_files=missing,
        seconds=time.monotonic() - started,
    )
