"""nginx in front of the app, configured with the README's own block (between `# mesa-nginx-begin` and
`# mesa-nginx-end`): every answer carries the security headers, plain http goes to https, and the app still
works in Chromium through it (WebSocket, login, charts) without a single Content-Security-Policy violation.

Only the addresses, ports and certificate paths of the block are replaced (each replacement must find its
text exactly once), so the guide and this test cannot drift apart.
"""

import datetime
import http.client
import ipaddress
import os
import pwd
import re
import ssl
import subprocess
import textwrap
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services import surveys, users
from services.db import unit_of_work
from tests.browser.conftest import _free_port, fill_login_form, settle
from tests.conftest import ROOT, make_user, register_case, resolve_case

NGINX = Path("/usr/sbin/nginx")
SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Strict-Transport-Security",
)
BEGIN, END = "# mesa-nginx-begin", "# mesa-nginx-end"
COOKIE = "mesa_sesion"


def readme_block() -> str:
    """The nginx configuration of README.md's deployment guide, as an operator would copy it."""
    text = (ROOT / "README.md").read_text()
    found = re.search(rf"^([ \t]*){re.escape(BEGIN)}[^\n]*\n(.*?)^[ \t]*{re.escape(END)}", text, re.M | re.S)
    assert found, f"README.md has no nginx block between {BEGIN} and {END}"
    return textwrap.dedent(found.group(2))


def _server_blocks(block: str) -> list[str]:
    """The text of each top-level `server { … }` of the block."""
    blocks, depth, start = [], 0, None
    for index, char in enumerate(block):
        if char == "{":
            if depth == 0 and re.search(r"server\s*$", block[:index]):
                start = index
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0 and start is not None:
                blocks.append(block[start : index + 1])
                start = None
    return blocks


def readme_headers(server: str) -> dict[str, str]:
    """The `add_header Name "value" always;` lines of a server block."""
    return dict(re.findall(r'^\s*add_header\s+([\w-]+)\s+"([^"]*)"\s+always;', server, re.M))


