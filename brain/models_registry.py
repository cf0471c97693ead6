"""Imports every model module so `metadata` knows all tables (Alembic, tests)."""

from brain.core.idempotency import IdempotencyRecord
from brain.core.models import Base
from brain.identity.models import ApiKey
from brain.organizations.models import Organization
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
    "Campaign",
    "Channel",
    "Creative",
    "Customer",
    "DailyMetric",
    "IdempotencyRecord",
    "ImportJob",
    "Order",
    "Organization",
    "metadata",
]
