"""Attacks a user could try, each a test that fails if the attack works: other people's cases, staff pages,
injected markup, hostile uploads and sessions that outlive a password change.

Real parts only: a real database, files on disk under the app's storage folder, the app in AppTest and a
real SMTP server on 127.0.0.1.
"""

import json
import re
import unicodedata
from datetime import timedelta

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from app_pages.ui import md
from models import Area, Attachment, Case, CaseEvent, CaseMessage, Notification, ServiceOption, User
from services import cases, catalogue, clock, i18n, inbox, notifications, outbox, reports, surveys, users, workflow
from services.cases import NewFile, Uploads
from services.db import unit_of_work
from services.errors import NotFound, PermissionDenied, ServiceError, ValidationFailed
from services.settings import load_settings
from services.storage import MAX_NAME_LEN, Storage
from tests.conftest import (
    PASSWORD,
    ROOT,
    app_test,
    logged_in_app,
    make_user,
    open_session_for,
    page_titles,
    texts,
)

GT = "Gestión Tecnológica"
SG = "Servicios Generales"
SECRET_SUBJECT = "Clave del servidor de nómina"
SECRET_DESCRIPTION = "La clave nueva es Pz-8841-secreta"

# What an attacker types: HTML, JavaScript and Markdown that would run, link or load something if rendered.
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
MARKDOWN = "**negrita** [link](javascript:alert(1))"
REMOTE_IMAGE = "![x](http://evil/x.png)"
PAYLOAD = f"{SCRIPT} {IMG} {MARKDOWN} {REMOTE_IMAGE}"
# Any of these in a Markdown source, not preceded by the backslash md() puts before it, is live markup.
LIVE_MARKUP = re.compile(r"(?<!\\)(?:<script|<img|\*\*negrita|\]\(javascript|!\[x\])", re.IGNORECASE)


# --- people, cases and what the pages show --------------------------------------------------------


@pytest.fixture
def people(desk):
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    make_user(desk, "carlos.gomez", full_name="Carlos Gómez")
    make_user(desk, "laura.rios", role="advisor", areas=[GT], full_name="Laura Ríos")
    make_user(desk, "jorge.diaz", role="advisor", areas=[SG], full_name="Jorge Díaz")
    make_user(desk, "marta.luna", role="manager", full_name="Marta Luna")
    return desk


@pytest.fixture
def uploads(data_dir):
    """The folder the app itself stores attachments in (MESA_DATA_DIR/attachments), 1 MB per file."""
    return Uploads(storage=Storage(data_dir / "attachments"), max_mb=1)


def _actor(engine, username):
    with unit_of_work(engine, write=False) as session:
        return users.load_actor(session=session, username=username)


def _option(engine, name="Impresoras"):
    with unit_of_work(engine, write=False) as session:
        return session.scalar(sa.select(ServiceOption.id).where(ServiceOption.name == name))


def _register(
    engine,
    uploads,
    username="ana.perez",
    subject=SECRET_SUBJECT,
    description=SECRET_DESCRIPTION,
    option="Impresoras",
    files=(),
):
    with unit_of_work(engine) as session:
        return cases.register_case(
            session=session,
            actor=users.load_actor(session=session, username=username),
            uploads=uploads,
            option_id=_option(engine, option),
            subject=subject,
            description=description,
            files=files,
        )


def _post(engine, uploads, username, number, body, internal=False, files=()):
    with unit_of_work(engine) as session:
        return cases.post_message(
            session=session,
            actor=users.load_actor(session=session, username=username),
            uploads=uploads,
            number=number,
            body=body,
            internal=internal,
            files=files,
        )


def _staff(engine, service, username, **kwargs):
    with unit_of_work(engine) as session:
        return service(session=session, actor=users.load_actor(session=session, username=username), **kwargs)


def _count(engine, model):
    with unit_of_work(engine, write=False) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model))


def _files_under(folder):
    """Every file below a folder, temporary upload files included."""
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def _shown(at: AppTest) -> str:
    """Every Markdown source on the page: texts plus the labels Streamlit renders as Markdown."""
    labels = [e.label for e in at.expander] + [b.label for b in at.button]
    labels += [d.label for d in at.get("download_button")] + [str(t.value) for t in at.toast]
    return "\n".join([texts(at), *labels])


def _button(at, label):
    return next(b for b in at.button if b.label.startswith(label))


def _registration_form(engine, username):
    """Registrar un Caso filled in (Gestión Tecnológica · Impresoras), ready for files and Enviar caso."""
    at = logged_in_app(username)
    at.switch_page("app_pages/registrar.py").run()
    _button(at, GT).click().run()
    at.radio(key="reg_option").set_value(_option(engine, "Impresoras")).run()
    at.text_input(key="reg_subject").input("Archivos raros")
    at.text_area(key="reg_description").input("Intento adjuntar de todo")
    return at.run()


