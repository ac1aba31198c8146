"""The outbox lease and the stored Message-ID, against a real SMTP server on 127.0.0.1.

A dead sender's e-mails go out about a minute later, once; a live sender's slow batch stays its own;
an e-mail sent again after a crash carries the Message-ID it was given when it was queued.
"""

import re
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from models import OutboxEmail
from services import clock, outbox
from services.db import unit_of_work
from services.settings import load_settings
from tests.conftest import make_user, register_case

A_MINUTE_LATER = timedelta(minutes=1, seconds=1)
PAST_THE_LEASE = timedelta(seconds=1)  # added to outbox.LEASE


@pytest.fixture
def queued(desk, smtp, tmp_path):
    """A registered case's e-mails waiting in the outbox: {row id: stored Message-ID}."""
    make_user(desk, "ana.perez")
    make_user(desk, "laura.rios", role="advisor", areas=["Gestión Tecnológica"])
    register_case(desk, tmp_path / "files")
    stored = _stored_message_ids(desk)
    assert len(stored) >= 2
    return stored


def _stored_message_ids(engine) -> dict[int, str | None]:
    with unit_of_work(engine, write=False) as session:
        return dict(session.execute(sa.select(OutboxEmail.id, OutboxEmail.message_id)).all())


def _deliver(engine, **kwargs):
    return outbox.deliver_pending(engine, load_settings(), **kwargs)


def _message_ids(smtp) -> list[str]:
    return [str(r.message["Message-ID"]) for r in smtp.received]


def test_enqueue_stores_a_message_id_in_the_desks_mail_domain(queued):
    assert all(re.fullmatch(r"<[^<>@\s]+@comfanorte\.test>", message_id or "") for message_id in queued.values())
    assert len(set(queued.values())) == len(queued)


def test_a_dead_senders_emails_go_out_a_minute_later_once_with_their_stored_message_id(desk, queued, smtp):
    dead = outbox.claim(desk, worker="sender-that-died")
    assert {c.id for c in dead} == set(queued)
    start = clock.now()
    assert _deliver(desk, now=start).attempted == 0  # still leased to the dead sender

    report = _deliver(desk, now=start + A_MINUTE_LATER)
    assert (report.sent, report.failed) == (len(queued), 0)
    assert sorted(_message_ids(smtp)) == sorted(queued.values())
    assert _deliver(desk, now=start + timedelta(hours=1)).attempted == 0  # nothing goes twice


def test_an_email_sent_again_after_a_crash_before_its_record_keeps_its_message_id(desk, queued, smtp, monkeypatch):
    class Killed(BaseException):
        """The sender's process ends here: after the SMTP server took the e-mail, before the row says so."""

    def die(*args, **kwargs):
        raise Killed

    with monkeypatch.context() as crash:
        crash.setattr(outbox, "_record", die)
        with pytest.raises(Killed):
            _deliver(desk)
    [first] = _message_ids(smtp)

    report = _deliver(desk, now=clock.now() + outbox.LEASE + PAST_THE_LEASE)
    assert report.sent == len(queued)
    ids = _message_ids(smtp)
    assert ids.count(first) == 2  # delivered twice, but mail clients show one message
    assert sorted(set(ids)) == sorted(queued.values()) and len(ids) == len(queued) + 1


def test_an_email_queued_before_message_ids_gets_one_at_claim_and_keeps_it(desk, queued, smtp):
    with unit_of_work(desk) as session:
        session.execute(sa.update(OutboxEmail).values(message_id=None))
    outbox.claim(desk, worker="sender-that-died")
    given = _stored_message_ids(desk)
    assert all(re.fullmatch(r"<[^<>@\s]+@comfanorte\.test>", message_id or "") for message_id in given.values())

    _deliver(desk, now=clock.now() + outbox.LEASE + PAST_THE_LEASE)
    assert sorted(_message_ids(smtp)) == sorted(given.values())


def test_a_renewed_claim_outlasts_the_lease_and_a_dead_senders_claim_does_not(desk, queued):
    start = clock.now()
    ids = {c.id for c in outbox.claim(desk, worker="A", now=start)}
    renewed_at = start + outbox.LEASE * 0.9
    assert outbox.renew(desk, worker="A", ids=ids, now=renewed_at) == ids
    assert outbox.claim(desk, worker="B", now=start + outbox.LEASE + PAST_THE_LEASE) == []

    # A stops renewing (it died): a lease after its last renewal the rows are B's, and no longer A's.
    taken = outbox.claim(desk, worker="B", now=renewed_at + outbox.LEASE + PAST_THE_LEASE)
    assert {c.id for c in taken} == ids
    assert outbox.renew(desk, worker="A", ids=ids, now=renewed_at + outbox.LEASE + PAST_THE_LEASE) == set()


def test_a_send_slower_than_the_lease_keeps_the_batch_and_each_email_goes_once(desk, queued, smtp, monkeypatch):
    monkeypatch.setattr(outbox, "LEASE", timedelta(seconds=1))
    build = outbox.build_message
    claims_meanwhile = []

    def slow_build(claimed, config):
        if not claims_meanwhile:  # the first send takes 2.5 leases, and another sender tries its luck
            time.sleep(2.5)
            claims_meanwhile.append(outbox.claim(desk, worker="B"))
        return build(claimed, config)

    monkeypatch.setattr(outbox, "build_message", slow_build)
    report = _deliver(desk, worker="A")
    assert claims_meanwhile == [[]]
    assert (report.sent, report.failed) == (len(queued), 0)
    assert sorted(_message_ids(smtp)) == sorted(queued.values())


def test_a_sender_frozen_past_its_lease_skips_the_emails_another_sender_took(desk, queued, smtp, monkeypatch):
    build = outbox.build_message
    taken = []

    def frozen_build(claimed, config):
        if not taken:  # A stops in its first send for longer than the lease; B claims everything meanwhile
            taken.extend(outbox.claim(desk, worker="B", now=clock.now() + outbox.LEASE + PAST_THE_LEASE))
        return build(claimed, config)

    monkeypatch.setattr(outbox, "build_message", frozen_build)
    report = _deliver(desk, worker="A")
    assert {c.id for c in taken} == set(queued)
    assert report.sent == 1 and len(smtp.received) == 1  # only the one already on its way
    with unit_of_work(desk, write=False) as session:
        owners = set(session.execute(sa.select(OutboxEmail.status, OutboxEmail.claimed_by)).all())
    assert owners == {("sending", "B")}
