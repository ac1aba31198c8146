"""Issue 19 in a real browser.

The journey: an advisor turns a case's solution into an article and publishes it; an employee typing a
similar Asunto sees it among the suggestions, opens it, says it solved the problem and leaves without a
case; the manager's Informes → Conocimiento counts one case avoided. And the safety of an article: what
an author writes in its Markdown (javascript: links, raw HTML, images from other hosts, a huge table)
stays inert in Chromium — nothing runs, nothing is fetched from elsewhere, the table is cut.
"""

from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from models import Case
from services import knowledge, safe_markdown, users
from services.db import unit_of_work
from tests.browser.conftest import go_to, launch, log_in, settle
from tests.browser.test_sla_browser import pictures
from tests.conftest import drop_database, make_user, new_database, register_case, resolve_case
from tests.smtp import SmtpServer

GT = "Gestión Tecnológica"


@pytest.fixture(scope="module")
def kb_desk(tmp_path_factory, migrated_template, chromium):
    smtp = SmtpServer().start()
    folder = tmp_path_factory.mktemp("live-kb")
    app = launch(folder, new_database(migrated_template, folder), chromium, smtp)
    make_user(app.engine, "laura.rios", "advisor", areas=[GT], full_name="Laura Ríos")
    make_user(app.engine, "marta.luna", "manager", full_name="Marta Luna")
    # Another employee than Ana, whose resolved case greets her with its survey first.
    make_user(app.engine, "pedro.gil", full_name="Pedro Gil")
    yield app
    app.stop()
    smtp.stop()
    drop_database(app.database_url)


def outside_requests(tab, url: str) -> list[str]:
    """The requests this tab makes to any origin but the desk's, as they happen."""
    own, outside = urlsplit(url), []

    def watch(request):
        address = urlsplit(request.url)
        if address.scheme not in ("data", "blob") and (address.hostname, address.port) != (own.hostname, own.port):
            outside.append(request.url)

    tab.on("request", watch)
    return outside


def case_count(engine) -> int:
    with unit_of_work(engine, write=False) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(Case))


def test_a_solution_becomes_an_article_that_spares_an_employee_a_case(kb_desk, open_tab):
    number = register_case(
        kb_desk.engine,
        kb_desk.data_dir / "files",
        subject="Impresora sin tóner",
        description="La impresora del segundo piso dice que no tiene tóner.",
    )
    resolve_case(kb_desk.engine, number, solution="Se cambió el cartucho de tóner y se imprimió una página de prueba.")

    advisor = open_tab()
    log_in(advisor, kb_desk.url, "laura.rios")
    advisor.get_by_test_id("stTopNav").wait_for()
    advisor.goto(f"{kb_desk.url}/bandeja?caso={number}")
    advisor.get_by_role("button", name="Crear artículo a partir de esta solución").click()
    title = advisor.get_by_role("textbox", name="Título *")
    expect(title).to_have_value("Impresora sin tóner")
    settle(advisor)
    title.fill("Cambiar el tóner de la impresora")
    advisor.get_by_text("Público (empleados)").click()
    settle(advisor)
    advisor.get_by_role("button", name="Guardar y publicar").click()
    expect(advisor.get_by_text("Versión 2 publicada.")).to_be_visible()
    expect(advisor.get_by_role("heading", name="Cambiar el tóner de la impresora")).to_be_visible()
    pictures(advisor, "conocimiento-articulo")

    employee = open_tab()
    outside = outside_requests(employee, kb_desk.url)
    log_in(employee, kb_desk.url, "pedro.gil")
    go_to(employee, "Mesa de Servicio", "Registrar un Caso")
    employee.get_by_role("button", name=GT).click()
    settle(employee)
    employee.get_by_text("Impresoras", exact=True).click()
    settle(employee)
    subject = employee.get_by_role("textbox", name="Asunto *")
    subject.fill("Mi impresora se quedó sin tóner")
    subject.press("Tab")  # on to the description: the subject is in, the suggestions follow
    suggestions = employee.locator(".st-key-reg_suggestions")
    expect(suggestions.get_by_text("Artículos que pueden ayudar")).to_be_visible()
    settle(employee)
    suggestions.get_by_text("Cambiar el tóner de la impresora").click()
    expect(suggestions.get_by_text("Se cambió el cartucho de tóner")).to_be_visible()
    pictures(employee, "conocimiento-sugerencias")
    employee.get_by_role("button", name="Esto resolvió mi problema").click()
    expect(employee.get_by_text("No se registró ningún caso.")).to_be_visible()
    assert case_count(kb_desk.engine) == 1  # only the advisor's case from before
    assert outside == []

    manager = open_tab()
    log_in(manager, kb_desk.url, "marta.luna")
    go_to(manager, "Informes", "Conocimiento")
    avoided = manager.get_by_test_id("stMetric").filter(has_text="Casos evitados")
    expect(avoided.get_by_test_id("stMetricValue")).to_have_text("1")
    pictures(manager, "conocimiento-informe")