def _upload_in_dialog(at, name, data):
    n = at.session_state.get("reg_n", 0)
    at.file_uploader(key=f"reg_up_{n}").upload(name, data, "application/octet-stream")
    _button(at, "💾").click().run()


# --- 1. another user's case: by number, by URL, by attachment, through Mensajes and exports -------


def test_searching_verificar_for_another_employees_case_number_or_words_finds_nothing(people, uploads):
    theirs = _register(people, uploads)
    _register(people, uploads, username="carlos.gomez", subject="Mouse dañado", description="No hace clic")
    at = logged_in_app("carlos.gomez")
    at.switch_page("app_pages/verificar.py").run()
    for search in (str(theirs.number), f"#{theirs.number}", "nómina", "clave servidor", "Pz-8841"):
        at.text_input(key="ver_search").input(search).run()
        assert "Ningún caso coincide con la búsqueda." in texts(at) and not at.expander, search
        assert "nómina" not in _shown(at) and "Pz" not in _shown(at), search
    assert not at.exception
    home = logged_in_app("carlos.gomez")
    assert "nómina" not in _shown(home) and "Mouse dañado" in _shown(home)


def test_a_case_number_in_the_url_in_any_spelling_never_opens_another_employees_case(people, uploads):
    theirs = _register(people, uploads)
    at = logged_in_app("carlos.gomez")
    at.switch_page("app_pages/verificar.py").run()
    for spelling in ("{n}", "#{n}", " {n} ", "0{n}", "{n}.0", "-{n}", "{n} OR 1=1", "{n}'--", "%23{n}", "\u0661"):
        at.query_params["caso"] = spelling.format(n=theirs.number)
        at.run()
        assert not at.exception, spelling
        assert "Caso no encontrado." in texts(at), spelling
        assert SECRET_SUBJECT not in _shown(at) and "Pz-8841" not in _shown(at), spelling
        assert not at.chat_input, spelling  # no conversation to write into


def test_an_advisor_of_the_other_area_cannot_open_a_case_by_url_in_the_inbox(people, uploads):
    theirs = _register(people, uploads)
    at = logged_in_app("jorge.diaz")
    at.switch_page("app_pages/bandeja.py").run()
    for spelling in ("{n}", "#{n}", " 0{n}"):
        at.query_params["caso"] = spelling.format(n=theirs.number)
        at.run()
        assert not at.exception, spelling
        assert "Caso no encontrado." in texts(at), spelling
        assert SECRET_SUBJECT not in _shown(at) and "Pz-8841" not in _shown(at), spelling
        assert not [b for b in at.button if b.label in ("Tomar", "Resolver")], spelling
    at.query_params.pop("caso")
    at.run()
    assert "No hay casos" in texts(at) and not at.dataframe  # the other area's queue is not in his


@pytest.mark.parametrize(("username", "page"), [("carlos.gomez", "verificar"), ("jorge.diaz", "bandeja")])
def test_a_case_number_too_big_for_the_database_is_not_found_instead_of_breaking_the_page(
    people, uploads, username, page
):
    _register(people, uploads)
    for number in ("99999999999999999999", "9223372036854775808"):
        with pytest.raises(NotFound), unit_of_work(people, write=False) as session:
            cases.get_case(session=session, actor=_actor(people, username), number=number)
        at = logged_in_app(username)
        at.query_params["caso"] = number
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception, number
        assert "Caso no encontrado." in texts(at), number


def test_an_internal_attachment_and_another_areas_attachment_stay_unreadable_by_id(people, uploads):
    theirs = _register(people, uploads, files=[NewFile("cedula.txt", b"CC 1234")])
    note = _post(
        people,
        uploads,
        "laura.rios",
        theirs.number,
        "Revisar",
        internal=True,
        files=[NewFile("diagnostico.txt", b"disco danado")],
    )
    public_id, internal_id = theirs.attachments[0].id, note.attachments[0].id
    refused = [
        ("carlos.gomez", public_id),
        ("carlos.gomez", internal_id),
        ("jorge.diaz", public_id),
        ("jorge.diaz", internal_id),
        ("ana.perez", internal_id),
        ("ana.perez", -1),
        ("ana.perez", 0),
    ]
    for username, attachment_id in refused:
        with pytest.raises(NotFound) as missing, unit_of_work(people, write=False) as session:
            cases.read_attachment(
                session=session,
                actor=users.load_actor(session=session, username=username),
                storage=uploads.storage,
                attachment_id=attachment_id,
            )
        assert missing.value.key == "attachment.not_found", (username, attachment_id)
    with unit_of_work(people, write=False) as session:
        own = cases.read_attachment(
            session=session,
            actor=users.load_actor(session=session, username="ana.perez"),
            storage=uploads.storage,
            attachment_id=public_id,
        )
    assert own == ("cedula.txt", "text/plain", b"CC 1234")


