"""What one server process runs once for all its users: the engine, settings and the e-mail sender.

server.py starts it with the server (its lifespan); the pages reuse it. Under `streamlit run app.py`
or AppTest nothing started it, and the pages start what they need on first use (app_pages/ui/runtime.py).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import sqlalchemy as sa

from services import jobs
from services.db import make_engine
from services.migrate import upgrade
from services.outbox import BackgroundSender
from services.settings import Settings, cookie_key, load_settings


@dataclass
class Desk:
    settings: Settings
    engine: sa.Engine
    cookie_key: str
    sender: BackgroundSender | None = None


_lock = threading.Lock()
_desk: Desk | None = None


def desk() -> Desk:
    """The process's desk, made on first use (migrating an embedded SQLite file)."""
    global _desk
    with _lock:
        if _desk is None:
            config = load_settings()
            engine = make_engine(config.database_url)
            if config.is_sqlite:
                upgrade(engine)
            _desk = Desk(settings=config, engine=engine, cookie_key=cookie_key(config))
        return _desk


def sender_running() -> bool:
    """Whether server.py started this process's e-mail sender (the pages then start none)."""
    return _desk is not None and _desk.sender is not None


def start_server_services() -> Desk:
    """At server start: the desk and its e-mail sender (with the periodic jobs)."""
    current = desk()
    if current.settings.background_sender and current.sender is None:
        current.sender = BackgroundSender(current.engine, current.settings, jobs=jobs.periodic_jobs(current.settings))
        current.sender.start()
    return current


def stop_server_services() -> None:
    if _desk is not None and _desk.sender is not None:
        _desk.sender.stop()
        _desk.sender = None
