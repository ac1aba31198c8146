"""SQLAlchemy models of the desk, one module per aggregate; importing this package registers them all."""

from models.admin import AuditEntry, SetupMarker
from models.base import Base, utcnow
from models.cases import Attachment, Case, CaseEvent, CaseMessage, Counter
from models.catalogue import Area, ServiceOption, SlaPolicy
from models.mail import InboundEmail, MailReaderState
from models.notifications import Notification, OutboxEmail
from models.reports import ReportDay
from models.sessions import UserSession
from models.surveys import SurveyAnswer
from models.users import User, advisor_areas

__all__ = [
    "Area",
    "Attachment",
    "AuditEntry",
    "Base",
    "Case",
    "CaseEvent",
    "CaseMessage",
    "Counter",
    "InboundEmail",
    "MailReaderState",
    "Notification",
    "OutboxEmail",
    "ReportDay",
    "ServiceOption",
    "SetupMarker",
    "SlaPolicy",
    "SurveyAnswer",
    "User",
    "UserSession",
    "advisor_areas",
    "utcnow",
]