def test_another_users_notifications_are_never_listed_opened_or_marked(people, uploads):
    theirs = _register(people, uploads)
    _post(people, uploads, "laura.rios", theirs.number, "Ya la cambiamos")
    carlos = _actor(people, "carlos.gomez")
    with unit_of_work(people, write=False) as session:
        foreign = session.scalars(sa.select(Notification.id).where(Notification.user_id != carlos.id)).all()
    assert foreign
    for notification_id in foreign:
        with pytest.raises(NotFound), unit_of_work(people) as session:
            notifications.open_notification(session=session, actor=carlos, notification_id=notification_id)
    with unit_of_work(people) as session:
        assert notifications.list_notifications(session=session, actor=carlos).total == 0
        assert notifications.mark_all_read(session=session, actor=carlos) == 0
    with unit_of_work(people, write=False) as session:
        assert (
            session.scalar(
                sa.select(sa.func.count()).select_from(Notification).where(Notification.read_at.is_not(None))
            )
            == 0
        )
    at = logged_in_app("carlos.gomez")
    at.switch_page("app_pages/mensajes.py").run()
    assert "0 sin leer de 0" in texts(at) and "No tiene notificaciones." in texts(at)
    assert "nómina" not in _shown(at) and not [b for b in at.button if b.label == "Abrir"]


def _answered_case_with_a_conversation(engine, uploads):
    case = _register(engine, uploads)
    _post(engine, uploads, "ana.perez", case.number, "MENSAJE-PUBLICO-del-solicitante")
    _post(engine, uploads, "laura.rios", case.number, "NOTA-INTERNA-no-exportar", internal=True)
    _post(engine, uploads, "laura.rios", case.number, "RESPUESTA-PUBLICA-del-asesor")
    _staff(
        engine,
        workflow.resolve_case,
        "laura.rios",
        number=case.number,
        solution="SOLUCION-del-caso",
        expected_version=None,
    )
    with unit_of_work(engine) as session:
        surveys.answer(
            session=session,
            actor=users.load_actor(session=session, username="ana.perez"),
            number=case.number,
            round=1,
            resolved=True,
        )
    return case.number


def test_reports_and_exports_are_refused_to_employees_and_advisors(people, uploads):
    _answered_case_with_a_conversation(people, uploads)
    today = clock.now().date()
    window = reports.ReportFilters(start=today - timedelta(days=2), end=today + timedelta(days=2))
    for username in ("ana.perez", "carlos.gomez", "laura.rios", "jorge.diaz"):
        for service in (reports.export_rows, reports.charts, reports.latest_comments, reports.key_figures):
            with pytest.raises(PermissionDenied), unit_of_work(people, write=False) as session:
                service(session=session, actor=users.load_actor(session=session, username=username), filters=window)


def test_a_managers_export_carries_no_conversation_internal_note_or_description(people, uploads):
    number = _answered_case_with_a_conversation(people, uploads)
    today = clock.now().date()
    window = reports.ReportFilters(start=today - timedelta(days=2), end=today + timedelta(days=2))
    with unit_of_work(people, write=False) as session:
        export = reports.export_rows(
            session=session, actor=users.load_actor(session=session, username="marta.luna"), filters=window
        )
    assert export["Caso"].tolist() == [number]  # the answer is there...
    exported = export.to_csv(index=False)
    for private in ("NOTA-INTERNA", "MENSAJE-PUBLICO", "RESPUESTA-PUBLICA", "Pz-8841", "SOLUCION-del-caso"):
        assert private not in exported, private  # ...and nothing said on the case


# --- 2. staff pages by URL path -------------------------------------------------------------------

STAFF_PAGES = {
    "bandeja": ("Bandeja de casos", ("advisor", "manager", "admin")),
    "satisfaccion": ("Satisfacción", ("manager", "admin")),
    "admin_usuarios": ("Usuarios", ("admin",)),
    "admin_catalogo": ("Áreas y opciones", ("admin",)),
    "admin_sla": ("Acuerdos de servicio", ("admin",)),
    "admin_correo": ("Correo", ("admin",)),
    "admin_auditoria": ("Auditoría", ("admin",)),
}
USER_OF_ROLE = {"employee": "ana.perez", "advisor": "laura.rios", "manager": "marta.luna"}


