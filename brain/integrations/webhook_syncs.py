"""Delta syncs inbound webhooks ask for, coalesced per connection.

An inbound event that names an object without carrying its data (a HubSpot
`contact.creation`) cannot be applied by itself: its handler marks the affected stream with
`request_webhook_sync`. The streams marked are gathered on the connection
(`webhook_sync_streams`) until `webhook_sync_at` — set by the first mark of a round,
`WEBHOOK_SYNC_DELAY` later, and not moved by the marks after it — when the scheduler
(`tasks.schedule_due_syncs`, every minute) queues ONE delta run reading only those streams
through today (`trigger: webhook`, `only_streams`), however many events asked. While another
run of the connection is queued or running the marks wait for it to finish; a run the plan
refuses (read-only organization, `syncs_per_day` used up) is tried again
`WEBHOOK_SYNC_RETRY` later.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from brain.integrations.models import Connection

WEBHOOK_SYNC_DELAY = timedelta(minutes=5)
WEBHOOK_SYNC_RETRY = timedelta(hours=1)
WEBHOOK_TRIGGER = "webhook"


def request_webhook_sync(
    connection: Connection, streams: Iterable[str], *, now: datetime
) -> bool:
    """Mark streams of the connection for its next webhook-driven delta sync (coalesced: the
    first mark of a round sets when it runs, later ones only add streams). Streams the
    tenant switched off are not read. True when something new was marked."""
    wanted = set(streams) - set(connection.disabled_streams or [])
    if not wanted:
        return False
    pending = set(connection.webhook_sync_streams or [])
    if wanted <= pending and connection.webhook_sync_at is not None:
        return False
    connection.webhook_sync_streams = sorted(pending | wanted)
    if connection.webhook_sync_at is None:
        connection.webhook_sync_at = now + WEBHOOK_SYNC_DELAY
    return True


def webhook_streams(connection: Connection) -> list[str]:
    """The marked streams still enabled."""
    disabled = set(connection.disabled_streams or [])
    return sorted(set(connection.webhook_sync_streams or []) - disabled)


def clear_webhook_sync(connection: Connection) -> None:
    connection.webhook_sync_streams = None
    connection.webhook_sync_at = None
