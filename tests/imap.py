"""A real IMAP server on 127.0.0.1 (Debian's Dovecot) with one passwd-file user, for the mail-reading tests.

Each ImapServer is a private Dovecot instance: its config, passwd file, sockets, state, log and mail all live
in the folder it is given, and it listens on a fixed loopback port so it can be stopped and started again (an
outage and its end). No system service is involved. Works as root (CI) and as an ordinary user:

- as root, Dovecot's own accounts do the work: logins run as `dovenull`, internal services as `dovecot`, and
  the mail belongs to the `dovecot` uid. The folder may sit under a 0700 root directory (pytest's tmp_path
  does), which those accounts cannot enter, so the auth service runs as root to read the passwd file and the
  mail user is chrooted into its mail folder (the chroot is entered as root, before the uid is dropped);
- otherwise every process runs as the current user (Dovecot's "rootless" setup).

Dovecot runs in the foreground (`dovecot -F`) as a child of the test process, in a session of its own: stop()
kills that whole process group at once, like a crash or a pulled cable (a graceful SIGTERM costs a fixed second
in Dovecot's master), and the master gets SIGKILL if the test process dies before stopping it.
"""

from __future__ import annotations

import atexit
import contextlib
import grp
import imaplib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from itertools import count
from pathlib import Path

from imap_tools.imap_utf7 import utf7_encode

from tests.smtp import free_port

DOVECOT = "/usr/sbin/dovecot"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
# A unix socket path must fit in 108 bytes; Dovecot's longest name under base_dir is 23 characters.
_SOCKET_DIR_MAX = 80

_running: set[ImapServer] = set()
_instances = count(1)


@atexit.register
def _stop_all() -> None:
    """No Dovecot outlives the test session, whatever the tests forgot to stop."""
    for server in list(_running):
        with contextlib.suppress(Exception):
            server.stop()


def _quote(mailbox: str) -> bytes:
    """A mailbox name as an IMAP quoted string, in modified UTF-7 (imaplib sends names as they are)."""
    encoded = utf7_encode(mailbox)
    return b'"' + encoded.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


