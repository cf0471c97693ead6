"""The catalogue of event types tenants can subscribe to (the producers' contract).

`EventType` is the one list of types; `DESCRIPTIONS` says what each means (every type has
one, checked at import), and `catalogue()` is what `GET /api/v1/webhooks/event-types` shows.
"""

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

DESCRIPTIONS: dict[EventType, str] = {
    "sync.completed": "A connection's sync run finished: sync_id, connection_id, provider, "
                      "mode, rows_read, rows_written.",
    "sync.failed": "A connection's sync run failed: the same fields as sync.completed and "
                   "the error.",
    "connection.needs_reauth": "A connection's credentials stopped working (a refused token "
                               "refresh, a revoked key); it must be re-authorized.",
    "oracle.alert.created": "The Oracle raised an alert about a forecast metric.",
    "curiosity.action.created": "Curiosity proposed a new action.",
    "reflexes.anomaly.detected": "Reflexes detected an anomaly in a metric.",
    "quota.warning": "The organization used most of a plan quota in the current period.",
    "import.completed": "A data import finished.",
    "webhook.test": "A test event sent on request to one endpoint.",
}

_undescribed = EVENT_TYPES - DESCRIPTIONS.keys()
if _undescribed:  # a new type needs its description here before it can ship
    raise RuntimeError(f"webhook event types without a description: {sorted(_undescribed)}")


def catalogue() -> list[tuple[str, str]]:
    """Every event type with its description, in the order of `EventType`."""
    return [(name, DESCRIPTIONS[name]) for name in get_args(EventType)]
