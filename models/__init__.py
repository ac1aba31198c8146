"""SQLAlchemy models of the desk, one module per aggregate; importing this package registers them all."""

from models.admin import AuditEntry, SetupMarker
from models.base import Base, utcnow
from models.cases import Attachment, Case, CaseEvent, CaseMessage, Counter, SlaAlert
from models.catalogue import Area, AreaCalendar, CalendarException, ServiceOption, SlaPolicy
from models.knowledge import Article, ArticleVersion, ArticleVote, CannedReply, KnowledgeEvent
from models.mail import InboundEmail, MailReaderState
from models.notifications import Notification, OutboxEmail
from models.reports import ReportDay, ResolutionDay
from models.search import SearchDoc
from models.sessions import UserSession
from models.surveys import SurveyAnswer
from models.users import User, advisor_areas

__all__ = [
    "Area",
    "Article",
    "ArticleVersion",
    "ArticleVote",
    "AreaCalendar",
    "Attachment",
    "AuditEntry",
    "Base",
    "CalendarException",
    "CannedReply",
    "Case",
    "CaseEvent",
    "CaseMessage",
    "Counter",
    "InboundEmail",
    "KnowledgeEvent",
    "MailReaderState",
    "Notification",
    "OutboxEmail",
    "ReportDay",
    "ResolutionDay",
    "SearchDoc",
    "ServiceOption",
    "SetupMarker",
    "SlaAlert",
    "SlaPolicy",
    "SurveyAnswer",
    "User",
    "UserSession",
    "advisor_areas",
    "utcnow",
]
