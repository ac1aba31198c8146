"""A manager (coordinador) reads every area's cases and acts on none; advisors act on their areas', admins on all.

Every case action asks the one rule in services/workflow.py (allowed); the work view in the
Bandeja renders the flags it computes, so a manager sees the case and no button that would change it.
"""

import pytest
import sqlalchemy as sa

from models import Area, Attachment, Case, CaseEvent, CaseMessage, Notification, OutboxEmail, ServiceOption
from services import cases, i18n, inbox, users, workflow
from services.cases import NewFile, Uploads
from services.db import unit_of_work
from services.errors import PermissionDenied
from services.storage import Storage
from tests.conftest import logged_in_app, make_user, texts

GT = "Gestión Tecnológica"
SG = "Servicios Generales"
READ_ONLY = "Su rol permite consultar los casos, no atenderlos."


@pytest.fixture
def uploads(tmp_path):
    return Uploads(Storage(tmp_path / "files"), 5)


@pytest.fixture
def people(desk):
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    make_user(desk, "laura.rios", role="advisor", areas=[GT], full_name="Laura Ríos")
    make_user(desk, "mario.ruiz", role="advisor", areas=[GT], full_name="Mario Ruiz")
    make_user(desk, "jorge.diaz", role="advisor", areas=[SG], full_name="Jorge Díaz")
    make_user(desk, "marta.luna", role="manager", full_name="Marta Luna")
    return desk


def _actor(engine, username):
    with unit_of_work(engine, write=False) as session:
        return users.load_actor(session=session, username=username)


def _option_id(engine, name):
    with unit_of_work(engine, write=False) as session:
        return session.scalar(sa.select(ServiceOption.id).where(ServiceOption.name == name))


def _register(engine, uploads, option="Impresoras", subject="La impresora no imprime"):
    """A case of Ana's, assigned automatically to the area's advisor (Laura in Gestión Tecnológica)."""
    with unit_of_work(engine) as session:
        return cases.register_case(
            session=session,
            actor=users.load_actor(session=session, username="ana.perez"),
            uploads=uploads,
            option_id=_option_id(engine, option),
            subject=subject,
            description="Sale un error al imprimir.",
        ).number


def _snapshot(engine, number):
    """Everything a refused action must leave as it was."""
    with unit_of_work(engine, write=False) as session:
        case = session.scalar(sa.select(Case).where(Case.number == number))

        def count(model, *where):
            return session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))

        return (
            case.status,
            case.assignee_id,
            case.version,
            case.urgency,
            case.option_id,
            case.solution,
            count(CaseEvent, CaseEvent.case_id == case.id),
            count(CaseMessage, CaseMessage.case_id == case.id),
            count(Attachment, Attachment.case_id == case.id),
            count(Notification),
            count(OutboxEmail),
        )


# Each action a member of the staff can take on a case, as the Bandeja's work view calls it.
ACTIONS = {
    "take": lambda s, a, n, up, v: workflow.take_case(session=s, actor=a, number=n, expected_version=v),
    "reassign": lambda s, a, n, up, v: workflow.assign_case(
        session=s, actor=a, number=n, advisor_username="mario.ruiz", expected_version=v
    ),
    "change status": lambda s, a, n, up, v: workflow.change_status(
        session=s, actor=a, number=n, to="in_progress", expected_version=v
    ),
    "reply": lambda s, a, n, up, v: cases.post_message(
        session=s, actor=a, uploads=up, number=n, body="Ya vamos para allá."
    ),
    "internal note": lambda s, a, n, up, v: cases.post_message(
        session=s, actor=a, uploads=up, number=n, body="Pedir tóner a bodega.", internal=True
    ),
    "reclassify": lambda s, a, n, up, v: workflow.reclassify(
        session=s,
        actor=a,
        number=n,
        urgency="high",
        reason="Toda la sede sin impresión",
        expected_version=v,
        option_id=s.scalar(sa.select(ServiceOption.id).where(ServiceOption.name == "Impresoras")),
    ),
    "resolve": lambda s, a, n, up, v: workflow.resolve_case(
        session=s, actor=a, number=n, solution="Se cambió el tóner.", expected_version=v
    ),
    "attach a file": lambda s, a, n, up, v: cases.add_attachments(
        session=s, actor=a, uploads=up, number=n, files=[NewFile("nota.txt", b"hola")]
    ),
}


def _do(engine, action, actor, number, uploads):
    with unit_of_work(engine, write=False) as session:
        version = session.scalar(sa.select(Case.version).where(Case.number == number))
    with unit_of_work(engine) as session:
        ACTIONS[action](session, actor, number, uploads, version)


