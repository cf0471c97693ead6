"""brain runs

Brain pipeline: runs, per-module outputs, actions and their feedback (issue #5).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from brain.core.rls import app_role_sql, tenant_policy_sql

TENANT_TABLES = ("brain_runs", "brain_module_outputs", "brain_actions", "brain_action_feedback")
_ACTIVE = sa.text("status IN ('queued', 'running')")

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _org_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ['organization_id'], ['organizations.id'],
        name=op.f(f'fk_{table}_organization_id_organizations'), ondelete='CASCADE',
    )


def _timestamps() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column('created_at', sa.DateTime(timezone=True),
                  server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True),
                  server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    ]


def upgrade(app_role: str = "brain_app") -> None:
    op.create_table('brain_runs',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('trigger', sa.String(length=20), nullable=False),
    sa.Column('modules', sa.JSON(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.String(length=2000), nullable=True),
    sa.Column('data_as_of', sa.String(length=10), nullable=True),
    sa.Column('requested_by', sa.Uuid(), nullable=True),
    *_timestamps(),
    _org_fk('brain_runs'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_brain_runs'))
    )
    with op.batch_alter_table('brain_runs', schema=None) as batch_op:
        batch_op.create_index('ix_brain_runs_org_created', ['organization_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_brain_runs_org_status_finished', ['organization_id', 'status', 'finished_at'], unique=False)
        batch_op.create_index('uq_brain_runs_org_active', ['organization_id'], unique=True, sqlite_where=_ACTIVE, postgresql_where=_ACTIVE)

    op.create_table('brain_module_outputs',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('run_id', sa.Uuid(), nullable=False),
    sa.Column('module', sa.String(length=20), nullable=False),
    sa.Column('model_version', sa.String(length=100), nullable=False),
    sa.Column('output', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    _org_fk('brain_module_outputs'),
    sa.ForeignKeyConstraint(['run_id'], ['brain_runs.id'], name=op.f('fk_brain_module_outputs_run_id_brain_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_brain_module_outputs'))
    )
    with op.batch_alter_table('brain_module_outputs', schema=None) as batch_op:
        batch_op.create_index('uq_brain_module_outputs_org_run_module', ['organization_id', 'run_id', 'module'], unique=True)
        batch_op.create_index('ix_brain_module_outputs_run_fk', ['run_id'], unique=False)

    op.create_table('brain_actions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('run_id', sa.Uuid(), nullable=False),
    sa.Column('type', sa.String(length=30), nullable=False),
    sa.Column('target_kind', sa.String(length=20), nullable=False),
    sa.Column('target_id', sa.String(length=100), nullable=False),
    sa.Column('target_name', sa.String(length=300), nullable=False),
    sa.Column('amount_current', sa.Float(), nullable=True),
    sa.Column('amount_recommended', sa.Float(), nullable=True),
    sa.Column('impact_usd', sa.Float(), nullable=False),
    sa.Column('impact_low_usd', sa.Float(), nullable=False),
    sa.Column('impact_high_usd', sa.Float(), nullable=False),
    sa.Column('impact_7d_usd', sa.Float(), nullable=False),
    sa.Column('rationale', sa.String(length=2000), nullable=False),
    sa.Column('urgency', sa.String(length=10), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('needs_human', sa.Boolean(), nullable=False),
    sa.Column('needs_human_reason', sa.String(length=1000), nullable=True),
    sa.Column('expected_value', sa.Float(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    *_timestamps(),
    _org_fk('brain_actions'),
    sa.ForeignKeyConstraint(['run_id'], ['brain_runs.id'], name=op.f('fk_brain_actions_run_id_brain_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_brain_actions'))
    )
    with op.batch_alter_table('brain_actions', schema=None) as batch_op:
        batch_op.create_index('ix_brain_actions_org_created', ['organization_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_brain_actions_org_status_rank', ['organization_id', 'status', 'rank'], unique=False)
        batch_op.create_index('ix_brain_actions_org_fingerprint', ['organization_id', 'fingerprint'], unique=False)
        batch_op.create_index('ix_brain_actions_run_fk', ['run_id'], unique=False)

    op.create_table('brain_action_feedback',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('action_id', sa.Uuid(), nullable=False),
    sa.Column('action_type', sa.String(length=30), nullable=False),
    sa.Column('fingerprint', sa.String(length=200), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=True),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('actor_type', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    _org_fk('brain_action_feedback'),
    sa.ForeignKeyConstraint(['action_id'], ['brain_actions.id'], name=op.f('fk_brain_action_feedback_action_id_brain_actions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_brain_action_feedback'))
    )
    with op.batch_alter_table('brain_action_feedback', schema=None) as batch_op:
        batch_op.create_index('ix_brain_action_feedback_org_created', ['organization_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_brain_action_feedback_action_fk', ['action_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for statement in app_role_sql(app_role):
            op.execute(statement)
        for table in TENANT_TABLES:
            for statement in tenant_policy_sql(table):
                op.execute(statement)


def downgrade(app_role: str = "brain_app") -> None:
    with op.batch_alter_table('brain_action_feedback', schema=None) as batch_op:
        batch_op.drop_index('ix_brain_action_feedback_action_fk')
        batch_op.drop_index('ix_brain_action_feedback_org_created')
    op.drop_table('brain_action_feedback')
    with op.batch_alter_table('brain_actions', schema=None) as batch_op:
        batch_op.drop_index('ix_brain_actions_run_fk')
        batch_op.drop_index('ix_brain_actions_org_fingerprint')
        batch_op.drop_index('ix_brain_actions_org_status_rank')
        batch_op.drop_index('ix_brain_actions_org_created')
    op.drop_table('brain_actions')
    with op.batch_alter_table('brain_module_outputs', schema=None) as batch_op:
        batch_op.drop_index('ix_brain_module_outputs_run_fk')
        batch_op.drop_index('uq_brain_module_outputs_org_run_module')
    op.drop_table('brain_module_outputs')
    with op.batch_alter_table('brain_runs', schema=None) as batch_op:
        batch_op.drop_index('uq_brain_runs_org_active', sqlite_where=_ACTIVE, postgresql_where=_ACTIVE)
        batch_op.drop_index('ix_brain_runs_org_status_finished')
        batch_op.drop_index('ix_brain_runs_org_created')
    op.drop_table('brain_runs')
