"""One rule per case action: workflow.allowed() says what each person may do to a case, and the services agree.

For every role and every status a case can be in, each action is asked of allowed() and then tried on the
service, on a real database: what allowed() refuses, the service refuses in the same words; what it allows,
the service does (and each try is rolled back, so every action meets the same case). The expected rights are
written out as a table, so a change to the rule has to change this test too.
"""

import pytest
import sqlalchemy as sa

from models import Area, Attachment, Case, CaseEvent, CaseMessage, ServiceOption, SurveyAnswer
from services import cases, surveys, users, workflow
from services.cases import NewFile, Uploads
from services.db import unit_of_work
from services.errors import ServiceError
from services.storage import Storage
from tests.conftest import logged_in_app, make_user, register_case, resolve_case, texts

GT = "Gestión Tecnológica"
SG = "Servicios Generales"
STATES = ("new", "assigned", "in_progress", "waiting", "resolved", "closed")
OPEN_STATES = ("new", "assigned", "in_progress", "waiting")

ROLES = {  # who → username; Laura is the advisor the case is assigned to (from "assigned" on)
    "requester": "ana.perez",
    "other employee": "carlos.gomez",
    "advisor of the area": "laura.rios",
    "colleague in the area": "mario.ruiz",
    "advisor of another area": "jorge.diaz",
    "manager": "marta.luna",
    "admin": "admin.mesa",
}

# What staff who work the case (an admin) may do to it, by status. "message" is the public message: a reply
# from the staff's side, a message from the requester's side.
WORKS = {
    "new": {"view", "reassign", "reclassify", "message", "note", "attach"},
    "assigned": {
        "view",
        "reassign",
        "move:in_progress",
        "move:waiting",
        "resolve",
        "reclassify",
        "message",
        "note",
        "attach",
    },
    "in_progress": {"view", "reassign", "move:waiting", "resolve", "reclassify", "message", "note", "attach"},
    "waiting": {"view", "reassign", "move:in_progress", "resolve", "reclassify", "message", "note", "attach"},
    "resolved": {"view", "reclassify", "message", "note", "attach"},
    "closed": {"view"},
}
EXPECTED = {
    "requester": {
        state: (
            {"view", "rate"}
            if state == "closed"
            else {"view", "message", "attach"} | ({"answer_survey"} if state == "resolved" else set())
        )
        for state in STATES
    },
    "other employee": {state: set() for state in STATES},
    # Advisors of the area take an open case that is not already theirs.
    "advisor of the area": {state: WORKS[state] | ({"take"} if state == "new" else set()) for state in STATES},
    "colleague in the area": {state: WORKS[state] | ({"take"} if state in OPEN_STATES else set()) for state in STATES},
    "advisor of another area": {state: set() for state in STATES},
    "manager": {state: {"view"} for state in STATES},
    "admin": WORKS,
}


def _option_id(session, name):
    return session.scalar(sa.select(ServiceOption.id).where(ServiceOption.name == name))


# Each action as its service is called: (session, actor, case number, version, uploads) → the call.
SERVICES = {
    "view": lambda s, a, n, v, up: cases.get_case(session=s, actor=a, number=n),
    "take": lambda s, a, n, v, up: workflow.take_case(session=s, actor=a, number=n, expected_version=v),
    "reassign": lambda s, a, n, v, up: workflow.assign_case(
        session=s, actor=a, number=n, advisor_username="mario.ruiz", expected_version=v
    ),
    **{
        f"move:{to}": lambda s, a, n, v, up, to=to: workflow.change_status(
            session=s, actor=a, number=n, to=to, expected_version=v
        )
        for to in workflow.MANUAL_STATUSES
    },
    "resolve": lambda s, a, n, v, up: workflow.resolve_case(
        session=s, actor=a, number=n, solution="Listo.", expected_version=v
    ),
    "reclassify": lambda s, a, n, v, up: workflow.reclassify(
        session=s,
        actor=a,
        number=n,
        urgency="high",
        option_id=_option_id(s, "Impresoras"),
        reason="Toda la sede",
        expected_version=v,
    ),
    "message": lambda s, a, n, v, up: cases.post_message(session=s, actor=a, uploads=up, number=n, body="¿Novedades?"),
    "note": lambda s, a, n, v, up: cases.post_message(
        session=s, actor=a, uploads=up, number=n, body="Nota.", internal=True
    ),
    "attach": lambda s, a, n, v, up: cases.add_attachments(
        session=s, actor=a, uploads=up, number=n, files=[NewFile("nota.txt", b"hola")]
    ),
    "answer_survey": lambda s, a, n, v, up: surveys.answer(session=s, actor=a, number=n, round=1, resolved=True),
    "rate": lambda s, a, n, v, up: surveys.rate(session=s, actor=a, number=n, rating=5),
}


