"""crm lifecycle

CRM lifecycle (issue #4): `crm_records`, one row per HubSpot contact or deal and Salesforce
lead or opportunity with its stage, funnel stage, amount and stage dates (tenant table,
row-level security).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from brain.core.rls import app_role_sql, tenant_policy_sql

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "crm_records"
INDEXES = (
    ("uq_crm_records_org_source_kind_external",
     ["organization_id", "source", "kind", "external_id"], True),
    ("ix_crm_records_org_updated", ["organization_id", "updated_at", "id"], False),
    ("ix_crm_records_org_funnel", ["organization_id", "funnel_stage"], False),
    ("ix_crm_records_connection_fk", ["connection_id"], False),
    ("ix_crm_records_customer_fk", ["customer_id"], False),
)


def upgrade(app_role: str = "brain_app") -> None:
    op.create_table(
        TABLE,
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('organization_id', sa.Uuid(), nullable=False),
        sa.Column('connection_id', sa.Uuid(), nullable=True),
        sa.Column('source', sa.String(length=20), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('external_id', sa.String(length=100), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=True),
        sa.Column('email_hash', sa.String(length=64), nullable=True),
        sa.Column('customer_id', sa.Uuid(), nullable=True),
        sa.Column('related_external_id', sa.String(length=100), nullable=True),
        sa.Column('stage', sa.String(length=100), nullable=False),
        sa.Column('funnel_stage', sa.String(length=20), nullable=False),
        sa.Column('amount', sa.Float(), nullable=True),
        sa.Column('currency', sa.String(length=3), nullable=True),
        sa.Column('source_created_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('stage_dates', sa.JSON(), nullable=False),
        sa.Column('source_updated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True),
                  server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True),
                  server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name='fk_crm_records_organization_id_organizations',
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['connection_id'], ['connections.id'],
                                name='fk_crm_records_connection_id_connections',
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                                name='fk_crm_records_customer_id_customers',
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name='pk_crm_records'),
    )
    with op.batch_alter_table(TABLE) as batch_op:
        for name, columns, unique in INDEXES:
            batch_op.create_index(name, columns, unique=unique)

    if op.get_bind().dialect.name == "postgresql":
        for statement in app_role_sql(app_role):
            op.execute(statement)
        for statement in tenant_policy_sql(TABLE):
            op.execute(statement)


def downgrade(app_role: str = "brain_app") -> None:
    with op.batch_alter_table(TABLE) as batch_op:
        for name, _, _ in INDEXES:
            batch_op.drop_index(name)
    op.drop_table(TABLE)
