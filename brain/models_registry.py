"""Imports every model module so `metadata` knows all tables (Alembic, tests)."""

from brain.audit.models import AuditEvent
from brain.billing.models import (
    BillingAccount,
    BillingInvoice,
    BillingNotification,
    PlanOverride,
    QuotaUsage,
    StripeEvent,
)
from brain.brain_modules.runs.models import (
    BrainAction,
    BrainActionFeedback,
    BrainModuleOutput,
    BrainRun,
)
from brain.core.idempotency import IdempotencyRecord
from brain.core.models import Base
from brain.finops.models import UsageDaily
from brain.identity.models import (
    ApiKey,
    ExternalIdentity,
    OneTimeToken,
    RecoveryCode,
    TotpFactor,
    User,
    UserSession,
)
from brain.integrations.crm_models import CrmRecord
from brain.integrations.inbound_models import InboundWebhookEvent, InboundWebhookSecret
from brain.integrations.models import (
    Connection,
    ConnectionStreamState,
    OAuthState,
    SyncLease,
    SyncRun,
)
from brain.mlops.models import MlEvaluationRun, MlModel, MlModelAlias, MlModelVersion
from brain.onboarding.models import OnboardingPreference
from brain.organizations.models import (
    CustomRole,
    Invite,
    Membership,
    Organization,
    ResourceGrant,
    SsoConnection,
)
from brain.warehouse.models import (
    AdSet,
    Campaign,
    Channel,
    Creative,
    Customer,
    DailyMetric,
    ImportJob,
    Order,
)
from brain.webhooks.models import (
    WebhookDeadLetter,
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
    WebhookEvent,
)

metadata = Base.metadata

__all__ = [
    "AdSet",
    "ApiKey",
    "AuditEvent",
    "BillingAccount",
    "BillingInvoice",
    "BillingNotification",
    "BrainAction",
    "BrainActionFeedback",
    "BrainModuleOutput",
    "BrainRun",
    "Campaign",
    "Channel",
    "Connection",
    "ConnectionStreamState",
    "Creative",
    "CrmRecord",
    "CustomRole",
    "Customer",
    "DailyMetric",
    "ExternalIdentity",
    "IdempotencyRecord",
    "ImportJob",
    "InboundWebhookEvent",
    "InboundWebhookSecret",
    "Invite",
    "Membership",
    "MlEvaluationRun",
    "MlModel",
    "MlModelAlias",
    "MlModelVersion",
    "OAuthState",
    "OnboardingPreference",
    "OneTimeToken",
    "Order",
    "Organization",
    "PlanOverride",
    "QuotaUsage",
    "RecoveryCode",
    "ResourceGrant",
    "SsoConnection",
    "StripeEvent",
    "SyncLease",
    "SyncRun",
    "TotpFactor",
    "UsageDaily",
    "User",
    "UserSession",
    "WebhookDeadLetter",
    "WebhookDelivery",
    "WebhookDeliveryAttempt",
    "WebhookEndpoint",
    "WebhookEvent",
    "metadata",
]
