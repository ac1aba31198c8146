"""The manual in a real browser: log in, register a case with a file, get its number, find it again."""

import re

from tests.browser.conftest import ARTIFACTS, go_to, log_in, open_dialog, settle, wait_for_mail


def test_an_employee_registers_a_case_and_finds_it_in_verificar(live_app, page, tmp_path):
    attachment = tmp_path / "detalle.txt"
    attachment.write_text("La impresora del segundo piso muestra el error E-42.\n")
    page.set_viewport_size({"width": 1280, "height": 1400})
    log_in(page, live_app.url, "ana.perez")
    page.get_by_text("Hola, Ana Pérez").first.wait_for()

    go_to(page, "Mesa de Servicio", "Registrar un Caso")
    page.get_by_role("button", name="Gestión Tecnológica").click()
    page.get_by_text("Impresoras", exact=True).click()
    page.get_by_role("textbox", name="Asunto").fill("La impresora no imprime")
    page.get_by_role("textbox", name="Describa lo que pasó").fill("Sale el error E-42 al imprimir.")
    dialog = open_dialog(page, "Adjuntar archivo")
    dialog.locator('[data-testid="stFileUploader"] input[type=file]').set_input_files(str(attachment))
    dialog.get_by_text("detalle.txt").wait_for()
    dialog.get_by_role("textbox", name="Descripción").fill("Foto del error")
    dialog.get_by_role("button", name="Guardar adjunto").click()
    dialog.get_by_text("Archivo detalle.txt agregado.").wait_for()
    dialog.get_by_role("button", name="Cerrar").click()
    page.get_by_role("button", name="Adjuntar archivo (1)").wait_for()
    page.screenshot(path=str(ARTIFACTS / "registrar.png"))

    settle(page)
    page.get_by_role("button", name="Enviar caso").click()
    confirmation = page.get_by_role("dialog").get_by_text(re.compile(r"Su caso fue registrado con el número \d+"))
    confirmation.wait_for()
    number = re.search(r"\d+", confirmation.inner_text()).group()
    page.get_by_role("button", name="OK").click()
    page.get_by_text(f"Caso #{number}").wait_for()
    page.get_by_role("button", name=re.compile("detalle.txt")).wait_for()
    page.screenshot(path=str(ARTIFACTS / "resumen.png"))

    go_to(page, "Mesa de Servicio", "Verificar mis Casos")
    heading = page.get_by_text(f"#{number} · La impresora no imprime · Registrado · Medio")
    heading.wait_for()
    heading.click()
    page.get_by_text("Sale el error E-42 al imprimir.").wait_for()
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "verificar.png"))

    # The "case opened" e-mail, sent by the app's own background sender.
    mail = wait_for_mail(live_app.smtp, "ana.perez@example.org", f"[Caso #{number}] Caso registrado")
    assert "La impresora no imprime" in mail[0].part("plain")
