"""The catalogue of event types tenants can subscribe to (the producers' contract).

`EventType` is the one list of types; `DESCRIPTIONS` says what each means and which payload
fields it carries (every type has one, checked at import), and `catalogue()` is what
`GET /api/v1/webhooks/event-types` shows. A type is listed only once something emits it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal, get_args

EventType = Literal[
    "sync.completed",
    "sync.failed",
    "connection.needs_reauth",
    "oracle.alert.created",
    "curiosity.action.created",
    "quota.warning",
    "import.completed",
    "webhook.test",
]

EVENT_TYPES: frozenset[str] = frozenset(get_args(EventType))

# `oracle.alert.created` events one brain run may send (the most severe first).
MAX_ORACLE_ALERTS_PER_RUN = 50

DESCRIPTIONS: dict[EventType, str] = {
    "sync.completed": "A connection's sync run finished: sync_id, connection_id, provider, "
                      "mode, rows_read, rows_written.",
    "sync.failed": "A connection's sync run failed: the same fields as sync.completed and "
                   "the error.",
    "connection.needs_reauth": "A connection's credentials stopped working (a refused token "
                               "refresh, a revoked key); it must be re-authorized.",
    "oracle.alert.created": "A brain run succeeded with an ORACLE alert (creative fatigue, "
                            "channel decay, LTV drift) the previous successful run did not "
                            "have, at most "
                            f"{MAX_ORACLE_ALERTS_PER_RUN} per run: run_id, kind, severity, "
                            "probability, entity_id, entity_name, message, created_at.",
    "curiosity.action.created": "A brain run stored an action CURIOSITY proposed: action_id, "
                                "run_id, type, rationale, target (kind, id, name), "
                                "estimated_impact_usd, confidence, urgency, needs_human, "
                                "created_at.",
    "quota.warning": "The organization used most of a plan quota in the current period.",
    "import.completed": "A CSV import finished, succeeded or failed: import_id, kind, status, "
                        "rows_accepted, rows_rejected, failure_reason, finished_at.",
    "webhook.test": "A test event sent on request to one endpoint.",
}

_undescribed = EVENT_TYPES - DESCRIPTIONS.keys()
if _undescribed:  # a new type needs its description here before it can ship
    raise RuntimeError(f"webhook event types without a description: {sorted(_undescribed)}")


def catalogue() -> list[tuple[str, str]]:
    """Every event type with its description, in the order of `EventType`."""
    return [(name, DESCRIPTIONS[name]) for name in get_args(EventType)]


def payload_time(value: datetime) -> str:
    """A payload timestamp: ISO 8601 in UTC with a `Z`, like the envelope's `timestamp`."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
