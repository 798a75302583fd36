"""Every core model, imported in one place so the metadata is complete (Alembic, tests)."""

from casemgr.accounts.models import AccountEvent, AccountLink
from casemgr.assets.models import Asset, AssetImportJob, Component, Part, Product, QuarantinedSerial, product_part
from casemgr.audit import AuditEntry
from casemgr.auth.models import ApiToken, User
from casemgr.cases.models import Attachment, Case, CaseEvent, CaseWatcher, Commitment, Counter
from casemgr.channels.models import AlertLink, InboundMessage, WebhookDelivery, WebhookEndpoint
from casemgr.contracts.models import BusinessCalendar, Contract, SupportPlan, contract_asset
from casemgr.db import Base
from casemgr.notifications.models import Notification, NotificationDigest, NotificationPreference
from casemgr.organizations.models import AccountAssignment, Organization, Site
from casemgr.queue.models import Macro, SavedView
from casemgr.safety.models import SafetyBlock

__all__ = [
    "AccountEvent",
    "AccountLink",
    "AccountAssignment",
    "AlertLink",
    "ApiToken",
    "Asset",
    "AssetImportJob",
    "AuditEntry",
    "Attachment",
    "Base",
    "BusinessCalendar",
    "Case",
    "CaseEvent",
    "CaseWatcher",
    "Commitment",
    "Component",
    "Contract",
    "Counter",
    "InboundMessage",
    "Macro",
    "Notification",
    "NotificationDigest",
    "NotificationPreference",
    "Organization",
    "Part",
    "Product",
    "QuarantinedSerial",
    "SafetyBlock",
    "SavedView",
    "Site",
    "SupportPlan",
    "User",
    "WebhookDelivery",
    "WebhookEndpoint",
    "contract_asset",
    "product_part",
]