@pytest.mark.parametrize("role", ["employee", "advisor", "manager"])
def test_every_staff_page_script_run_for_a_user_without_its_role_shows_only_the_refusal(people, role):
    at = logged_in_app(USER_OF_ROLE[role])
    refused = [page for page, (_, allowed) in STAFF_PAGES.items() if role not in allowed]
    assert len(refused) == {"employee": 7, "advisor": 6, "manager": 5}[role]
    for page in refused:
        assert STAFF_PAGES[page][0] not in page_titles(at), page
        direct = AppTest.from_file(str(ROOT / "app_pages" / f"{page}.py"), default_timeout=30)
        direct.session_state["mesa_actor"] = at.session_state["mesa_actor"]
        direct.run()
        assert not direct.exception, page
        assert texts(direct) in ("", i18n.t("error.forbidden_page")), page
        assert not (direct.dataframe or direct.text_input or direct.button or direct.selectbox), page


@pytest.mark.parametrize(
    ("role", "page"),
    [
        ("employee", "bandeja"),
        ("employee", "satisfaccion"),
        ("employee", "admin_usuarios"),
        ("advisor", "admin_correo"),
        ("manager", "admin_auditoria"),
    ],
)
def test_a_deep_link_to_a_staff_page_lands_a_user_without_the_role_on_inicio(people, role, page):
    at = app_test().run()  # logged out: every page is registered, as for a URL typed in the browser
    at.switch_page(f"app_pages/{page}.py")
    at.session_state["mesa_session"] = open_session_for(USER_OF_ROLE[role])  # then the cookie logs the user in
    at.run()
    assert not at.exception
    assert STAFF_PAGES[page][0] not in texts(at)
    assert "Hola," in texts(at)  # Inicio
    assert not at.dataframe and "Crear usuario" not in [b.label for b in at.button]


# --- 3. HTML, JavaScript and Markdown typed by users ------------------------------------------------


@pytest.fixture
def injected(desk, uploads):
    """A case where every text a user can type carries the payload: names, subject, description,
    file name and description, messages. Laura (the only GT advisor) gets it automatically."""
    make_user(desk, "ana.perez", full_name=f"Ana {IMG} {MARKDOWN}")
    make_user(desk, "laura.rios", role="advisor", areas=[GT], full_name=f"Laura {SCRIPT} {REMOTE_IMAGE}")
    case = _register(
        desk,
        uploads,
        subject=PAYLOAD,
        description=f"{PAYLOAD}\n{PAYLOAD}",
        files=[NewFile(f"{IMG} **negrita**.txt", b"hola", description=PAYLOAD)],
    )
    _post(desk, uploads, "ana.perez", case.number, f"Mensaje {PAYLOAD}")
    _post(desk, uploads, "laura.rios", case.number, f"Respuesta {PAYLOAD}")
    return case.number


@pytest.mark.parametrize(
    ("username", "page", "by_url"),
    [
        ("ana.perez", "inicio", False),
        ("ana.perez", "verificar", True),
        ("ana.perez", "mensajes", False),
        ("laura.rios", "bandeja", True),
        ("laura.rios", "mensajes", False),
    ],
)
def test_injected_markup_is_shown_as_typed_on_every_page(injected, username, page, by_url):
    at = logged_in_app(username)
    if by_url:
        at.query_params["caso"] = str(injected)
    at.switch_page(f"app_pages/{page}.py").run()
    shown = _shown(at)
    assert not at.exception
    assert md(PAYLOAD) in shown  # the subject, every character of it, as typed
    assert not LIVE_MARKUP.findall(shown), LIVE_MARKUP.findall(shown)
    if by_url:
        for text in (f"Mensaje {PAYLOAD}", f"Respuesta {PAYLOAD}", f"{IMG} **negrita**.txt"):
            assert md(text) in shown, text


def test_a_file_name_with_markup_is_shown_as_typed_in_the_attachments_dialog(desk):
    make_user(desk, "ana.perez")
    at = _registration_form(desk, "ana.perez")
    _button(at, "Adjuntar archivo").click().run()
    live = {}
    # Accepted ("Archivo … agregado."), refused for its type, refused for its name: each message names the file.
    for name in (f"{MARKDOWN}.txt", f"{IMG}.exe", f"{REMOTE_IMAGE}.txt"):
        _upload_in_dialog(at, name, b"hola")
        if found := LIVE_MARKUP.findall(_shown(at)):
            live[name] = found
    assert live == {}


