"""The data model. Import models from here."""

from workflow.models.alliance import DISTRICTS, FIELDS_OF_ACTION, Alliance, FundingObject
from workflow.models.api_token import ApiToken
from workflow.models.application import Application, ApplicationDistrict, ApplicationField
from workflow.models.assessment import AssessmentNote, SketchAccess
from workflow.models.budget import FundingPeriod
from workflow.models.calendar import CalendarFeed
from workflow.models.committee import CommitteeSession, SessionAttendance
from workflow.models.dispatch import Dispatch
from workflow.models.document import DOCUMENT_KINDS, Document
from workflow.models.event import Event, EventText
from workflow.models.integrity import IntegrityCheck
from workflow.models.job_run import JobRun
from workflow.models.long_form import CostLine, FinancingLine, LongForm, LongFormPartner
from workflow.models.notification import Notification, NotificationPreference, OutgoingMail
from workflow.models.organisation import Organisation
from workflow.models.security import LoginFailure
from workflow.models.signing import AuthenticityCheck, Letter, SigningCertificate
from workflow.models.sketch import ProjectPartner, Sketch
from workflow.models.statement import Statement
from workflow.models.storage import StoredChunk, StoredFile
from workflow.models.user import User
from workflow.models.vote import Ballot, Objection, Recusal, Vote
from workflow.models.webhook import WebhookDelivery, WebhookReceiver

__all__ = [
    "ApiToken",
    "WebhookDelivery",
    "WebhookReceiver",
    "CalendarFeed",
    "DISTRICTS",
    "DOCUMENT_KINDS",
    "Dispatch",
    "Document",
    "Notification",
    "NotificationPreference",
    "OutgoingMail",
    "FIELDS_OF_ACTION",
    "Alliance",
    "Application",
    "ApplicationDistrict",
    "ApplicationField",
    "Ballot",
    "Event",
    "JobRun",
    "EventText",
    "IntegrityCheck",
    "FundingObject",
    "LoginFailure",
    "FundingPeriod",
    "Organisation",
    "Recusal",
    "Statement",
    "StoredChunk",
    "StoredFile",
    "User",
    "AssessmentNote",
    "SketchAccess",
    "Sketch",
    "ProjectPartner",
    "Vote",
    "CommitteeSession",
    "SessionAttendance",
    "CostLine",
    "FinancingLine",
    "LongForm",
    "LongFormPartner",
    "Objection",
    "AuthenticityCheck",
    "Letter",
    "SigningCertificate",
]
