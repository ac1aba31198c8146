"""A file above the desk's upload limit is refused in Spanish, with its size, in a real browser."""

from tests.browser.conftest import log_in, open_dialog, settle


def test_an_oversize_attachment_is_refused_in_spanish(live_app, page):
    log_in(page, live_app.url + "/registrar", "ana.perez")
    page.get_by_role("button", name="Gestión Tecnológica").click()
    settle(page)
    page.get_by_text("Soporte de equipos", exact=True).click()
    dialog = open_dialog(page, "Adjuntar archivo")
    big = b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024)  # MESA_MAX_UPLOAD_MB is 10
    dialog.locator('[data-testid="stFileUploader"] input[type=file]').set_input_files(
        {"name": "informe.pdf", "mimeType": "application/pdf", "buffer": big}
    )
    dialog.get_by_text("informe.pdf", exact=True).wait_for()
    dialog.get_by_role("textbox", name="Descripción").fill("Informe completo")
    settle(page)
    dialog.get_by_role("button", name="Guardar adjunto").click()
    dialog.get_by_text("el máximo permitido es 10 MB").wait_for()
    assert page.get_by_text("or smaller").count() == 0
    assert page.get_by_role("button", name="Adjuntar archivo (1)").count() == 0
