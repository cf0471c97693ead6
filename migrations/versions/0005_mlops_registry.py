"""mlops registry

Model registry: models, versions, aliases, evaluation runs (issue #5).

Rows with `organization_id` NULL are global (shared by every tenant). On PostgreSQL each table
gets the usual `tenant_isolation` policy for every command (own rows only, or system mode) plus
a permissive `global_read` policy FOR SELECT on `organization_id IS NULL`: a tenant reads
global rows but can neither insert, update nor delete them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 12:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from brain.core.rls import app_role_sql, tenant_policy_sql

TABLES = ("ml_models", "ml_model_versions", "ml_model_aliases", "ml_evaluation_runs")
_GLOBAL = sa.text("organization_id IS NULL")
_TENANT = sa.text("organization_id IS NOT NULL")

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _org_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ['organization_id'], ['organizations.id'],
        name=op.f(f'fk_{table}_organization_id_organizations'), ondelete='CASCADE',
    )


def _common(table: str) -> list[Any]:
    return [
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('organization_id', sa.Uuid(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True),
                  server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True),
                  server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        _org_fk(table),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{table}')),
    ]


def _model_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(['model_id'], ['ml_models.id'],
                                   name=op.f(f'fk_{table}_model_id_ml_models'), ondelete='CASCADE')


def upgrade(app_role: str = "brain_app") -> None:
    op.create_table('ml_models',
    *_common('ml_models'),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('module', sa.String(length=40), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=True),
    )
    with op.batch_alter_table('ml_models', schema=None) as batch_op:
        batch_op.create_index('uq_ml_models_global_name', ['name'], unique=True,
                              sqlite_where=_GLOBAL, postgresql_where=_GLOBAL)
        batch_op.create_index('uq_ml_models_org_name', ['organization_id', 'name'], unique=True,
                              sqlite_where=_TENANT, postgresql_where=_TENANT)
        batch_op.create_index('ix_ml_models_org_created', ['organization_id', 'created_at', 'id'],
                              unique=False)

    op.create_table('ml_model_versions',
    *_common('ml_model_versions'),
    sa.Column('model_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('training_start', sa.Date(), nullable=True),
    sa.Column('training_end', sa.Date(), nullable=True),
    sa.Column('feature_set', sa.JSON(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('code_version', sa.String(length=100), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('artifact_format', sa.String(length=10), nullable=True),
    sa.Column('artifact', sa.LargeBinary(), nullable=True),
    sa.Column('artifact_sha256', sa.String(length=64), nullable=True),
    sa.Column('artifact_size', sa.Integer(), nullable=False),
    _model_fk('ml_model_versions'),
    )
    with op.batch_alter_table('ml_model_versions', schema=None) as batch_op:
        batch_op.create_index('uq_ml_model_versions_model_version', ['model_id', 'version'],
                              unique=True)
        batch_op.create_index('ix_ml_model_versions_org_model',
                              ['organization_id', 'model_id', 'version'], unique=False)

    op.create_table('ml_model_aliases',
    *_common('ml_model_aliases'),
    sa.Column('model_id', sa.Uuid(), nullable=False),
    sa.Column('alias', sa.String(length=40), nullable=False),
    sa.Column('version_id', sa.Uuid(), nullable=False),
    _model_fk('ml_model_aliases'),
    sa.ForeignKeyConstraint(['version_id'], ['ml_model_versions.id'],
                            name=op.f('fk_ml_model_aliases_version_id_ml_model_versions'),
                            ondelete='CASCADE'),
    )
    with op.batch_alter_table('ml_model_aliases', schema=None) as batch_op:
        batch_op.create_index('uq_ml_model_aliases_global', ['model_id', 'alias'], unique=True,
                              sqlite_where=_GLOBAL, postgresql_where=_GLOBAL)
        batch_op.create_index('uq_ml_model_aliases_org', ['organization_id', 'model_id', 'alias'],
                              unique=True, sqlite_where=_TENANT, postgresql_where=_TENANT)
        batch_op.create_index('ix_ml_model_aliases_version_fk', ['version_id'], unique=False)

    op.create_table('ml_evaluation_runs',
    *_common('ml_evaluation_runs'),
    sa.Column('model_id', sa.Uuid(), nullable=False),
    sa.Column('version_id', sa.Uuid(), nullable=True),
    sa.Column('dataset', sa.String(length=200), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('targets', sa.JSON(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    _model_fk('ml_evaluation_runs'),
    sa.ForeignKeyConstraint(['version_id'], ['ml_model_versions.id'],
                            name=op.f('fk_ml_evaluation_runs_version_id_ml_model_versions'),
                            ondelete='SET NULL'),
    )
    with op.batch_alter_table('ml_evaluation_runs', schema=None) as batch_op:
        batch_op.create_index('ix_ml_evaluation_runs_org_model_created',
                              ['organization_id', 'model_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_ml_evaluation_runs_model_created',
                              ['model_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_ml_evaluation_runs_version_fk', ['version_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for statement in app_role_sql(app_role):
            op.execute(statement)
        for table in TABLES:
            for statement in tenant_policy_sql(table):
                op.execute(statement)
            op.execute(f'DROP POLICY IF EXISTS global_read ON "{table}"')
            op.execute(f'CREATE POLICY global_read ON "{table}" FOR SELECT '
                       'USING (organization_id IS NULL)')


def downgrade(app_role: str = "brain_app") -> None:
    with op.batch_alter_table('ml_evaluation_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_ml_evaluation_runs_version_fk')
        batch_op.drop_index('ix_ml_evaluation_runs_model_created')
        batch_op.drop_index('ix_ml_evaluation_runs_org_model_created')
    op.drop_table('ml_evaluation_runs')
    with op.batch_alter_table('ml_model_aliases', schema=None) as batch_op:
        batch_op.drop_index('ix_ml_model_aliases_version_fk')
        batch_op.drop_index('uq_ml_model_aliases_org', sqlite_where=_TENANT,
                            postgresql_where=_TENANT)
        batch_op.drop_index('uq_ml_model_aliases_global', sqlite_where=_GLOBAL,
                            postgresql_where=_GLOBAL)
    op.drop_table('ml_model_aliases')
    with op.batch_alter_table('ml_model_versions', schema=None) as batch_op:
        batch_op.drop_index('ix_ml_model_versions_org_model')
        batch_op.drop_index('uq_ml_model_versions_model_version')
    op.drop_table('ml_model_versions')
    with op.batch_alter_table('ml_models', schema=None) as batch_op:
        batch_op.drop_index('ix_ml_models_org_created')
        batch_op.drop_index('uq_ml_models_org_name', sqlite_where=_TENANT,
                            postgresql_where=_TENANT)
        batch_op.drop_index('uq_ml_models_global_name', sqlite_where=_GLOBAL,
                            postgresql_where=_GLOBAL)
    op.drop_table('ml_models')