def test_an_advisors_own_name_with_markup_is_shown_as_typed_in_a_colleagues_error_message(desk, uploads):
    make_user(desk, "laura.rios", role="advisor", areas=[GT], full_name="Laura Ríos")
    make_user(desk, "mario.ruiz", role="advisor", areas=[GT], full_name="Mario Ruiz")
    make_user(desk, "ana.perez")
    # Laura names herself with markup in Mi cuenta; the case is hers.
    _staff(
        desk,
        users.update_profile,
        "laura.rios",
        full_name=f"Laura {MARKDOWN} {REMOTE_IMAGE}",
        email="laura.rios@example.org",
    )
    with unit_of_work(desk) as session:
        session.execute(sa.update(Area).values(assignment_mode="manual"))
    number = _register(desk, uploads).number
    _staff(desk, workflow.take_case, "laura.rios", number=number, expected_version=None)
    at = logged_in_app("mario.ruiz")
    at.query_params["caso"] = str(number)
    at.switch_page("app_pages/bandeja.py").run()
    at.selectbox(key=f"work_advisor_{number}").set_value("laura.rios")
    _button(at, "Reasignar").click().run()
    assert "El caso ya está asignado a" in texts(at)  # Mario reads the refusal...
    assert not LIVE_MARKUP.findall(_shown(at)), LIVE_MARKUP.findall(_shown(at))  # ...as text, nothing live


def test_a_nul_character_in_any_typed_text_is_dropped_or_refused_alike_on_both_databases(people, uploads):
    """PostgreSQL refuses a NUL in text where SQLite keeps it: typed anywhere, it must neither break the
    action (a database error instead of a Spanish message) nor be stored."""
    number = _register(people, uploads).number
    answered = _register(people, uploads).number
    _staff(people, workflow.resolve_case, "laura.rios", number=answered, solution="Listo", expected_version=None)

    def survey_comment():
        with unit_of_work(people) as session:
            surveys.answer(
                session=session,
                actor=_actor(people, "ana.perez"),
                number=answered,
                round=1,
                resolved=False,
                comment="No\x00 sirvió",
            )

    def read(service, username, **kwargs):
        with unit_of_work(people, write=False) as session:
            service(session=session, actor=_actor(people, username), **kwargs)

    attempts = {
        "asunto y descripción": lambda: _register(people, uploads, subject="Asunto\x00", description="De\x00talle"),
        "mensaje": lambda: _post(people, uploads, "ana.perez", number, "Hola\x00"),
        "descripción de un archivo": lambda: _register(people, uploads, files=[NewFile("a.txt", b"x", "de\x00sc")]),
        "búsqueda en mis casos": lambda: read(cases.list_my_cases, "ana.perez", search="im\x00presora"),
        "búsqueda en la bandeja": lambda: read(inbox.list_inbox, "laura.rios", filters=inbox.InboxFilters(text="\x00")),
        "nombre en Mi cuenta": lambda: _staff(
            people, users.update_profile, "carlos.gomez", full_name="Carlos\x00 G", email="carlos.gomez@example.org"
        ),
        "motivo al reclasificar": lambda: _staff(
            people,
            workflow.reclassify,
            "laura.rios",
            number=number,
            urgency="high",
            option_id=_option(people),
            reason="Mo\x00tivo",
            expected_version=None,
        ),
        "solución": lambda: _staff(
            people, workflow.resolve_case, "laura.rios", number=number, solution="Lis\x00to", expected_version=None
        ),
        "comentario de la encuesta": survey_comment,
        "correo en Mi cuenta": lambda: _staff(
            people, users.update_profile, "carlos.gomez", full_name="Carlos G", email="carlos\x00@example.org"
        ),
        "opción nueva": lambda: _staff(
            people, catalogue.add_option, "admin.mesa", area_id=1, name="Op\x00ción", description="De\x00scripción"
        ),
        "búsqueda de usuarios": lambda: read(users.list_users, "admin.mesa", text="ana\x00"),
    }
    broken = []
    for label, attempt in attempts.items():
        try:
            attempt()
        except ServiceError:
            pass  # refused with its message: fine
        except Exception as exc:  # noqa: BLE001 - anything else is what a user would meet as a broken page
            broken.append(f"{label}: {type(exc).__name__}")
    columns = {
        "asunto": Case.subject,
        "descripción": Case.description,
        "solución": Case.solution,
        "mensajes": CaseMessage.body,
        "archivos": Attachment.description,
        "nombres": User.full_name,
        "línea de tiempo": CaseEvent.detail,
        "correos": User.email,
        "opciones": ServiceOption.name,
        "descripciones de opciones": ServiceOption.description,
    }
    with unit_of_work(people, write=False) as session:
        stored_nul = [
            label
            for label, column in columns.items()
            if any("\\u0000" in json.dumps(value) for value in session.scalars(sa.select(column)))
        ]
    assert (broken, stored_nul) == ([], [])


