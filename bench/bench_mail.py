"""E-mail figures: how fast the sender delivers to a local SMTP server, and what queuing adds to a registration.

.venv/bin/python -m bench.bench_mail [--emails 500] [--repeat 40]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from bench.common import median_ms, print_table
from models import ServiceOption
from services import cases, notifications, outbox, users
from services.cases import Uploads
from services.db import make_engine, unit_of_work
from services.migrate import upgrade
from services.settings import load_settings
from services.storage import Storage
from tests.smtp import SmtpServer


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--emails", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="mesa-bench-mail-"))
    server = SmtpServer().start()
    os.environ.update(
        {
            "MESA_DATA_DIR": str(folder),
            "MESA_SMTP_HOST": "127.0.0.1",
            "MESA_SMTP_PORT": str(server.port),
            "MESA_BCRYPT_ROUNDS": "4",
        }
    )
    engine = make_engine(f"sqlite:///{folder / 'mesa.db'}")
    upgrade(engine)
    with unit_of_work(engine) as session:
        users.seed_demo(session=session)
        actor = users.load_actor(session=session, username="ana.perez")
        option = session.scalar(sa.select(ServiceOption).where(ServiceOption.name == "Impresoras"))
        option_id = option.id
        told = 1 + len(notifications.area_advisors(session, option.area_id))
    uploads = Uploads(Storage(folder / "attachments"), 10)

    def register():
        with unit_of_work(engine) as session:
            cases.register_case(
                session=session,
                actor=actor,
                uploads=uploads,
                option_id=option_id,
                subject="Medición",
                description="Caso de medición",
                request_token=uuid.uuid4().hex,
            )

    with_queue = median_ms(register, repeat=args.repeat)
    real_notify = notifications.notify
    notifications.notify = lambda **kwargs: 0  # the same registration without its notifications and e-mails
    try:
        without_queue = median_ms(register, repeat=args.repeat)
    finally:
        notifications.notify = real_notify

    outbox.deliver_pending(engine, load_settings())  # drain what the registrations queued
    server.received.clear()
    with unit_of_work(engine) as session:
        for i in range(args.emails):
            outbox.enqueue(
                session=session,
                to_address=f"persona{i}@example.org",
                subject=f"[Caso #{i}] Medición",
                body_text="Texto " * 50,
                body_html="<p>" + "Texto " * 50 + "</p>",
            )
    started = time.perf_counter()
    report = outbox.deliver_pending(engine, load_settings(), max_batches=10_000)
    elapsed = time.perf_counter() - started
    server.stop()
    assert report.sent == args.emails == len(server.received)
    print_table(
        "E-mail (SQLite, local aiosmtpd on 127.0.0.1)",
        ["figure", "value"],
        [
            ["registration with its notifications (median ms)", f"{with_queue:.2f}"],
            ["registration without notifications (median ms)", f"{without_queue:.2f}"],
            [f"cost of queuing {told} notifications + {told} e-mails (ms)", f"{with_queue - without_queue:.2f}"],
            [f"sender throughput, {args.emails} e-mails (per second)", f"{args.emails / elapsed:.0f}"],
        ],
    )


if __name__ == "__main__":
    main()
