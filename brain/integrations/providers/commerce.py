"""Maps shop and CRM records (Shopify, HubSpot, Salesforce) into `customers` and `orders`.

Connectors normalise their provider rows into `CustomerRow` / `OrderRow` and hand batches to
`CommerceLoader`. Everything is an idempotent upsert keyed by the provider-prefixed external
id (`shopify:…`, `hubspot:…`, `salesforce:…`, so two providers never collide), so loading
the same batch twice changes nothing:

* orders reference their customer by external id; a customer not seen yet is created with
  what the order knows (id, email) and completed later by the customers stream;
* an order's channel comes from its `utm_source` (landing-page attribution), matched to the
  tenant's ad channel of that platform; a customer's acquisition channel is the channel of
  the order that brought them (set once, never overwritten by later orders);
* `first_order_on` is recomputed from the customer's live orders after every batch;
* cancelled/voided orders and deals that fall out of "won" are soft-deleted.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.auth import AuthContext
from brain.core.models import utcnow
from brain.warehouse import bulk
from brain.warehouse.models import Channel, Customer, Order, Platform
from brain.warehouse.repository import ChannelRepository, CustomerRepository, OrderRepository

# utm_source values (lower-cased) → warehouse platform of the ad channel they stand for.
UTM_SOURCE_PLATFORMS: dict[str, str] = {
    "facebook": Platform.meta,
    "fb": Platform.meta,
    "instagram": Platform.meta,
    "ig": Platform.meta,
    "meta": Platform.meta,
    "google": Platform.google,
    "adwords": Platform.google,
    "youtube": Platform.youtube,
    "tiktok": Platform.tiktok,
}


def utm_source(url: str | None) -> str | None:
    """The `utm_source` of a landing URL or path (lower-cased), if it has one."""
    if not url:
        return None
    return _utm_source(url)


@lru_cache(maxsize=4096)
def _utm_source(url: str) -> str | None:
    # Landing pages repeat (one per campaign link): parse each once.
    values = parse_qs(urlsplit(url).query).get("utm_source")
    return values[0].strip().lower() if values and values[0].strip() else None


def platform_of_source(source: str | None) -> str | None:
    """The ad platform a traffic source stands for (None for organic/unknown sources)."""
    return UTM_SOURCE_PLATFORMS.get(source.lower()) if source else None


@dataclass(frozen=True)
class CustomerRow:
    """A customer (or CRM contact) normalised for the warehouse."""

    external_id: str
    email: str | None = None


@dataclass(frozen=True)
class OrderRow:
    """A revenue event (shop order, won deal/opportunity) normalised for the warehouse."""

    external_id: str
    customer_external_id: str
    order_date: date
    revenue: float
    customer_email: str | None = None
    source_platform: str | None = None  # the ad platform that brought the order, if any
    deleted: bool = False  # cancelled / no longer won: remove it from the warehouse


class CommerceLoader:
    """Upserts customers and orders of one connection into the warehouse (never commits)."""

    def __init__(self, auth: AuthContext) -> None:
        self.auth = auth
        self._channel_by_platform: dict[str, uuid.UUID | None] = {}

    def forget(self) -> None:
        """Drop cached channel ids (after a rollback they may point at nothing)."""
        self._channel_by_platform.clear()

    async def load_customers(self, session: AsyncSession, rows: Sequence[CustomerRow]) -> int:
        """Upsert customers by external id; returns how many distinct customers."""
        if not rows:
            return 0
        return await bulk.upsert_customers(
            session,
            self.auth.organization_id,
            [{"external_id": r.external_id, "email": _email(r.email)} for r in rows],
        )

    async def load_orders(self, session: AsyncSession, rows: Sequence[OrderRow]) -> int:
        """Upsert live orders (creating unknown customers), remove deleted ones; rows written."""
        live = [r for r in rows if not r.deleted]
        gone = [r.external_id for r in rows if r.deleted]
        written = 0
        if gone:
            orders = OrderRepository(session, self.auth)
            affected = await session.scalars(
                select(Order.customer_id).where(
                    Order.id.in_(orders.scoped_ids(Order.external_id.in_(gone)))
                )
            )
            await orders.soft_delete_where(Order.external_id.in_(gone))
            await self._first_orders(session, affected.all())
            written += len(set(gone))
        if not live:
            return written
        customer_ids = await self._ensure_customers(session, live)
        order_rows: list[dict[str, Any]] = []
        for row in live:
            channel_id = await self._channel(session, row.source_platform)
            order_rows.append(
                {
                    "external_id": row.external_id,
                    "customer_id": customer_ids[row.customer_external_id],
                    "order_date": row.order_date,
                    "revenue": round(float(row.revenue), 4),
                    "channel_id": channel_id,
                }
            )
        written += await bulk.upsert_orders(session, self.auth.organization_id, order_rows)
        await self._acquisition(session, live, customer_ids)
        await self._first_orders(session, customer_ids.values())
        return written

    async def _ensure_customers(
        self, session: AsyncSession, rows: Sequence[OrderRow]
    ) -> dict[str, uuid.UUID]:
        repo = CustomerRepository(session, self.auth)
        wanted = {r.customer_external_id: r.customer_email for r in rows}
        found = await repo.ids_by_external_ids(wanted)
        missing = [
            {"external_id": key, "email": _email(email)}
            for key, email in wanted.items()
            if key not in found
        ]
        if missing:
            await bulk.upsert_customers(session, self.auth.organization_id, missing)
            found = await repo.ids_by_external_ids(wanted)
        return found

    async def _channel(self, session: AsyncSession, platform: str | None) -> uuid.UUID | None:
        """The tenant's (oldest live) ad channel on `platform`, cached per loader."""
        if platform is None:
            return None
        if platform not in self._channel_by_platform:
            repo = ChannelRepository(session, self.auth)
            channel_id = await session.scalar(
                select(Channel.id)
                .where(Channel.id.in_(repo.scoped_ids(Channel.platform == platform)))
                .order_by(Channel.created_at, Channel.id)
                .limit(1)
            )
            self._channel_by_platform[platform] = channel_id
        return self._channel_by_platform[platform]

    async def _acquisition(
        self,
        session: AsyncSession,
        rows: Sequence[OrderRow],
        customer_ids: dict[str, uuid.UUID],
    ) -> None:
        """Set the acquisition channel of customers that have none from their earliest order."""
        earliest: dict[uuid.UUID, tuple[date, uuid.UUID]] = {}
        for row in rows:
            channel_id = await self._channel(session, row.source_platform)
            if channel_id is None:
                continue
            customer_id = customer_ids[row.customer_external_id]
            current = earliest.get(customer_id)
            if current is None or row.order_date < current[0]:
                earliest[customer_id] = (row.order_date, channel_id)
        repo = CustomerRepository(session, self.auth)
        by_channel: dict[uuid.UUID, list[uuid.UUID]] = {}
        for customer_id, (_, channel_id) in earliest.items():
            by_channel.setdefault(channel_id, []).append(customer_id)
        for channel_id, ids in by_channel.items():
            await repo.update_where(
                {"acquisition_channel_id": channel_id},
                Customer.id.in_(ids),
                Customer.acquisition_channel_id.is_(None),
            )

    async def _first_orders(self, session: AsyncSession, ids: Iterable[uuid.UUID]) -> None:
        """Recompute `first_order_on` of the given customers from their live orders (NULL
        for a customer left without one), one set-based statement per chunk."""
        unique = list(set(ids))
        if not unique:
            return
        org = self.auth.organization_id
        postgres = session.get_bind().dialect.name == "postgresql"
        for start in range(0, len(unique), 1000):
            chunk = unique[start : start + 1000]
            if self.auth.channel_ids is not None:
                visible = await session.scalars(select(Customer.id).where(
                    Customer.id.in_(chunk), Customer.channel_scope(self.auth.channel_ids)))
                chunk = list(visible.all())
                if not chunk:
                    continue
            if postgres:
                # Each customer's earliest live order, from that customer's orders alone:
                # the only condition on orders is the customer, which only indexes leading
                # with it (`ix_orders_customer_date`) can serve, whatever the statistics
                # say. With the organization or `deleted_at IS NULL` in the condition, the
                # stale statistics of a fresh, busy table made the planner read all of the
                # organization's orders per chunk (a join) or per customer (through the
                # unique index on live orders), so "live" is the aggregate's filter. The
                # customers are the organization's (the outer condition), and so are their
                # orders. Never server-side prepared: a generic plan is made for no ids in
                # particular.
                connection = await session.connection()
                raw = await connection.get_raw_connection()
                driver: Any = raw.driver_connection
                async with driver.cursor() as cursor:
                    await cursor.execute(_PG_FIRST_ORDERS, {"ids": chunk, "org": org,
                                                            "now": utcnow()}, prepare=False)
            else:
                # By customer alone (its orders are its organization's): with the
                # organization in the condition SQLite walks the (organization, date) index
                # per customer instead of looking the customer's orders up.
                first = (
                    select(func.min(Order.order_date))
                    .where(Order.customer_id == Customer.id, Order.deleted_at.is_(None))
                    .scalar_subquery()
                )
                await session.execute(
                    update(Customer)
                    .where(Customer.organization_id == org, Customer.deleted_at.is_(None),
                           Customer.id.in_(chunk))
                    .values(first_order_on=first)
                    .execution_options(synchronize_session=False)
                )


_PG_FIRST_ORDERS = """
UPDATE customers AS c
SET first_order_on = f.first_order_on, updated_at = %(now)s
FROM unnest(CAST(%(ids)s AS uuid[])) AS v(id)
CROSS JOIN LATERAL (
    SELECT min(o.order_date) FILTER (WHERE o.deleted_at IS NULL) AS first_order_on
    FROM orders AS o
    WHERE o.customer_id = v.id
) AS f
WHERE c.id = v.id AND c.organization_id = %(org)s AND c.deleted_at IS NULL
"""


def _email(value: str | None) -> str | None:
    if not value:
        return None
    text = value.strip()
    return text[:320] if text else None