def test_every_email_escapes_injected_markup_in_html_and_keeps_it_as_text(desk, uploads, smtp):
    make_user(desk, "ana.perez", full_name=f"Ana {IMG}")
    make_user(desk, "laura.rios", role="advisor", areas=[GT], full_name=f"Laura {SCRIPT}")
    # A subject trying to add a header: whitespace collapses into one Subject line, nobody else is written to.
    case = _register(desk, uploads, subject=f"{PAYLOAD}\r\nBcc: intruso@example.org", description=PAYLOAD)
    _post(desk, uploads, "ana.perez", case.number, f"Mensaje {PAYLOAD}")
    _post(desk, uploads, "laura.rios", case.number, f"Respuesta {PAYLOAD}")
    _staff(
        desk,
        workflow.resolve_case,
        "laura.rios",
        number=case.number,
        solution=f"Solución {PAYLOAD}",
        expected_version=None,
    )
    with unit_of_work(desk) as session:
        surveys.answer(
            session=session,
            actor=users.load_actor(session=session, username="ana.perez"),
            number=case.number,
            round=1,
            resolved=False,
            comment=f"No sirvió {PAYLOAD}",
        )
    report = outbox.deliver_pending(desk, load_settings())
    assert report.failed == 0 and report.sent == len(smtp.received) >= 6
    assert {r.to[0] for r in smtp.received} == {"ana.perez@example.org", "laura.rios@example.org"}
    kinds = set()
    for mail in smtp.received:
        html, text = mail.part("html"), mail.part("plain")
        assert not re.search(r"<\s*(script|img)\b", html, re.IGNORECASE), mail.subject
        assert not re.search(r"href\s*=\s*[\"']?\s*javascript:", html, re.IGNORECASE), mail.subject
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
        assert SCRIPT in text and IMG in text  # the plain part keeps the text as typed
        assert "\n" not in mail.subject and "\r" not in mail.subject and mail.message["Bcc"] is None
        assert mail.subject.startswith(f"[Caso #{case.number}] ") and SCRIPT in mail.subject
        kinds.add(mail.subject.split("] ")[1].split(":")[0])
    assert {"Caso registrado", "Caso asignado", "Nuevo mensaje", "Caso resuelto", "Caso reabierto"} <= kinds


# --- 4. hostile uploads -------------------------------------------------------------------------

MZ = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200
# name, content, refusal key, what the Spanish message says
REFUSED_UPLOADS = [
    ("grande.txt", b"a" * (1024 * 1024 + 1), "attachment.too_large", "pesa 1.0 MB; el máximo permitido es 1 MB"),
    ("programa.exe", b"hola", "attachment.forbidden_type", "No se permiten archivos .exe"),
    ("pagina.html", b"<html><script>alert(1)</script></html>", "attachment.forbidden_type", "archivos .html"),
    (
        "dibujo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        "attachment.forbidden_type",
        "archivos .svg",
    ),
    ("macro.js", b"alert(1)", "attachment.forbidden_type", "archivos .js"),
    ("instalar.bat", b"del *.*", "attachment.forbidden_type", "archivos .bat"),
    ("sin_extension", b"hola", "attachment.forbidden_type", "No se permiten archivos sin extensión"),
    ("factura.pdf", MZ, "attachment.executable", "es un programa ejecutable"),
    ("foto.png", ELF, "attachment.executable", "es un programa ejecutable"),
    ("notas.txt", ELF, "attachment.executable", "es un programa ejecutable"),
    ("foto.png", b"esto es texto, no una imagen", "attachment.content_mismatch", "no corresponde a un archivo .png"),
    ("../../etc/passwd", b"root:x:0:0", "attachment.name_invalid", "no es válido"),
    ("..\\x.txt", b"hola", "attachment.name_invalid", "no es válido"),
    ("/etc/passwd", b"root:x:0:0", "attachment.name_invalid", "no es válido"),
    ("C:\\Windows\\win.ini", b"[fonts]", "attachment.name_invalid", "no es válido"),
    ("..", b"hola", "attachment.name_invalid", "no es válido"),
    ("factura\u202efdp.exe", b"hola", "attachment.name_hidden_chars", "caracteres de control u ocultos"),
    ("nota\x00.txt", b"hola", "attachment.name_hidden_chars", "caracteres de control u ocultos"),
    ("linea\n.txt", b"hola", "attachment.name_hidden_chars", "caracteres de control u ocultos"),
    ("linea\u2028dos.txt", b"hola", "attachment.name_hidden_chars", "caracteres de control u ocultos"),
    ("vacio.txt", b"", "attachment.empty", "está vacío"),
]