def _flag(actions: workflow.CaseActions, action: str) -> tuple[bool, str]:
    """(allowed?, the flag's name) of one action in allowed()'s answer."""
    if action.startswith("move:"):
        return action.removeprefix("move:") in actions.moves, action
    if action == "message":  # the service posts from the side the actor stands on
        action = "message_as_requester" if actions.own_case else "reply"
    return getattr(actions, action), action


class _Undo(Exception):
    """Raised after an action succeeded, so its unit of work rolls back and the next action meets the same case."""


def _footprint(session, case_id):
    """What an action leaves behind on a case, read in its own (still open) transaction."""
    case = session.get(Case, case_id)

    def count(model, *where):
        return session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))

    return (
        case.status,
        case.assignee_id,
        case.urgency,
        case.version,
        count(CaseMessage, CaseMessage.case_id == case_id),
        count(Attachment, Attachment.case_id == case_id),
        count(CaseEvent, CaseEvent.case_id == case_id),
        count(SurveyAnswer, SurveyAnswer.case_id == case_id, SurveyAnswer.rated_at.is_not(None)),
    )


def _try(engine, action, actor, number, uploads) -> ServiceError | None:
    """The service's refusal of `action`, or None when it did it (and changed the case, but for a read)."""
    try:
        with unit_of_work(engine) as session:
            case = session.scalar(sa.select(Case).where(Case.number == number))
            before = _footprint(session, case.id)
            SERVICES[action](session, actor, number, case.version, uploads)
            session.flush()
            session.expire_all()
            assert (_footprint(session, case.id) != before) == (action != "view"), f"{action} did nothing"
            raise _Undo
    except _Undo:
        return None
    except ServiceError as refused:
        return refused


@pytest.fixture
def uploads(tmp_path):
    return Uploads(Storage(tmp_path / "files"), 5)


@pytest.fixture
def people(desk):
    make_user(desk, "ana.perez", full_name="Ana Pérez")
    make_user(desk, "carlos.gomez", full_name="Carlos Gómez")
    make_user(desk, "laura.rios", role="advisor", areas=[GT], full_name="Laura Ríos")
    make_user(desk, "mario.ruiz", role="advisor", areas=[GT], full_name="Mario Ruiz")
    make_user(desk, "jorge.diaz", role="advisor", areas=[SG], full_name="Jorge Díaz")
    make_user(desk, "marta.luna", role="manager", full_name="Marta Luna")
    with unit_of_work(desk) as session:  # nobody gets a case by himself: "new" stays new until taken
        session.execute(sa.update(Area).values(assignment_mode="manual"))
    return desk


def _actor(engine, username):
    with unit_of_work(engine, write=False) as session:
        return users.load_actor(session=session, username=username)


def _case_in(engine, files_dir, state: str) -> int:
    """Ana's printer case, brought to `state` through the services as the desk would."""
    number = register_case(engine, files_dir)
    laura, ana = _actor(engine, "laura.rios"), _actor(engine, "ana.perez")
    steps = {
        "assigned": lambda s: workflow.take_case(session=s, actor=laura, number=number, expected_version=None),
        "in_progress": lambda s: workflow.change_status(
            session=s, actor=laura, number=number, to="in_progress", expected_version=None
        ),
        "waiting": lambda s: workflow.change_status(
            session=s, actor=laura, number=number, to="waiting", expected_version=None
        ),
        "resolved": lambda s: resolve_case(engine, number),
        "closed": lambda s: surveys.answer(session=s, actor=ana, number=number, round=1, resolved=True),
    }
    path = {
        "new": [],
        "assigned": ["assigned"],
        "in_progress": ["assigned", "in_progress"],
        "waiting": ["assigned", "in_progress", "waiting"],
        "resolved": ["assigned", "resolved"],
        "closed": ["assigned", "resolved", "closed"],
    }[state]
    for step in path:
        if step == "resolved":
            steps[step](None)
            continue
        with unit_of_work(engine) as session:
            steps[step](session)
    return number


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", list(ROLES))
def test_every_case_action_is_allowed_by_the_rule_and_done_by_the_service_alike(people, uploads, tmp_path, role, state):
    number = _case_in(people, tmp_path / "files", state)
    actor = _actor(people, ROLES[role])
    with unit_of_work(people, write=False) as session:
        case = session.scalar(sa.select(Case).where(Case.number == number))
        assert case.status == state
        actions = workflow.allowed(actor, case)
    assert not (actions.reply and actions.message_as_requester)
    assert {action for action in SERVICES if _flag(actions, action)[0]} == EXPECTED[role][state]

    for action in SERVICES:
        allowed, flag = _flag(actions, action)
        expected = actions.refusal(flag)
        refused = _try(people, action, actor, number, uploads)
        if allowed:
            assert expected is None and refused is None, (
                f"{action}: allowed, yet refused with {refused and refused.key}"
            )
            continue
        assert refused is not None, f"{action}: refused by allowed(), yet the service did it"
        assert (type(refused), refused.key, refused.params) == (type(expected), expected.key, expected.params), action
        if role in ("other employee", "advisor of another area"):  # what one may not see does not exist
            assert refused.key == "case.not_found", action


