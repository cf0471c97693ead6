"""warehouse foreign key indexes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 09:14:29.515076
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade(app_role: str = "brain_app") -> None:
    with op.batch_alter_table('ad_sets', schema=None) as batch_op:
        batch_op.create_index('ix_ad_sets_campaign_fk', ['campaign_id'], unique=False)

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_index('ix_campaigns_channel_fk', ['channel_id'], unique=False)

    with op.batch_alter_table('creatives', schema=None) as batch_op:
        batch_op.create_index('ix_creatives_ad_set_fk', ['ad_set_id'], unique=False)
        batch_op.create_index('ix_creatives_campaign_fk', ['campaign_id'], unique=False)

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index('ix_customers_acquisition_channel_fk', ['acquisition_channel_id'], unique=False)

    with op.batch_alter_table('daily_metrics', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_daily_metrics_campaign_id_campaigns'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_daily_metrics_creative_id_creatives'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_daily_metrics_channel_id_channels'), type_='foreignkey')

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_channel_fk', ['channel_id'], unique=False)
        batch_op.create_index('ix_orders_customer_fk', ['customer_id'], unique=False)



def downgrade(app_role: str = "brain_app") -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_customer_fk')
        batch_op.drop_index('ix_orders_channel_fk')

    with op.batch_alter_table('daily_metrics', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_daily_metrics_channel_id_channels'), 'channels', ['channel_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_daily_metrics_creative_id_creatives'), 'creatives', ['creative_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_daily_metrics_campaign_id_campaigns'), 'campaigns', ['campaign_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index('ix_customers_acquisition_channel_fk')

    with op.batch_alter_table('creatives', schema=None) as batch_op:
        batch_op.drop_index('ix_creatives_campaign_fk')
        batch_op.drop_index('ix_creatives_ad_set_fk')

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_index('ix_campaigns_channel_fk')

    with op.batch_alter_table('ad_sets', schema=None) as batch_op:
        batch_op.drop_index('ix_ad_sets_campaign_fk')