def _nothing_stored(engine, uploads, data_dir, *, cases_before, attachments_before=0, messages_before=0):
    assert _count(engine, Case) == cases_before
    assert _count(engine, Attachment) == attachments_before
    assert _count(engine, CaseMessage) == messages_before
    stored = _files_under(uploads.storage.root)
    assert len(stored) == attachments_before, stored
    assert [p for p in _files_under(data_dir) if p.suffix in (".txt", ".exe", ".png", ".pdf")] == []


def test_each_hostile_upload_is_refused_in_spanish_on_every_path_and_nothing_is_stored(people, uploads, data_dir):
    good = NewFile("bien.txt", b"un archivo valido que va primero")
    for name, data, key, spanish in REFUSED_UPLOADS:
        with pytest.raises(ValidationFailed) as refused:
            _register(people, uploads, files=[good, NewFile(name, data, "descripción")])
        assert (refused.value.key, refused.value.field) == (key, "attachments"), name
        assert spanish in i18n.t(refused.value.key, "es", **refused.value.params), name
        _nothing_stored(people, uploads, data_dir, cases_before=0)

    number = _register(people, uploads).number  # a case with no files: the same files added later, two ways
    for name, data, key, _ in REFUSED_UPLOADS:
        with pytest.raises(ValidationFailed) as on_add, unit_of_work(people) as session:
            cases.add_attachments(
                session=session,
                actor=users.load_actor(session=session, username="ana.perez"),
                uploads=uploads,
                number=number,
                files=[good, NewFile(name, data)],
            )
        with pytest.raises(ValidationFailed) as on_message:
            _post(people, uploads, "laura.rios", number, "Adjunto el archivo", files=[good, NewFile(name, data)])
        assert on_add.value.key == on_message.value.key == key, name
        _nothing_stored(people, uploads, data_dir, cases_before=1)


def test_an_eleventh_file_is_refused_however_it_arrives_and_nothing_of_it_is_stored(people, uploads, data_dir):
    files = [NewFile(f"nota{i}.txt", f"nota número {i}".encode()) for i in range(11)]
    with pytest.raises(ValidationFailed) as at_once:
        _register(people, uploads, files=files)
    assert at_once.value.key == "attachment.too_many"
    assert i18n.t("attachment.too_many", "es", **at_once.value.params) == (
        "Un caso admite como máximo 10 archivos adjuntos."
    )
    _nothing_stored(people, uploads, data_dir, cases_before=0)

    number = _register(people, uploads, files=files[:6]).number
    _post(people, uploads, "ana.perez", number, "Más fotos", files=files[6:9])
    with pytest.raises(ValidationFailed) as by_message:
        _post(people, uploads, "ana.perez", number, "Y dos más", files=files[9:11])
    with pytest.raises(ValidationFailed) as by_adding, unit_of_work(people) as session:
        cases.add_attachments(
            session=session, actor=_actor(people, "ana.perez"), uploads=uploads, number=number, files=files[9:11]
        )
    assert by_message.value.key == by_adding.value.key == "attachment.too_many"
    _nothing_stored(people, uploads, data_dir, cases_before=1, attachments_before=9, messages_before=1)


ACCEPTED_NAMES = [
    ("x" * 300 + ".txt", "x" * (MAX_NAME_LEN - 4) + ".txt"),
    ("😀" * 300 + ".txt", "😀" * (MAX_NAME_LEN - 4) + ".txt"),
    ("Informe niño café ñandú 😀.txt", "Informe niño café ñandú 😀.txt"),
    ("cafe\u0301 decompuesto.txt", "café decompuesto.txt"),
    ("  espacios alrededor.txt  ", "espacios alrededor.txt"),
    ("%2e%2e%2fetc%2fpasswd.txt", "%2e%2e%2fetc%2fpasswd.txt"),
    ("عربي مرحبا.txt", "عربي مرحبا.txt"),
]


def _safe_name(name: str) -> bool:
    return (
        0 < len(name) <= MAX_NAME_LEN
        and "/" not in name
        and "\\" not in name
        and not name.startswith("..")
        and not any(unicodedata.category(ch)[0] == "C" or unicodedata.category(ch) in ("Zl", "Zp") for ch in name)
    )


