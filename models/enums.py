"""Closed sets of values the domain uses; stored as their codes, shown through the message catalogue."""

from enum import StrEnum


class Role(StrEnum):
    EMPLOYEE = "employee"
    ADVISOR = "advisor"
    MANAGER = "manager"
    ADMIN = "admin"


class Urgency(StrEnum):
    VERY_LOW = "very_low"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    VERY_HIGH = "very_high"


class Status(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_STATUSES = (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING, Status.RESOLVED)


class Theme(StrEnum):
    LIGHT = "light"
    DARK = "dark"


class AssignmentMode(StrEnum):
    AUTOMATIC = "automatic"
    MANUAL = "manual"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


LANGUAGES = ("es", "en")


class InboundStatus(StrEnum):
    """What became of an e-mail the desk read from its mailbox."""

    MESSAGE = "message"  # a message in its case's conversation
    NEW_CASE = "new_case"  # a case of its own
    HELD = "held"  # waits in Administración → Correo for an admin
    IGNORED = "ignored"  # an auto-reply or bulk mail: read, kept, answered by nobody
    BOUNCE = "bounce"  # a delivery report about one of our e-mails
    DISCARDED = "discarded"  # an admin threw a held e-mail away
