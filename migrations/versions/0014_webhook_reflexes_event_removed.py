"""webhook reflexes event removed

`reflexes.anomaly.detected` leaves the outbound webhook catalogue: no REFLEXES module exists
to emit it. Endpoints store their event types as a JSON list (`webhook_endpoints.events`);
the type is taken out of every list that has it, the other types kept in their order. An
endpoint that subscribed to it alone is left with an empty list (it receives nothing until
someone picks events for it again). The rows are read with row-level security bypassed for
this transaction on PostgreSQL (the policy is forced on the table owner too). The downgrade
changes nothing: the removed subscriptions cannot be told apart afterwards, and the old
catalogue still accepts every list this leaves.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-27 10:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REMOVED_EVENT = 'reflexes.anomaly.detected'

endpoints = sa.table(
    'webhook_endpoints',
    sa.column('id', sa.Uuid()),
    sa.column('events', sa.JSON()),
    sa.column('updated_at', sa.DateTime(timezone=True)),
)


def upgrade(app_role: str = "brain_app") -> None:
    del app_role  # no new table: the existing grants and policies apply
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    if postgres:
        previous = bind.execute(
            sa.text("SELECT current_setting('app.rls_bypass', true)")).scalar()
        bind.execute(sa.text("SELECT set_config('app.rls_bypass', 'on', true)"))
    # The JSON text narrows the rows; the exact match is made on the decoded list.
    candidates = bind.execute(
        sa.select(endpoints.c.id, endpoints.c.events)
        .where(sa.cast(endpoints.c.events, sa.Text).like(f'%{REMOVED_EVENT}%'))
    ).all()
    now = datetime.now(UTC)
    for endpoint_id, events in candidates:
        if not isinstance(events, list) or REMOVED_EVENT not in events:
            continue
        bind.execute(
            endpoints.update()
            .where(endpoints.c.id == endpoint_id)
            .values(events=[event for event in events if event != REMOVED_EVENT],
                    updated_at=now)
        )
    if postgres:
        bind.execute(sa.text("SELECT set_config('app.rls_bypass', :value, true)"),
                     {"value": previous or ''})


def downgrade(app_role: str = "brain_app") -> None:
    del app_role  # nothing to restore (see the docstring)