def test_long_and_unicode_names_are_kept_as_safe_data_and_the_bytes_live_only_under_their_hash(
    people, uploads, data_dir
):
    files = [NewFile(raw, f"contenido {i}".encode()) for i, (raw, _) in enumerate(ACCEPTED_NAMES)]
    case = _register(people, uploads, files=files)
    assert [a.name for a in case.attachments] == [clean for _, clean in ACCEPTED_NAMES]
    root = uploads.storage.root.resolve()
    with unit_of_work(people, write=False) as session:
        rows = session.scalars(sa.select(Attachment).order_by(Attachment.id)).all()
    for row in rows:
        assert _safe_name(row.original_name), row.original_name
        on_disk = uploads.storage.path_for(row.content_hash).resolve()
        assert on_disk.is_relative_to(root) and on_disk.is_file()
    stored = _files_under(data_dir)
    assert all(re.fullmatch(r"[0-9a-f]{64}", p.name) for p in stored if p.is_relative_to(uploads.storage.root))
    assert not [p for p in stored if p.suffix == ".txt" or "passwd" in p.name or "Informe" in p.name]


def test_the_attachments_dialog_refuses_hostile_files_in_spanish_and_the_case_gets_none(desk, monkeypatch, data_dir):
    monkeypatch.setenv("MESA_MAX_UPLOAD_MB", "1")
    make_user(desk, "ana.perez")
    at = _registration_form(desk, "ana.perez")
    _button(at, "Adjuntar archivo").click().run()
    for name, data, _, spanish in REFUSED_UPLOADS:
        _upload_in_dialog(at, name, data)
        shown = re.sub(r"\\(.)", r"\1", texts(at))  # as the browser shows the Markdown: escapes removed
        assert spanish in shown, name
        assert not at.exception
    _button(at, "Cerrar").click().run()
    assert _button(at, "Adjuntar archivo").label == "Adjuntar archivo"  # no file waits to be sent
    _button(at, "Enviar caso").click().run()
    assert "Su caso fue registrado con el número 1" in texts(at)
    assert _count(desk, Attachment) == 0
    assert _files_under(data_dir / "attachments") == []


# --- 5. sessions after a password change or a role change ----------------------------------------


def test_an_open_session_ends_when_an_admin_resets_the_password_and_its_last_message_is_not_saved(people, uploads):
    number = _register(people, uploads).number
    at = logged_in_app("ana.perez")
    at.query_params["caso"] = str(number)
    at.switch_page("app_pages/verificar.py").run()
    assert SECRET_SUBJECT in texts(at)
    with unit_of_work(people) as session:
        users.reset_password(session=session, actor=_actor(people, "admin.mesa"), username="ana.perez")
    at.chat_input(key=f"chat_{number}").set_value("Escrito después del cambio de clave").run()
    assert "Su sesión terminó" in texts(at)
    assert [ti.label for ti in at.text_input] == ["Usuario", "Clave"]
    assert SECRET_SUBJECT not in _shown(at)
    assert _count(people, CaseMessage) == 0
    at.run()  # and it stays logged out
    assert [ti.label for ti in at.text_input] == ["Usuario", "Clave"]


def test_changing_ones_own_password_ends_the_other_open_sessions_but_not_this_one(people):
    elsewhere = logged_in_app("ana.perez")
    here = logged_in_app("ana.perez")
    here.switch_page("app_pages/mi_cuenta.py").run()
    fields = {ti.label: ti for ti in here.text_input}
    fields["Clave actual"].input(PASSWORD)
    fields["Clave nueva"].input("Otra-clave-segura-7")
    fields["Repita la clave nueva"].input("Otra-clave-segura-7")
    next(b for b in here.button if b.label == "Cambiar clave").click()
    here.run()
    here.run()
    assert "Su sesión terminó" not in texts(here) and "Cerrar sesión" in page_titles(here)  # this one goes on
    elsewhere.run()
    assert "Su sesión terminó" in texts(elsewhere)
    assert [ti.label for ti in elsewhere.text_input] == ["Usuario", "Clave"]


def test_an_advisor_demoted_to_employee_loses_the_inbox_and_a_pending_click_changes_nothing(people, uploads):
    with unit_of_work(people) as session:
        session.execute(sa.update(Area).values(assignment_mode="manual"))
    number = _register(people, uploads).number
    at = logged_in_app("laura.rios")
    at.query_params["caso"] = str(number)
    at.switch_page("app_pages/bandeja.py").run()
    assert f"Caso #{number}" in texts(at)
    with unit_of_work(people) as session:
        users.update_user(
            session=session,
            actor=_actor(people, "admin.mesa"),
            username="laura.rios",
            full_name="Laura Ríos",
            email="laura.rios@example.org",
            role="employee",
        )
    _button(at, "Tomar").click().run()
    with unit_of_work(people, write=False) as session:
        case = session.scalar(sa.select(Case).where(Case.number == number))
    assert (case.assignee_id, case.status) == (None, "new")
    assert "Bandeja de casos" not in page_titles(at)
    assert SECRET_SUBJECT not in _shown(at)
