"""plans billing

Plans, overrides, quotas, usage, costs, billing (issue #7).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from brain.core.rls import app_role_sql, tenant_policy_sql

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "plan_overrides",
    "billing_accounts",
    "quota_usage",
    "billing_notifications",
    "billing_invoices",
    "usage_daily",
)


def _org_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ['organization_id'], ['organizations.id'],
        name=f'fk_{table}_organization_id_organizations', ondelete='CASCADE',
    )


def _timestamps() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column('created_at', sa.DateTime(timezone=True),
                  server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True),
                  server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    ]


def upgrade(app_role: str = "brain_app") -> None:
    op.create_table(
        'plan_overrides',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('organization_id', sa.Uuid(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('key', sa.String(length=60), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('created_by', sa.String(length=320), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        _org_fk('plan_overrides'),
        sa.PrimaryKeyConstraint('id', name='pk_plan_overrides'),
    )
    with op.batch_alter_table('plan_overrides') as batch_op:
        batch_op.create_index('ix_plan_overrides_org_kind',
                              ['organization_id', 'kind', 'key', 'expires_at'])

    op.create_table(
        'billing_accounts',
        sa.Column('organization_id', sa.Uuid(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('trial_ends_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('stripe_customer_id', sa.String(length=100), nullable=True),
        sa.Column('stripe_subscription_id', sa.String(length=100), nullable=True),
        sa.Column('stripe_status', sa.String(length=30), nullable=True),
        sa.Column('seat_quantity', sa.Integer(), nullable=False),
        sa.Column('current_period_end', sa.DateTime(timezone=True), nullable=True),
        sa.Column('cancel_at_period_end', sa.Boolean(), nullable=False),
        sa.Column('past_due_since', sa.DateTime(timezone=True), nullable=True),
        sa.Column('grace_ends_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('subscription_event_created', sa.BigInteger(), nullable=False),
        sa.Column('next_invoice_amount', sa.BigInteger(), nullable=True),
        sa.Column('next_invoice_currency', sa.String(length=3), nullable=True),
        sa.Column('next_invoice_at', sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        _org_fk('billing_accounts'),
        sa.PrimaryKeyConstraint('organization_id', name='pk_billing_accounts'),
        sa.UniqueConstraint('stripe_customer_id', name='uq_billing_accounts_stripe_customer_id'),
    )

    op.create_table(
        'quota_usage',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('organization_id', sa.Uuid(), nullable=False),
        sa.Column('quota', sa.String(length=40), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('used', sa.BigInteger(), nullable=False),
        sa.Column('warned_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('exhausted_at', sa.DateTime(timezone=True), nullable=True),
        _org_fk('quota_usage'),
        sa.PrimaryKeyConstraint('id', name='pk_quota_usage'),
        sa.UniqueConstraint('organization_id', 'quota', 'period_start',
                            name='uq_quota_usage_organization_id_quota_period_start'),
    )

    op.create_table(
        'billing_notifications',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('organization_id', sa.Uuid(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('severity', sa.String(length=10), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body', sa.String(length=2000), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('dedupe_key', sa.String(length=120), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('emailed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('dismissed_at', sa.DateTime(timezone=True), nullable=True),
        _org_fk('billing_notifications'),
        sa.PrimaryKeyConstraint('id', name='pk_billing_notifications'),
        sa.UniqueConstraint('organization_id', 'dedupe_key',
                            name='uq_billing_notifications_organization_id_dedupe_key'),
    )
    with op.batch_alter_table('billing_notifications') as batch_op:
        batch_op.create_index('ix_billing_notifications_org_created',
                              ['organization_id', 'created_at', 'id'])

    op.create_table(
        'billing_invoices',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('organization_id', sa.Uuid(), nullable=False),
        sa.Column('stripe_invoice_id', sa.String(length=100), nullable=False),
        sa.Column('number', sa.String(length=100), nullable=True),
        sa.Column('status', sa.String(length=30), nullable=False),
        sa.Column('amount_due', sa.BigInteger(), nullable=False),
        sa.Column('amount_paid', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('hosted_invoice_url', sa.String(length=1000), nullable=True),
        sa.Column('period_start', sa.DateTime(timezone=True), nullable=True),
        sa.Column('period_end', sa.DateTime(timezone=True), nullable=True),
        sa.Column('event_created', sa.BigInteger(), nullable=False),
        *_timestamps(),
        _org_fk('billing_invoices'),
        sa.PrimaryKeyConstraint('id', name='pk_billing_invoices'),
        sa.UniqueConstraint('organization_id', 'stripe_invoice_id',
                            name='uq_billing_invoices_organization_id_stripe_invoice_id'),
    )
    with op.batch_alter_table('billing_invoices') as batch_op:
        batch_op.create_index('ix_billing_invoices_org_created',
                              ['organization_id', 'created_at', 'id'])

    op.create_table(
        'stripe_events',
        sa.Column('id', sa.String(length=100), nullable=False),
        sa.Column('type', sa.String(length=80), nullable=False),
        sa.Column('created', sa.BigInteger(), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('outcome', sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_stripe_events'),
    )

    op.create_table(
        'usage_daily',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('organization_id', sa.Uuid(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('meter', sa.String(length=40), nullable=False),
        sa.Column('dimension', sa.String(length=100), nullable=False),
        sa.Column('amount', sa.Float(), nullable=False),
        _org_fk('usage_daily'),
        sa.PrimaryKeyConstraint('id', name='pk_usage_daily'),
        sa.UniqueConstraint('organization_id', 'day', 'meter', 'dimension',
                            name='uq_usage_daily_organization_id_day_meter_dimension'),
    )
    with op.batch_alter_table('usage_daily') as batch_op:
        batch_op.create_index('ix_usage_daily_org_day', ['organization_id', 'day'])

    if op.get_bind().dialect.name == "postgresql":
        for statement in app_role_sql(app_role):
            op.execute(statement)
        for table in TENANT_TABLES:
            for statement in tenant_policy_sql(table):
                op.execute(statement)


def downgrade(app_role: str = "brain_app") -> None:
    with op.batch_alter_table('usage_daily') as batch_op:
        batch_op.drop_index('ix_usage_daily_org_day')
    op.drop_table('usage_daily')
    op.drop_table('stripe_events')
    with op.batch_alter_table('billing_invoices') as batch_op:
        batch_op.drop_index('ix_billing_invoices_org_created')
    op.drop_table('billing_invoices')
    with op.batch_alter_table('billing_notifications') as batch_op:
        batch_op.drop_index('ix_billing_notifications_org_created')
    op.drop_table('billing_notifications')
    op.drop_table('quota_usage')
    op.drop_table('billing_accounts')
    with op.batch_alter_table('plan_overrides') as batch_op:
        batch_op.drop_index('ix_plan_overrides_org_kind')
    op.drop_table('plan_overrides')
