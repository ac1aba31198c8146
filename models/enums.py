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
