"""Imports every model module so `metadata` knows all tables (Alembic, tests)."""

from brain.audit.models import AuditEvent
from brain.core.idempotency import IdempotencyRecord
from brain.core.models import Base
from brain.identity.models import (
    ApiKey,
    ExternalIdentity,
    OneTimeToken,
    RecoveryCode,
    TotpFactor,
    User,
    UserSession,
)
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

metadata = Base.metadata

__all__ = [
    "AdSet",
    "ApiKey",
    "AuditEvent",
    "Campaign",
    "Channel",
    "Creative",
    "CustomRole",
    "Customer",
    "DailyMetric",
    "ExternalIdentity",
    "IdempotencyRecord",
    "ImportJob",
    "Invite",
    "Membership",
    "OneTimeToken",
    "Order",
    "Organization",
    "RecoveryCode",
    "ResourceGrant",
    "SsoConnection",
    "TotpFactor",
    "User",
    "UserSession",
    "metadata",
]
