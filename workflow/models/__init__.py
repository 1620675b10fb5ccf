"""The data model. Import models from here."""

from workflow.models.alliance import DISTRICTS, FIELDS_OF_ACTION, Alliance, FundingObject
from workflow.models.api_token import ApiToken
from workflow.models.application import Application, ApplicationDistrict, ApplicationField
from workflow.models.dispatch import Dispatch
from workflow.models.document import DOCUMENT_KINDS, Document
from workflow.models.event import Event
from workflow.models.notification import Notification, OutgoingMail
from workflow.models.organisation import Organisation
from workflow.models.user import User
from workflow.models.vote import Ballot, Recusal, Vote
from workflow.models.webhook import WebhookDelivery, WebhookReceiver

__all__ = [
    "ApiToken",
    "WebhookDelivery",
    "WebhookReceiver",
    "DISTRICTS",
    "DOCUMENT_KINDS",
    "Dispatch",
    "Document",
    "Notification",
    "OutgoingMail",
    "FIELDS_OF_ACTION",
    "Alliance",
    "Application",
    "ApplicationDistrict",
    "ApplicationField",
    "Ballot",
    "Event",
    "FundingObject",
    "Organisation",
    "Recusal",
    "User",
    "Vote",
]