def _replace(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"the README's nginx block should contain {old!r} exactly once"
    return text.replace(old, new)


def lab_config(
    block: str, *, folder: Path, app_port: int, http_port: int, https_port: int, cert: Path, key: Path
) -> str:
    """The README block on loopback ports in front of the test's app, inside the main context nginx needs."""
    upstream = re.search(r"upstream mesa \{ ip_hash;(?P<servers>[^}]*)\}", block)
    assert upstream, "the README's nginx block should have `upstream mesa { ip_hash; server …; }`"
    block = _replace(block, upstream.group("servers"), f" server 127.0.0.1:{app_port}; ")
    block = _replace(block, "listen 80;", f"listen 127.0.0.1:{http_port};")
    block = _replace(block, "listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
    block = _replace(block, "/etc/ssl/mesa/fullchain.pem", str(cert))
    block = _replace(block, "/etc/ssl/mesa/privkey.pem", str(key))
    # As root, the workers would switch to `nobody`, who cannot use the temporary folders here.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    temp = " ".join(
        f"{kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}
worker_processes 1;
error_log {folder / "error.log"} info;
events {{ worker_connections 256; }}
http {{
  access_log {folder / "access.log"};
  {temp}
{block}
}}
"""


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1, so the https server block runs as the README writes it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class Nginx:
    def __init__(self, folder: Path, app_port: int):
        self.folder = folder
        self.http_port, self.https_port = _free_port(), _free_port()
        self.https_url = f"https://127.0.0.1:{self.https_port}"
        cert, key = _self_signed(folder)
        self.conf = folder / "nginx.conf"
        self.conf.write_text(
            lab_config(
                readme_block(),
                folder=folder,
                app_port=app_port,
                http_port=self.http_port,
                https_port=self.https_port,
                cert=cert,
                key=key,
            )
        )
        self.process = None

    def log(self) -> str:
        return "\n".join(p.read_text() for p in (self.folder / "error.log", self.folder / "stderr.log") if p.exists())

    def start(self):
        command = [
            str(NGINX),
            "-c",
            str(self.conf),
            "-p",
            str(self.folder),
            "-e",
            str(self.folder / "error.log"),
            "-g",
            f"daemon off; pid {self.folder / 'nginx.pid'};",
        ]
        with open(self.folder / "stderr.log", "w") as err:
            self.process = subprocess.Popen(command, stdout=err, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx stopped at once:\n{self.conf.read_text()}\n{self.log()}")
            try:
                self.get("/_stcore/health")
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"nginx did not answer:\n{self.log()}")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def get(self, path: str, *, https: bool = True) -> http.client.HTTPResponse:
        """One request, redirects not followed; the response with its body read."""
        if https:
            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            conn = http.client.HTTPSConnection("127.0.0.1", self.https_port, timeout=10, context=context)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=10)
        try:
            conn.request("GET", path)
            answer = conn.getresponse()
            answer.body = answer.read()
            return answer
        finally:
            conn.close()


@pytest.fixture(scope="module")
def nginx(live_app, tmp_path_factory):
    """Debian's nginx (see .ci/run) on free loopback ports, with the README's block in front of the app."""
    assert NGINX.exists(), "nginx is not installed: apt-get install -y nginx (see .ci/run)"
    server = Nginx(tmp_path_factory.mktemp("nginx"), live_app.port).start()
    yield server
    server.stop()


# --- the guide itself ---------------------------------------------------------------------------


def test_the_guide_sends_every_security_header_from_the_https_server_and_hsts_only_there():
    plain, secure = _server_blocks(readme_block())
    assert "listen 80;" in plain and "return 301 https://" in plain
    assert "listen 443 ssl;" in secure
    assert "add_header" not in plain  # HSTS over plain http means nothing; that server only redirects
    headers = readme_headers(secure)
    assert sorted(headers) == sorted(SECURITY_HEADERS)
    assert re.fullmatch(r"max-age=(\d+); includeSubDomains", headers["Strict-Transport-Security"])
    assert int(re.search(r"\d+", headers["Strict-Transport-Security"]).group()) >= 31536000
    assert (headers["X-Frame-Options"], headers["X-Content-Type-Options"]) == ("DENY", "nosniff")
    policy = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert "'unsafe-eval'" not in headers["Content-Security-Policy"]  # WebAssembly only ('wasm-unsafe-eval')
    # An add_header inside `location` would replace, for that location, every one the server block sets.
    location = secure[re.search(r"^\s*location\s", secure, re.M).start() :]
    assert "add_header" not in location


# --- nginx running the guide's block --------------------------------------------------------------


def _static_asset(nginx) -> str:
    index = nginx.get("/").body.decode()
    return re.search(r'src="\.?(/static/js/[^"]+\.js)"', index).group(1)


@pytest.mark.parametrize("path", ["/", "/verificar?caso=1", "/_stcore/health", "STATIC", "/static/no-such-file.js"])
def test_every_answer_through_nginx_carries_each_security_header_once(nginx, path):
    expected = readme_headers(_server_blocks(readme_block())[1])
    path = _static_asset(nginx) if path == "STATIC" else path
    answer = nginx.get(path)
    assert answer.status in (200, 404), (path, answer.status)
    for name, value in expected.items():
        assert answer.headers.get_all(name) == [value], (path, name, answer.headers.get_all(name))


def test_plain_http_is_sent_to_https_with_the_same_address(nginx):
    answer = nginx.get("/verificar?caso=12", https=False)
    assert answer.status == 301
    assert answer.headers["Location"] == "https://127.0.0.1/verificar?caso=12"
    assert answer.headers.get("Strict-Transport-Security") is None


# --- the app in Chromium through nginx ---------------------------------------------------------------

WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber})`);
});
"""


@pytest.fixture
def tab(chromium, nginx):
    """A browser tab that trusts the test certificate and records every CSP violation and WebSocket."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="es-CO", ignore_https_errors=True)
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.csp_console = []
    page.sockets = []
    page.on("console", lambda msg: "Content Security Policy" in msg.text and page.csp_console.append(msg.text))
    page.on("websocket", lambda socket: page.sockets.append(socket.url))
    yield page
    context.close()


def _violations(page) -> list[str]:
    settle(page)
    page.wait_for_timeout(500)  # a report is queued as a task: let the last ones arrive
    return page.csp_console + page.evaluate("window.__cspViolations")


def _wait_for_cookie(page, name: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not any(c["name"] == name for c in page.context.cookies()):
        assert time.monotonic() < deadline, f"no {name} cookie after the login: {page.context.cookies()}"
        page.wait_for_timeout(200)


def test_the_login_form_works_through_nginx_with_no_csp_violation(nginx, live_app, tab):
    tab.goto(nginx.https_url)
    tab.get_by_role("textbox", name="Usuario").wait_for()
    tab.get_by_role("textbox", name="Clave").wait_for()
    tab.get_by_role("button", name="Ingresar").wait_for()
    assert f"wss://127.0.0.1:{nginx.https_port}/_stcore/stream" in tab.sockets
    assert _violations(tab) == []

    fill_login_form(tab, "ana.perez")
    tab.get_by_text("Hola, Ana Pérez").first.wait_for()
    _wait_for_cookie(tab, COOKIE)  # set by the app's own script after a login: the CSP must let it run
    assert _violations(tab) == []


@pytest.fixture
def a_rated_case(live_app):
    """One case resolved, confirmed and rated, so Satisfacción draws its charts."""
    make_user(live_app.engine, "laura.rios", role="advisor", areas=["Gestión Tecnológica"])
    number = register_case(live_app.engine, live_app.data_dir / "attachments")
    resolve_case(live_app.engine, number)
    with unit_of_work(live_app.engine) as session:
        ana = users.load_actor(session=session, username="ana.perez")
        surveys.answer(session=session, actor=ana, number=number, round=1, resolved=True)
        surveys.rate(session=session, actor=ana, number=number, rating=5, comment="Muy bien")
    return number


def test_the_satisfaction_charts_draw_through_nginx_with_no_csp_violation(nginx, live_app, tab, a_rated_case):
    tab.goto(nginx.https_url)
    fill_login_form(tab, "admin.mesa")
    tab.get_by_text("Hola, Admin Mesa").first.wait_for()
    _wait_for_cookie(tab, COOKIE)
    tab.goto(f"{nginx.https_url}/satisfaccion")  # a new page load: the login must hold through nginx
    tab.locator('[data-testid="stVegaLiteChart"] svg, [data-testid="stVegaLiteChart"] canvas').first.wait_for()
    assert _violations(tab) == []