def test_the_requester_sees_the_conversation_without_internal_notes_and_the_staff_with_them(people, uploads, tmp_path):
    number = _case_in(people, tmp_path / "files", "assigned")
    with unit_of_work(people) as session:
        cases.post_message(
            session=session,
            actor=_actor(people, "laura.rios"),
            uploads=uploads,
            number=number,
            body="Pedir tóner a bodega.",
            internal=True,
        )
    with unit_of_work(people, write=False) as session:

        def seen(username):
            return cases.get_case(session=session, actor=_actor(people, username), number=number)

        ana, marta = seen("ana.perez"), seen("marta.luna")
    assert (ana.actions.see_internal, marta.actions.see_internal) == (False, True)
    assert [m.body for m in ana.messages] == [] and [m.body for m in marta.messages] == ["Pedir tóner a bodega."]
    assert (ana.option_id, ana.assignee_id) == (marta.option_id, _actor(people, "laura.rios").id)


# --- The pages render the flags -----------------------------------------------------------------

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


def _work_view(username, number):
    at = logged_in_app(username)
    at.query_params["caso"] = str(number)
    at.switch_page("app_pages/bandeja.py").run()
    assert not at.exception
    return at


def _buttons(at):
    return {b.label: b for b in at.button}


def test_a_managers_work_view_has_no_action_buttons(people, tmp_path):
    number = _case_in(people, tmp_path / "files", "in_progress")
    at = _work_view("marta.luna", number)
    assert f"Caso #{number}" in texts(at)
    assert not set(WORK_BUTTONS) & set(_buttons(at)), list(_buttons(at))


@pytest.mark.parametrize(
    ("username", "state", "offers_take"),
    [
        ("laura.rios", "new", True),  # nobody's yet
        ("laura.rios", "assigned", False),  # already hers
        ("mario.ruiz", "assigned", True),  # a colleague's
        ("mario.ruiz", "resolved", False),  # finished
        ("admin.mesa", "new", False),  # admins reassign; only the area's advisors take
    ],
)
def test_an_advisors_work_view_offers_tomar_only_when_the_rule_allows_it(
    people, tmp_path, username, state, offers_take
):
    number = _case_in(people, tmp_path / "files", state)
    buttons = _buttons(_work_view(username, number))
    assert ("Tomar" in buttons) == offers_take
    assert {"Reasignar", "Cambiar estado", "Resolver", "Adjuntar archivo"} <= set(buttons)
    assert buttons["Resolver"].disabled == (state not in ("assigned", "in_progress", "waiting"))


def test_the_work_view_offers_only_the_status_moves_the_rule_allows(people, tmp_path):
    number = _case_in(people, tmp_path / "files", "waiting")
    at = _work_view("laura.rios", number)
    assert at.selectbox(key=f"work_status_{number}").options == ["En atención"]
    with unit_of_work(people, write=False) as session:
        current = session.scalar(sa.select(Case.option_id).where(Case.number == number))
    assert at.selectbox(key=f"work_option_{number}").value == current


@pytest.mark.parametrize(("username", "may_write"), [("ana.perez", True), ("marta.luna", False), ("laura.rios", True)])
def test_a_case_opened_in_verificar_offers_the_chat_and_adjuntar_only_to_who_may_use_them(
    people, tmp_path, username, may_write
):
    number = _case_in(people, tmp_path / "files", "in_progress")
    at = logged_in_app(username)
    at.query_params["caso"] = str(number)
    at.switch_page("app_pages/verificar.py").run()
    assert not at.exception
    assert f"Caso #{number}" in texts(at)
    assert bool(at.chat_input) == may_write
    assert ("Adjuntar" in _buttons(at)) == may_write
