"""What every sender runs besides the outbox (each app process and `cli.py worker`, services/outbox.py):
the auto-close of unanswered resolved cases, the mailbox reader and the SLA escalation."""

from services import mail_in, sla, surveys
from services.settings import Settings


def periodic_jobs(config: Settings) -> tuple:
    return (*surveys.periodic_jobs(config), mail_in.Reader(config), sla.Escalation())
