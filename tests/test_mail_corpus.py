"""The corpus of real-world mail shapes (tests/fixtures/mail) through the desk's whole import: each reply in
its case (≥ 99 %, none in a wrong case), its text without the quoted history (≥ 95 % exactly), and every
other shape (new case, unknown sender, forgery, auto-reply, bounce) doing what it should."""

import sqlalchemy as sa

from models import Area, Case, InboundEmail, OutboxEmail
from services import catalogue, mail_address, mail_in, settings, users
from services.db import unit_of_work
from tests.conftest import PASSWORD, register_case
from tests.test_mail_in import GT
from tests.test_mail_text import CORPUS, MAIL, SENDERS, expected, fill

PEOPLE = {  # the corpus's sender roles as users of the desk (a stranger and a daemon are nobody)
    "requester": ("ana.perez", "employee", ()),
    "advisor": ("carlos.gomez", "advisor", (GT,)),
    "other_employee": ("pedro.ruiz", "employee", ()),
}


def _desk_of_the_corpus(engine, files):
    for role, (username, kind, areas) in PEOPLE.items():
        with unit_of_work(engine) as session:
            users.create_user(
                session=session,
                actor=users.Actor.system(),
                username=username,
                full_name=username.replace(".", " ").title(),
                email=SENDERS[role],
                role=kind,
                password=PASSWORD,
                area_names=areas,
            )
    number = register_case(engine, files, username="ana.perez")
    with unit_of_work(engine) as session:
        admin = users.load_actor(session=session, username="admin.mesa")
        area_id = session.scalar(sa.select(Area.id).where(Area.name == GT))
        catalogue.set_inbound_address(session=session, actor=admin, area_id=area_id, address="soporte@empresa.test")
        sent = dict(
            session.execute(
                sa.select(OutboxEmail.to_address, sa.func.min(OutboxEmail.message_id))
                .join(Case, Case.id == OutboxEmail.case_id)
                .where(Case.number == number)
                .group_by(OutboxEmail.to_address)
            ).all()
        )
    return number, sent


def test_the_corpus_lands_where_it_should(desk, data_dir, monkeypatch, capsys):
    monkeypatch.setenv("MESA_MAIL_FROM", "mesa@empresa.test")
    monkeypatch.setenv("MESA_MAIL_PLUS_ADDRESSING", "true")
    from services.cases import Uploads
    from services.storage import Storage

    uploads = Uploads(Storage(data_dir / "attachments"), 10)
    number, sent = _desk_of_the_corpus(desk, data_dir / "attachments")
    config = settings.current()
    values = {
        "CASE": str(number),
        "REPLY_TO": mail_address.reply_address(config, number),
        "DESK": "mesa@empresa.test",
        "MSGID": sent[SENDERS["requester"]],
        "AREA_ADDRESS": "soporte@empresa.test",
    }
    right = wrong = exact = with_body = 0
    replies = [e for e in CORPUS if e["expect"] == "case"]
    surprises = []
    for entry in CORPUS:
        # Each sender answers an e-mail the desk sent them (the advisor: "case assigned to you").
        own = {"MSGID": sent[SENDERS[entry["sender"]]]} if SENDERS[entry["sender"]] in sent else {}
        raw = fill((MAIL / entry["file"]).read_bytes(), values | {"FROM": SENDERS[entry["sender"]]} | own)
        result = mail_in.import_message(desk, raw, config, uploads)
        if entry["expect"] == "case":
            right += result.status == "message" and result.case_number == number
            wrong += result.status == "message" and result.case_number != number
            if result.status != "message":
                surprises.append((entry["file"], "case", result.status, result.reason))
        elif result.status != entry["expect"]:
            surprises.append((entry["file"], entry["expect"], result.status, result.reason))
        if entry["body"] is not None and result.status in ("message", "new_case"):
            with unit_of_work(desk, write=False) as session:
                body = session.scalar(sa.select(InboundEmail.body).order_by(InboundEmail.id.desc()).limit(1)).strip()
            with_body += 1
            exact += body == expected(entry)
            if body != expected(entry):
                surprises.append((entry["file"], "body", body[:120]))

    with capsys.disabled():
        print(
            f"\ncorpus: {len(CORPUS)} e-mails; replies in the right case {right}/{len(replies)} "
            f"({right / len(replies):.1%}), in a wrong case {wrong}; text stripped exactly {exact}/{with_body} "
            f"({exact / with_body:.1%})"
        )
    assert wrong == 0
    assert right / len(replies) >= 0.99, surprises
    assert exact / with_body >= 0.95, surprises
    assert not [s for s in surprises if s[1] != "body"], surprises