PAYLOAD = "\n".join(
    [
        "# Guía de prueba",
        "[Abrir el portal](javascript:window.__pwned=1)",
        "[Otro](JaVaScRiPt:window.__pwned=2) y [codificado](java&#x73;cript:window.__pwned=3)",
        "<script>window.__pwned = 4</script>",
        '<img src="x" onerror="window.__pwned=5">',
        '<a href="javascript:window.__pwned=6">html</a> <iframe src="https://example.org"></iframe>',
        "![foto remota](https://example.org/foto.png)",
        "[ref]: javascript:window.__pwned=7",
        "Un [enlace bueno](https://www.comfanorte.com.co) y [correo](mailto:mesa@example.org).",
        "",
        "| Col A | Col B |",
        "|---|---|",
        *[f"| fila {i} | dato {i} |" for i in range(1, 501)],
    ]
)


def test_an_articles_markdown_renders_inert_in_the_browser(kb_desk, open_tab):
    with unit_of_work(kb_desk.engine) as session:
        laura = users.load_actor(session=session, username="laura.rios")
        article_id = knowledge.save_article(
            session=session, actor=laura, article_id=None, title="Guía de prueba", body=PAYLOAD
        )
        knowledge.publish(session=session, actor=laura, article_id=article_id)
    tab = open_tab()
    outside = outside_requests(tab, kb_desk.url)
    dialogs = []
    tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(tab, kb_desk.url, "pedro.gil")
    tab.get_by_test_id("stTopNav").wait_for()
    tab.goto(f"{kb_desk.url}/conocimiento?articulo={article_id}")
    body = tab.locator(".st-key-kb_article_body")
    expect(body.get_by_text("fila 1 ", exact=False).first).to_be_visible()
    settle(tab)
    found = body.evaluate(
        """(root) => ({
            scripts: root.querySelectorAll('script, iframe, object, embed').length,
            images: root.querySelectorAll('img, picture, svg image').length,
            handlers: [...root.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
            links: [...root.querySelectorAll('a')].map(a => a.getAttribute('href')),
            rows: root.querySelectorAll('table tr').length,
        })"""
    )
    assert found["scripts"] == 0 and found["images"] == 0 and found["handlers"] == 0
    assert all(href is None or href.startswith(("#", "https://", "http://", "mailto:")) for href in found["links"]), (
        found["links"]
    )
    assert "https://www.comfanorte.com.co" in found["links"] and "mailto:mesa@example.org" in found["links"]
    assert found["rows"] == safe_markdown.MAX_TABLE_ROWS + 1  # the header and the rows kept
    expect(body.get_by_text("Tabla recortada: 440 filas más no se muestran.")).to_be_visible()
    # What was typed as HTML shows as its text; the links to elsewhere than the web are their words only,
    # and clicking those words runs nothing.
    expect(body.get_by_text("<script>window.__pwned = 4</script>")).to_be_visible()
    for name in ("Abrir el portal", "Otro", "codificado"):
        assert body.get_by_role("link", name=name).count() == 0
        body.get_by_text(name).first.click()
    settle(tab)
    assert tab.evaluate("() => window.__pwned === undefined") and dialogs == []
    assert outside == []
