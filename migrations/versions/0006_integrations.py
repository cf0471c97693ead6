"""integrations

Integrations: connections (encrypted credentials), OAuth states, per-stream sync state, sync
runs and sync leases (issue #4).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from brain.core.rls import tenant_policy_sql

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "connections",
    "oauth_states",
    "connection_stream_states",
    "sync_runs",
    "sync_leases",
)


def _org_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ['organization_id'], ['organizations.id'],
        name=op.f(f'fk_{table}_organization_id_organizations'), ondelete='CASCADE',
    )


def _connection_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ['connection_id'], ['connections.id'],
        name=op.f(f'fk_{table}_connection_id_connections'), ondelete='CASCADE',
    )


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column('created_at', sa.DateTime(timezone=True),
                  server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True),
                  server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    ]


def upgrade(app_role: str = "brain_app") -> None:
    op.create_table('connections',
    sa.Column('provider', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('sandbox', sa.Boolean(), nullable=False),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('credentials_encrypted', sa.Text(), nullable=True),
    sa.Column('token_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('granted_scopes', sa.JSON(), nullable=False),
    sa.Column('disabled_streams', sa.JSON(), nullable=False),
    sa.Column('schedule_minutes', sa.Integer(), nullable=True),
    sa.Column('backfill_start', sa.Date(), nullable=True),
    sa.Column('last_sync_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_sync_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=1000), nullable=True),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    *_timestamps(),
    _org_fk('connections'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connections'))
    )
    with op.batch_alter_table('connections', schema=None) as batch_op:
        batch_op.create_index('ix_connections_org_created', ['organization_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_connections_org_provider', ['organization_id', 'provider'], unique=False)

    op.create_table('oauth_states',
    sa.Column('connection_id', sa.Uuid(), nullable=False),
    sa.Column('state_hash', sa.String(length=64), nullable=False),
    sa.Column('session_binding', sa.String(length=64), nullable=False),
    sa.Column('code_verifier_encrypted', sa.Text(), nullable=False),
    sa.Column('redirect_uri', sa.String(length=1000), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    _connection_fk('oauth_states'),
    _org_fk('oauth_states'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_states'))
    )
    with op.batch_alter_table('oauth_states', schema=None) as batch_op:
        batch_op.create_index('ix_oauth_states_org_connection', ['organization_id', 'connection_id'], unique=False)
        batch_op.create_index('uq_oauth_states_state_hash', ['state_hash'], unique=True)

    op.create_table('connection_stream_states',
    sa.Column('connection_id', sa.Uuid(), nullable=False),
    sa.Column('stream', sa.String(length=100), nullable=False),
    sa.Column('state', sa.JSON(), nullable=False),
    sa.Column('sync_run_id', sa.Uuid(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    _connection_fk('connection_stream_states'),
    _org_fk('connection_stream_states'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connection_stream_states'))
    )
    with op.batch_alter_table('connection_stream_states', schema=None) as batch_op:
        batch_op.create_index('uq_connection_stream_states_org_conn_stream', ['organization_id', 'connection_id', 'stream'], unique=True)
        batch_op.create_index('ix_connection_stream_states_connection_fk', ['connection_id'], unique=False)

    op.create_table('sync_runs',
    sa.Column('connection_id', sa.Uuid(), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('trigger', sa.String(length=20), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('rows_read', sa.Integer(), nullable=False),
    sa.Column('rows_written', sa.Integer(), nullable=False),
    sa.Column('streams', sa.JSON(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=2000), nullable=True),
    sa.Column('error_kind', sa.String(length=40), nullable=True),
    sa.Column('requested_by', sa.Uuid(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    *_timestamps(),
    _connection_fk('sync_runs'),
    _org_fk('sync_runs'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_runs'))
    )
    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.create_index('ix_sync_runs_org_created', ['organization_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_sync_runs_org_connection', ['organization_id', 'connection_id', 'created_at'], unique=False)
        batch_op.create_index('ix_sync_runs_connection_fk', ['connection_id'], unique=False)

    op.create_table('sync_leases',
    sa.Column('connection_id', sa.Uuid(), nullable=False),
    sa.Column('sync_run_id', sa.Uuid(), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=False),
    sa.Column('acquired_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    _connection_fk('sync_leases'),
    _org_fk('sync_leases'),
    sa.PrimaryKeyConstraint('connection_id', name=op.f('pk_sync_leases'))
    )
    with op.batch_alter_table('sync_leases', schema=None) as batch_op:
        batch_op.create_index('ix_sync_leases_org_connection', ['organization_id', 'connection_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:
            for statement in tenant_policy_sql(table):
                op.execute(statement)


def downgrade(app_role: str = "brain_app") -> None:
    for table, indexes in (
        ('sync_leases', ('ix_sync_leases_org_connection',)),
        ('sync_runs', ('ix_sync_runs_connection_fk', 'ix_sync_runs_org_connection',
                       'ix_sync_runs_org_created')),
        ('connection_stream_states', ('ix_connection_stream_states_connection_fk',
                                      'uq_connection_stream_states_org_conn_stream')),
        ('oauth_states', ('uq_oauth_states_state_hash', 'ix_oauth_states_org_connection')),
        ('connections', ('ix_connections_org_provider', 'ix_connections_org_created')),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for index in indexes:
                batch_op.drop_index(index)
        op.drop_table(table)
