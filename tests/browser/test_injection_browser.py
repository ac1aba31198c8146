"""Markup typed by users reaches the browser as text: no element is injected and no script runs."""

import sqlalchemy as sa

from models import ServiceOption
from services import cases, users
from services.cases import NewFile, Uploads
from services.db import unit_of_work
from services.settings import load_settings
from services.storage import Storage
from tests.browser.conftest import go_to, log_in, settle
from tests.conftest import make_user

SUBJECT = '<img src=x onerror="window.__pwned=1">Impresora'
DESCRIPTION = (
    "**negrita** [enlace](javascript:window.__pwned=3) ![x](http://malo/x.png)\n<script>window.__pwned=2</script>"
)
NAME = "<i>Eva</i> <svg onload=window.__pwned=4>"
FILE_NAME = "<svg onload=window.__pwned=5>.txt"
REPLY = '<a href="javascript:window.__pwned=6">clic</a> <iframe src="javascript:window.__pwned=7"></iframe>'


def test_markup_in_every_typed_field_is_shown_as_text_and_nothing_runs(live_app, page):
    make_user(live_app.engine, "eva.mala", full_name=NAME)
    make_user(live_app.engine, "tomas.asesor", role="advisor", areas=["Gestión Tecnológica"], full_name="Tomás Asesor")
    data = load_settings({"MESA_DATA_DIR": str(live_app.data_dir)})
    uploads = Uploads(Storage(data.storage_dir), data.max_upload_mb)
    with unit_of_work(live_app.engine) as session:
        option_id = session.scalar(sa.select(ServiceOption.id).where(ServiceOption.name == "Impresoras"))
        eva = users.load_actor(session=session, username="eva.mala")
        number = cases.register_case(
            session=session,
            actor=eva,
            uploads=uploads,
            option_id=option_id,
            subject=SUBJECT,
            description=DESCRIPTION,
            files=[NewFile(FILE_NAME, b"texto\n", "<b>descripcion</b> `codigo`")],
        ).number
    with unit_of_work(live_app.engine) as session:
        cases.post_message(
            session=session,
            actor=users.load_actor(session=session, username="tomas.asesor"),
            uploads=uploads,
            number=number,
            body=REPLY,
        )

    log_in(page, live_app.url, "eva.mala")
    page.get_by_text(f"Hola, {NAME}").first.wait_for()
    go_to(page, "Mesa de Servicio", "Verificar mis Casos")
    page.get_by_text(f"#{number} · ").first.click()
    page.get_by_text("[enlace](javascript:window.__pwned=3)", exact=False).first.wait_for()
    page.get_by_text(REPLY).first.wait_for()
    settle(page)

    # What the user typed is on the screen, character for character…
    body = page.locator("body").inner_text()
    for typed in (
        SUBJECT,
        "**negrita**",
        "[enlace](javascript:window.__pwned=3)",
        "<script>window.__pwned=2</script>",
        REPLY,
    ):
        assert typed in body, typed
    assert FILE_NAME in body
    # …and nothing of it became part of the page.
    assert page.evaluate("window.__pwned") is None
    main = page.locator('[data-testid="stMain"]')
    for selector in (
        "img[src='x']",
        "svg[onload]",
        "iframe[src^='javascript']",
        "a[href^='javascript']",
        "img[src^='http://malo']",
    ):
        assert main.locator(selector).count() == 0, selector
    assert main.locator("script", has_text="__pwned").count() == 0
    assert main.locator("strong", has_text="negrita").count() == 0  # Markdown stayed asterisks
    assert main.locator("i", has_text="Eva").count() == 0
    assert main.locator("a", has_text="enlace").count() == 0
    assert "__pwned" not in "".join(f.url for f in page.frames)  # the app's own frames only
