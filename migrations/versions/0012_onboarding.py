"""onboarding

The members' onboarding preferences (issue #6): one row per member who hid the getting-started
checklist of an organization. Tenant-owned, so it gets the row-level security policy.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from brain.core.rls import app_role_sql, tenant_policy_sql

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade(app_role: str = "brain_app") -> None:
    table = 'onboarding_preferences'
    op.create_table(
        table,
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('organization_id', sa.Uuid(), nullable=False),
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('dismissed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True),
                  server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True),
                  server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name=f'fk_{table}_organization_id_organizations',
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=f'fk_{table}_user_id_users',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=f'pk_{table}'),
        sa.UniqueConstraint('organization_id', 'user_id',
                            name=f'uq_{table}_organization_id_user_id'),
    )
    with op.batch_alter_table('onboarding_preferences', schema=None) as batch_op:
        batch_op.create_index('ix_onboarding_preferences_user', ['user_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for statement in app_role_sql(app_role):
            op.execute(statement)
        for statement in tenant_policy_sql("onboarding_preferences"):
            op.execute(statement)


def downgrade(app_role: str = "brain_app") -> None:
    with op.batch_alter_table('onboarding_preferences', schema=None) as batch_op:
        batch_op.drop_index('ix_onboarding_preferences_user')
    op.drop_table('onboarding_preferences')