class ImapServer:
    """Start, stop and start again on the same port, keeping the mail."""

    host = "127.0.0.1"

    def __init__(self, folder: Path, port: int | None = None, user: str = "mesa", password: str = "secreto"):
        for value in (user, password):  # they go into a passwd-file line as they are
            if not value or re.search(r"[:\s]", value):
                raise ValueError(f"user and password must be non-empty, without ':' or spaces: {value!r}")
        self.folder = Path(folder).resolve()
        self.port = port or free_port()
        self.user = user
        self.password = password
        self._config = self.folder / "dovecot.conf"
        self._log = self.folder / "dovecot.log"
        self._stderr = self.folder / "dovecot.stderr"
        self._mail = self.folder / "mail"
        self._instance = f"mesa-test-imap-{os.getpid()}-{next(_instances)}"
        self._base_dir = self.folder / "run"
        self._process: subprocess.Popen | None = None

    def __repr__(self) -> str:
        return f"ImapServer({self.host}:{self.port}, {self.folder})"

    # ---- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> ImapServer:
        """Start Dovecot; returns once the user can log in (raises with Dovecot's log after START_TIMEOUT)."""
        if self._process is not None and self._process.poll() is None:
            return self
        if not (Path(DOVECOT).exists() and Path("/usr/lib/dovecot/imap-login").exists()):
            raise RuntimeError("Dovecot's IMAP server is missing: apt-get install dovecot-imapd")
        self._write_config()
        command = [DOVECOT, "-F", "-c", str(self._config)]
        # Parent-death signal: goes with the thread that starts the server, so only from the main thread.
        if threading.current_thread() is threading.main_thread() and shutil.which("setpriv"):
            command = ["setpriv", "--pdeathsig", "KILL", "--", *command]
        deadline = time.monotonic() + START_TIMEOUT
        with open(self._stderr, "wb") as errors:  # Dovecot's children keep it open: a file, never a pipe
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=errors, stderr=errors, start_new_session=True
            )
        _running.add(self)
        problem = "no answer"
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                problem = f"dovecot exited with status {self._process.returncode}"
                break
            try:
                with self._client(timeout=1.0):
                    return self
            except (OSError, imaplib.IMAP4.error) as exc:
                problem = f"still {type(exc).__name__}: {exc} after {START_TIMEOUT} s"
                time.sleep(0.01)
        self.stop()
        raise RuntimeError(f"no IMAP login on port {self.port} ({problem}):\n{self.log()}")

    def stop(self) -> None:
        """Kill Dovecot (master and children at once) and wait until the port refuses connections. Repeatable."""
        process, self._process = self._process, None
        if process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # its own session: the group is Dovecot's alone
            process.wait(timeout=STOP_TIMEOUT)
            if not self._wait(self._refused, STOP_TIMEOUT):
                raise RuntimeError(f"port {self.port} still accepts connections after killing dovecot:\n{self.log()}")
            with contextlib.suppress(OSError):
                (self._base_dir / "master.pid").unlink()
            if not self._base_dir.is_relative_to(self.folder):  # a short socket folder of its own, see below
                shutil.rmtree(self._base_dir, ignore_errors=True)
        _running.discard(self)

    def restart(self) -> None:
        """An outage and its end: stop, then start on the same port with the same mail."""
        self.stop()
        self.start()

    # ---- the mailbox, through IMAP ---------------------------------------------------------------------

    def append(self, raw: bytes, folder: str = "INBOX", flags: tuple[str, ...] = ()) -> int:
        """Deliver a message with IMAP APPEND; returns its UID (from APPENDUID)."""
        with self._client() as imap:
            typ, data = imap.append(_quote(folder), "(" + " ".join(flags) + ")" if flags else None, None, raw)
        found = re.search(rb"APPENDUID \d+ (\d+)", data[0] or b"") if typ == "OK" else None
        if found is None:
            raise RuntimeError(f"APPEND to {folder!r} failed: {typ} {data}")
        return int(found.group(1))

    def uids(self, folder: str = "INBOX", criteria: str = "ALL") -> list[int]:
        """The UIDs that a UID SEARCH with these criteria finds (e.g. "UNSEEN", "FLAGGED")."""
        with self._client() as imap:
            self._select(imap, folder)
            typ, data = imap.uid("SEARCH", criteria)
        if typ != "OK":
            raise RuntimeError(f"UID SEARCH {criteria} in {folder!r} failed: {typ} {data}")
        return sorted(int(uid) for uid in (data[0] or b"").split())

    def flags(self, uid: int, folder: str = "INBOX") -> set[str]:
        """The flags of one message, e.g. {"\\Seen"}; LookupError when there is no such UID."""
        with self._client() as imap:
            self._select(imap, folder)
            typ, data = imap.uid("FETCH", str(uid), "(FLAGS)")
        for item in data if typ == "OK" else ():
            line = item[0] if isinstance(item, tuple) else item
            if line and re.search(rb"\bUID %d\b" % uid, line):
                return {flag.decode() for flag in imaplib.ParseFlags(line)}
        raise LookupError(f"no message with UID {uid} in {folder!r}: {typ} {data}")

    def create_folder(self, name: str) -> None:
        with self._client() as imap:
            typ, data = imap.create(_quote(name))
        if typ != "OK":
            raise RuntimeError(f"CREATE {name!r} failed: {typ} {data}")

    def log(self) -> str:
        """Dovecot's log (and whatever it printed on stderr before its log process ran), for failure messages."""
        parts = []
        for path in (self._stderr, self._log):
            with contextlib.suppress(OSError):
                text = path.read_text(errors="replace")
                if text.strip():
                    parts.append(text)
        return "".join(parts)

    # ---- internals -------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _client(self, timeout: float = 5.0) -> Iterator[imaplib.IMAP4]:
        imap = imaplib.IMAP4(self.host, self.port, timeout=timeout)
        try:
            imap.login(self.user, self.password)
            yield imap
        finally:
            with contextlib.suppress(Exception):
                imap.logout()

    @staticmethod
    def _select(imap: imaplib.IMAP4, folder: str) -> None:
        typ, data = imap.select(_quote(folder), readonly=True)
        if typ != "OK":
            raise RuntimeError(f"SELECT {folder!r} failed: {typ} {data}")

    def _refused(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=0.5):
                return False
        except OSError:
            return True

    @staticmethod
    def _wait(condition, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def _write_config(self) -> None:
        self._base_dir = self.folder / "run"
        if len(str(self._base_dir)) > _SOCKET_DIR_MAX:  # a deep folder: the sockets go to a short one
            self._base_dir = Path(tempfile.mkdtemp(prefix="imap-run-"))
        for sub in (self._base_dir, self.folder / "state", self._mail):
            sub.mkdir(parents=True, exist_ok=True)
        home = self._mail / self.user
        home.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            dovecot = pwd.getpwnam("dovecot")
            uid, gid = dovecot.pw_uid, dovecot.pw_gid
            users = "default_login_user = dovenull\ndefault_internal_user = dovecot\ndefault_internal_group = dovecot\n"
            # "/./" in a home makes Dovecot chroot into the part before it, as root, then drop to the mail uid.
            userdb_home = f"{self._mail}/./{self.user}"
            root_only = f"valid_chroot_dirs = {self._mail}\nservice auth {{\n  user = root\n}}\n"
            os.chown(home, uid, gid)  # Dovecot makes the Maildir inside as that uid
        else:
            uid, gid = os.getuid(), os.getgid()
            me, group = pwd.getpwuid(uid).pw_name, grp.getgrgid(gid).gr_name
            users = f"default_login_user = {me}\ndefault_internal_user = {me}\ndefault_internal_group = {group}\n"
            userdb_home = str(home)
            root_only = ""
        passwd = self.folder / "passwd"
        passwd.write_text(f"{self.user}:{{PLAIN}}{self.password}:{uid}:{gid}::{userdb_home}\n")
        passwd.chmod(0o600)
        self._config.write_text(
            f"""# Written by tests/imap.py: a private Dovecot for one test.
base_dir = {self._base_dir}
state_dir = {self.folder / "state"}
log_path = {self._log}
instance_name = {self._instance}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# A wrong password fails at once (Dovecot 2.3 still rounds up to its 0.5 s check), and the anvil listener
# that counts failures per IP is switched off: otherwise the next login from 127.0.0.1 waits 2-15 s.
auth_failure_delay = 0
mail_location = maildir:~/Maildir
first_valid_uid = 1
{users}{root_only}
passdb {{
  driver = passwd-file
  args = {passwd}
}}
userdb {{
  driver = passwd-file
  args = {passwd}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {self.host}
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""
        )
