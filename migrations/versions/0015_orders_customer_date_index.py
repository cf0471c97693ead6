"""orders customer date index

`ix_orders_customer_fk` (customer) becomes `ix_orders_customer_date` (customer, order_date).
After orders are written (webhooks, syncs, imports) each affected customer's first order date
is recomputed from its earliest live order; with the date in the index that is the first entry
of the customer's range. The index still leads with the foreign key, so it serves what the old
one did (deleting a customer, looking up its orders).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26 13:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade(app_role: str = "brain_app") -> None:
    del app_role  # an index: the table's grants and policies apply
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_customer_date', ['customer_id', 'order_date'],
                              unique=False)
        batch_op.drop_index('ix_orders_customer_fk')


def downgrade(app_role: str = "brain_app") -> None:
    del app_role
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_customer_fk', ['customer_id'], unique=False)
        batch_op.drop_index('ix_orders_customer_date')
