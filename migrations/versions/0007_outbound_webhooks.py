"""outbound webhooks

Outbound webhooks: endpoints, event outbox, deliveries and their attempts, dead letters
(both directions); inbound webhooks: the inbox of received events and per-connection
signing secrets (issue #4).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from brain.core.rls import tenant_policy_sql

TENANT_TABLES = (
    "webhook_endpoints",
    "webhook_events",
    "webhook_deliveries",
    "webhook_delivery_attempts",
    "inbound_webhook_events",
    "inbound_webhook_secrets",
    "webhook_dead_letters",
)

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade(app_role: str = "brain_app") -> None:
    op.create_table('webhook_endpoints',
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=True),
    sa.Column('events', sa.JSON(), nullable=False),
    sa.Column('secret_encrypted', sa.String(length=500), nullable=False),
    sa.Column('previous_secret_encrypted', sa.String(length=500), nullable=True),
    sa.Column('previous_secret_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('disabled_reason', sa.String(length=40), nullable=True),
    sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failing_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_webhook_endpoints_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoints'))
    )
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_endpoints_org_created', ['organization_id', 'created_at', 'id'], unique=False)

    op.create_table('webhook_events',
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_webhook_events_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_events'))
    )
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_events_org_created', ['organization_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_webhook_events_undispatched', ['dispatched_at', 'created_at'], unique=False)

    op.create_table('inbound_webhook_events',
    sa.Column('connection_id', sa.Uuid(), nullable=False),
    sa.Column('provider', sa.String(length=40), nullable=False),
    sa.Column('provider_event_id', sa.String(length=255), nullable=False),
    sa.Column('event_type', sa.String(length=200), nullable=False),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=1000), nullable=True),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['connections.id'], name=op.f('fk_inbound_webhook_events_connection_id_connections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_inbound_webhook_events_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_webhook_events'))
    )
    with op.batch_alter_table('inbound_webhook_events', schema=None) as batch_op:
        batch_op.create_index('ix_inbound_webhook_events_connection_fk', ['connection_id'], unique=False)
        batch_op.create_index('ix_inbound_webhook_events_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_inbound_webhook_events_org_received', ['organization_id', 'received_at', 'id'], unique=False)
        batch_op.create_index('uq_inbound_webhook_events_org_conn_event', ['organization_id', 'connection_id', 'provider_event_id'], unique=True)

    op.create_table('inbound_webhook_secrets',
    sa.Column('connection_id', sa.Uuid(), nullable=False),
    sa.Column('secret_encrypted', sa.String(length=1000), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['connections.id'], name=op.f('fk_inbound_webhook_secrets_connection_id_connections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_inbound_webhook_secrets_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_webhook_secrets'))
    )
    with op.batch_alter_table('inbound_webhook_secrets', schema=None) as batch_op:
        batch_op.create_index('uq_inbound_webhook_secrets_connection', ['connection_id'], unique=True)
        batch_op.create_index('uq_inbound_webhook_secrets_org_connection', ['organization_id', 'connection_id'], unique=True)

    op.create_table('webhook_deliveries',
    sa.Column('endpoint_id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempt_count', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=1000), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoints.id'], name=op.f('fk_webhook_deliveries_endpoint_id_webhook_endpoints'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['webhook_events.id'], name=op.f('fk_webhook_deliveries_event_id_webhook_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_webhook_deliveries_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries'))
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_deliveries_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_webhook_deliveries_org_endpoint', ['organization_id', 'endpoint_id', 'created_at', 'id'], unique=False)

    op.create_table('webhook_dead_letters',
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('delivery_id', sa.Uuid(), nullable=True),
    sa.Column('inbound_event_id', sa.Uuid(), nullable=True),
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=1000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('replayed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['webhook_deliveries.id'], name=op.f('fk_webhook_dead_letters_delivery_id_webhook_deliveries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['inbound_event_id'], ['inbound_webhook_events.id'], name=op.f('fk_webhook_dead_letters_inbound_event_id_inbound_webhook_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_webhook_dead_letters_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_dead_letters'))
    )
    with op.batch_alter_table('webhook_dead_letters', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_dead_letters_org_created', ['organization_id', 'created_at', 'id'], unique=False)

    op.create_table('webhook_delivery_attempts',
    sa.Column('delivery_id', sa.Uuid(), nullable=False),
    sa.Column('endpoint_id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('attempt_number', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.Column('error', sa.String(length=1000), nullable=True),
    sa.Column('response_body', sa.Text(), nullable=True),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['webhook_deliveries.id'], name=op.f('fk_webhook_delivery_attempts_delivery_id_webhook_deliveries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoints.id'], name=op.f('fk_webhook_delivery_attempts_endpoint_id_webhook_endpoints'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_webhook_delivery_attempts_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_delivery_attempts'))
    )
    with op.batch_alter_table('webhook_delivery_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_delivery_attempts_org_endpoint', ['organization_id', 'endpoint_id', 'requested_at', 'id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:
            for statement in tenant_policy_sql(table):
                op.execute(statement)


def downgrade(app_role: str = "brain_app") -> None:
    with op.batch_alter_table('webhook_delivery_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_delivery_attempts_org_endpoint')

    op.drop_table('webhook_delivery_attempts')
    with op.batch_alter_table('webhook_dead_letters', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_dead_letters_org_created')

    op.drop_table('webhook_dead_letters')
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_deliveries_org_endpoint')
        batch_op.drop_index('ix_webhook_deliveries_due')

    op.drop_table('webhook_deliveries')
    with op.batch_alter_table('inbound_webhook_secrets', schema=None) as batch_op:
        batch_op.drop_index('uq_inbound_webhook_secrets_org_connection')
        batch_op.drop_index('uq_inbound_webhook_secrets_connection')

    op.drop_table('inbound_webhook_secrets')
    with op.batch_alter_table('inbound_webhook_events', schema=None) as batch_op:
        batch_op.drop_index('uq_inbound_webhook_events_org_conn_event')
        batch_op.drop_index('ix_inbound_webhook_events_org_received')
        batch_op.drop_index('ix_inbound_webhook_events_due')
        batch_op.drop_index('ix_inbound_webhook_events_connection_fk')

    op.drop_table('inbound_webhook_events')
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_events_undispatched')
        batch_op.drop_index('ix_webhook_events_org_created')

    op.drop_table('webhook_events')
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_endpoints_org_created')

    op.drop_table('webhook_endpoints')
