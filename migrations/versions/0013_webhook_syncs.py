"""webhook syncs

Integrations (issue #4): inbound webhook events that do not carry the object's data (a
HubSpot `contact.creation`) ask for a delta sync of the affected stream. The streams asked
for are gathered on the connection (`webhook_sync_streams`) until `webhook_sync_at`, when the
scheduler queues one run reading only them (`sync_runs.only_streams`). A CRM record keeps
when each property a webhook changed was changed (`crm_records.property_changed_at`), so an
older event of the same property, delivered late, is not applied. Columns on existing tenant
tables: their row-level security policies already cover them.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade(app_role: str = "brain_app") -> None:
    del app_role  # no new table: the existing grants and policies apply
    with op.batch_alter_table('connections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('webhook_sync_streams', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('webhook_sync_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.create_index('ix_connections_webhook_sync_at', ['webhook_sync_at'],
                              unique=False)
    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('only_streams', sa.JSON(), nullable=True))
    with op.batch_alter_table('crm_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('property_changed_at', sa.JSON(), nullable=True))


def downgrade(app_role: str = "brain_app") -> None:
    del app_role
    with op.batch_alter_table('crm_records', schema=None) as batch_op:
        batch_op.drop_column('property_changed_at')
    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.drop_column('only_streams')
    with op.batch_alter_table('connections', schema=None) as batch_op:
        batch_op.drop_index('ix_connections_webhook_sync_at')
        batch_op.drop_column('webhook_sync_at')
        batch_op.drop_column('webhook_sync_streams')
