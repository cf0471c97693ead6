"""The catalogue of event types tenants can subscribe to (the producers' contract)."""

from __future__ import annotations

from typing import Literal, get_args

EventType = Literal[
    "sync.completed",
    "sync.failed",
    "connection.needs_reauth",
    "oracle.alert.created",
    "curiosity.action.created",
    "reflexes.anomaly.detected",
    "quota.warning",
    "import.completed",
    "webhook.test",
]

EVENT_TYPES: frozenset[str] = frozenset(get_args(EventType))