@pytest.mark.parametrize("area_option", ["Impresoras", "Aseo"], ids=[GT, SG])
@pytest.mark.parametrize("action", list(ACTIONS))
def test_a_manager_is_refused_every_action_on_a_case_with_the_same_spanish_message(
    people, uploads, action, area_option
):
    number = _register(people, uploads, option=area_option)
    before = _snapshot(people, number)
    with pytest.raises(PermissionDenied) as refused:
        _do(people, action, _actor(people, "marta.luna"), number, uploads)
    assert refused.value.key == "workflow.read_only"
    assert i18n.t(refused.value.key, "es", **refused.value.params) == READ_ONLY
    assert _snapshot(people, number) == before


@pytest.mark.parametrize("action", [name for name in ACTIONS if name != "take"])
def test_an_admin_acts_on_a_case_of_any_area(people, uploads, action):
    number = _register(people, uploads, option="Aseo" if action == "reclassify" else "Impresoras")
    before = _snapshot(people, number)
    _do(people, action, _actor(people, "admin.mesa"), number, uploads)
    assert _snapshot(people, number) != before


def test_only_an_advisor_of_the_area_takes_a_case(people, uploads):
    with unit_of_work(people) as session:
        session.execute(sa.update(Area).values(assignment_mode="manual"))
    number = _register(people, uploads)
    with pytest.raises(PermissionDenied) as admin_refused:
        _do(people, "take", _actor(people, "admin.mesa"), number, uploads)
    assert admin_refused.value.key == "workflow.only_area_advisors_take"
    _do(people, "take", _actor(people, "mario.ruiz"), number, uploads)
    with unit_of_work(people, write=False) as session:
        assert (
            session.scalar(sa.select(Case.assignee_id).where(Case.number == number)) == _actor(people, "mario.ruiz").id
        )


def test_a_manager_reads_the_bandeja_and_every_case_of_every_area(people, uploads):
    gt = _register(people, uploads)
    sg = _register(people, uploads, option="Aseo", subject="Baño sucio")
    with unit_of_work(people) as session:
        cases.post_message(
            session=session,
            actor=users.load_actor(session=session, username="laura.rios"),
            uploads=uploads,
            number=gt,
            body="Nota de Laura.",
            internal=True,
        )
    marta = _actor(people, "marta.luna")
    with unit_of_work(people, write=False) as session:
        listed = inbox.list_inbox(session=session, actor=marta)
        assert sorted(row.number for row in listed.rows) == [gt, sg]
        for number in (gt, sg):
            detail = cases.get_case(session=session, actor=marta, number=number)
            assert detail.number == number
            assert (detail.actions.view, detail.actions.work, detail.actions.take) == (True, False, False)
            assert workflow.advisors_of_area(session=session, actor=marta, number=number) == []
        assert [m.body for m in cases.get_case(session=session, actor=marta, number=gt).messages] == ["Nota de Laura."]


def test_the_work_view_offers_an_advisor_what_the_rule_allows(people, uploads):
    number = _register(people, uploads)  # Laura's
    with unit_of_work(people, write=False) as session:

        def offered(username):
            return cases.get_case(session=session, actor=_actor(people, username), number=number).actions

        laura, mario, admin = offered("laura.rios"), offered("mario.ruiz"), offered("admin.mesa")
        choices = workflow.advisors_of_area(session=session, actor=_actor(people, "mario.ruiz"), number=number)
    assert (laura.work, laura.take) == (True, False)  # already hers
    assert (mario.work, mario.take) == (True, True)
    assert (admin.work, admin.take, admin.reassign) == (True, False, True)  # admins reassign; only area advisors take
    assert [name for _, name in choices] == ["Laura Ríos", "Mario Ruiz"]


WORK_BUTTONS = (
    "Tomar",
    "Reasignar",
    "Cambiar estado",
    "Enviar respuesta",
    "Agregar nota",
    "Guardar cambio",
    "Resolver",
    "Adjuntar archivo",
)


def test_a_managers_work_view_shows_the_case_and_no_action(people, uploads):
    number = _register(people, uploads, subject="Impresora sin tóner")
    at = logged_in_app("marta.luna")
    at.switch_page("app_pages/bandeja.py").run()
    assert list(at.dataframe[0].value["Número"]) == [number]
    at.query_params["caso"] = str(number)
    at.run()
    assert not at.exception
    shown = texts(at)
    assert f"Caso #{number}" in shown and "Impresora sin tóner" in shown
    labels = [b.label for b in at.button]
    assert "Volver a la bandeja" in labels
    assert not [label for label in labels if label in WORK_BUTTONS], labels
    assert not at.text_area and not at.selectbox and not at.text_input and not at.tabs
    assert READ_ONLY in shown


def test_an_advisors_work_view_still_offers_every_action(people, uploads):
    number = _register(people, uploads)
    at = logged_in_app("mario.ruiz")
    at.query_params["caso"] = str(number)
    at.switch_page("app_pages/bandeja.py").run()
    labels = {b.label for b in at.button}
    assert set(WORK_BUTTONS) <= labels
    assert READ_ONLY not in texts(at)
