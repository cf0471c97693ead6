"""Tenant-scoped queries of the marketing data store (every one goes through `TenantRepository`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, delete, select, update

from brain.core.models import Base, utcnow
from brain.core.tenancy import TenantRepository, scope_to_tenant
from brain.warehouse.models import (
    AdSet,
    Campaign,
    Channel,
    Creative,
    Customer,
    DailyMetric,
    ImportJob,
    Order,
)
from brain.warehouse.schemas import MetricGrain

M = TypeVar("M", bound=Base)

# Bound parameters per IN (...) list: well below SQLite's and PostgreSQL's limits.
_IN_CHUNK = 5_000


def _chunks(values: Sequence[Any], size: int = _IN_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class WarehouseRepository(TenantRepository[M]):
    """A tenant repository with the set-based helpers the warehouse needs."""

    def _id_column(self) -> Any:
        return self.model.id  # type: ignore[attr-defined]

    def scoped_ids(self, *conditions: ColumnElement[bool]) -> Select[Any]:
        """`SELECT id` of the caller's live rows matching `conditions`."""
        stmt = scope_to_tenant(select(self._id_column()), self.model, self.auth)
        return stmt.where(*conditions)

    async def ids_where(self, *conditions: ColumnElement[bool]) -> list[uuid.UUID]:
        return list((await self.session.scalars(self.scoped_ids(*conditions))).all())

    async def soft_delete_where(self, *conditions: ColumnElement[bool]) -> None:
        """Soft-delete the caller's live rows matching `conditions`."""
        stmt = (
            update(self.model)
            .where(self._id_column().in_(self.scoped_ids(*conditions)))
            .values(deleted_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(stmt)

    async def update_where(self, values: dict[str, Any], *conditions: ColumnElement[bool]) -> None:
        """Set `values` on the caller's live rows matching `conditions`."""
        stmt = (
            update(self.model)
            .where(self._id_column().in_(self.scoped_ids(*conditions)))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(stmt)

    async def delete_where(self, *conditions: ColumnElement[bool]) -> None:
        """Hard-delete the caller's rows matching `conditions`."""
        stmt = (
            delete(self.model)
            .where(self._id_column().in_(self.scoped_ids(*conditions)))
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(stmt)

    async def get_many_chunked(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, M]:
        """Live rows by id, for any number of ids."""
        unique = list(set(ids))
        found: dict[uuid.UUID, M] = {}
        for chunk in _chunks(unique):
            found.update(await self.get_many(chunk))
        return found

    async def column_by_id(self, ids: Iterable[uuid.UUID], column: Any) -> dict[uuid.UUID, Any]:
        """`{id: column value}` of the live rows among `ids` (missing ids are absent)."""
        found: dict[uuid.UUID, Any] = {}
        for chunk in _chunks(list(set(ids))):
            stmt = scope_to_tenant(
                select(self._id_column(), column), self.model, self.auth
            ).where(self._id_column().in_(chunk))
            found.update({row[0]: row[1] for row in await self.session.execute(stmt)})
        return found

    async def get_fresh(self, object_id: uuid.UUID) -> M | None:
        """The row re-read from the database (after a Core statement changed it)."""
        stmt = self.select().where(self._id_column() == object_id)
        result: M | None = await self.session.scalar(
            stmt.execution_options(populate_existing=True)
        )
        return result


class ChannelRepository(WarehouseRepository[Channel]):
    model = Channel
    label = "Channel"

    def list_statement(self, *, platform: str | None = None) -> Select[Any]:
        stmt = self.select()
        if platform is not None:
            stmt = stmt.where(Channel.platform == platform)
        return stmt

    async def find_by_name(self, name: str) -> Channel | None:
        result: Channel | None = await self.session.scalar(
            self.select().where(Channel.name == name)
        )
        return result

    async def by_names(self, names: Iterable[str]) -> dict[str, Channel]:
        found: dict[str, Channel] = {}
        for chunk in _chunks(list(set(names))):
            rows = await self.session.scalars(self.select().where(Channel.name.in_(chunk)))
            found.update({row.name: row for row in rows})
        return found


class CampaignRepository(WarehouseRepository[Campaign]):
    model = Campaign
    label = "Campaign"

    def list_statement(self, *, channel_id: uuid.UUID | None = None) -> Select[Any]:
        stmt = self.select()
        if channel_id is not None:
            stmt = stmt.where(Campaign.channel_id == channel_id)
        return stmt

    async def find_by_name(self, channel_id: uuid.UUID, name: str) -> Campaign | None:
        result: Campaign | None = await self.session.scalar(
            self.select().where(Campaign.channel_id == channel_id, Campaign.name == name)
        )
        return result

    async def by_keys(
        self, keys: Iterable[tuple[uuid.UUID, str]]
    ) -> dict[tuple[uuid.UUID, str], Campaign]:
        """Live campaigns by (channel id, name)."""
        wanted = set(keys)
        found: dict[tuple[uuid.UUID, str], Campaign] = {}
        for chunk in _chunks(list({name for _, name in wanted})):
            rows = await self.session.scalars(self.select().where(Campaign.name.in_(chunk)))
            found.update(
                {(r.channel_id, r.name): r for r in rows if (r.channel_id, r.name) in wanted}
            )
        return found


class AdSetRepository(WarehouseRepository[AdSet]):
    model = AdSet
    label = "Ad set"

    def list_statement(self, *, campaign_id: uuid.UUID | None = None) -> Select[Any]:
        stmt = self.select()
        if campaign_id is not None:
            stmt = stmt.where(AdSet.campaign_id == campaign_id)
        return stmt

    async def find_by_name(self, campaign_id: uuid.UUID, name: str) -> AdSet | None:
        result: AdSet | None = await self.session.scalar(
            self.select().where(AdSet.campaign_id == campaign_id, AdSet.name == name)
        )
        return result


class CreativeRepository(WarehouseRepository[Creative]):
    model = Creative
    label = "Creative"

    def list_statement(
        self, *, campaign_id: uuid.UUID | None = None, ad_set_id: uuid.UUID | None = None
    ) -> Select[Any]:
        stmt = self.select()
        if campaign_id is not None:
            stmt = stmt.where(Creative.campaign_id == campaign_id)
        if ad_set_id is not None:
            stmt = stmt.where(Creative.ad_set_id == ad_set_id)
        return stmt

    async def find_by_name(self, campaign_id: uuid.UUID, name: str) -> Creative | None:
        result: Creative | None = await self.session.scalar(
            self.select().where(Creative.campaign_id == campaign_id, Creative.name == name)
        )
        return result

    async def by_keys(
        self, keys: Iterable[tuple[uuid.UUID, str]]
    ) -> dict[tuple[uuid.UUID, str], Creative]:
        """Live creatives by (campaign id, name)."""
        wanted = set(keys)
        found: dict[tuple[uuid.UUID, str], Creative] = {}
        for chunk in _chunks(list({name for _, name in wanted})):
            rows = await self.session.scalars(self.select().where(Creative.name.in_(chunk)))
            found.update(
                {(r.campaign_id, r.name): r for r in rows if (r.campaign_id, r.name) in wanted}
            )
        return found


class DailyMetricRepository(WarehouseRepository[DailyMetric]):
    model = DailyMetric
    label = "Daily metric"

    def list_statement(
        self,
        *,
        date_from: date | None = None,
        date_to: date | None = None,
        channel_id: uuid.UUID | None = None,
        campaign_id: uuid.UUID | None = None,
        creative_id: uuid.UUID | None = None,
        grain: MetricGrain | None = None,
    ) -> Select[Any]:
        stmt = self.select()
        if date_from is not None:
            stmt = stmt.where(DailyMetric.date >= date_from)
        if date_to is not None:
            stmt = stmt.where(DailyMetric.date <= date_to)
        if channel_id is not None:
            stmt = stmt.where(DailyMetric.channel_id == channel_id)
        if campaign_id is not None:
            stmt = stmt.where(DailyMetric.campaign_id == campaign_id)
        if creative_id is not None:
            stmt = stmt.where(DailyMetric.creative_id == creative_id)
        if grain is MetricGrain.channel:
            stmt = stmt.where(DailyMetric.campaign_id.is_(None), DailyMetric.creative_id.is_(None))
        elif grain is MetricGrain.campaign:
            stmt = stmt.where(
                DailyMetric.campaign_id.is_not(None), DailyMetric.creative_id.is_(None)
            )
        elif grain is MetricGrain.creative:
            stmt = stmt.where(DailyMetric.creative_id.is_not(None))
        return stmt


class CustomerRepository(WarehouseRepository[Customer]):
    model = Customer
    label = "Customer"

    def list_statement(
        self, *, acquisition_channel_id: uuid.UUID | None = None
    ) -> Select[Any]:
        stmt = self.select()
        if acquisition_channel_id is not None:
            stmt = stmt.where(Customer.acquisition_channel_id == acquisition_channel_id)
        return stmt

    async def find_by_external_id(self, external_id: str) -> Customer | None:
        result: Customer | None = await self.session.scalar(
            self.select().where(Customer.external_id == external_id)
        )
        return result

    async def ids_by_external_ids(self, external_ids: Iterable[str]) -> dict[str, uuid.UUID]:
        found: dict[str, uuid.UUID] = {}
        for chunk in _chunks(list(set(external_ids))):
            columns: Any = select(Customer.external_id, Customer.id)
            stmt = scope_to_tenant(columns, Customer, self.auth).where(
                Customer.external_id.in_(chunk)
            )
            found.update({row.external_id: row.id for row in await self.session.execute(stmt)})
        return found


class OrderRepository(WarehouseRepository[Order]):
    model = Order
    label = "Order"

    def list_statement(
        self,
        *,
        date_from: date | None = None,
        date_to: date | None = None,
        customer_id: uuid.UUID | None = None,
        channel_id: uuid.UUID | None = None,
    ) -> Select[Any]:
        stmt = self.select()
        if date_from is not None:
            stmt = stmt.where(Order.order_date >= date_from)
        if date_to is not None:
            stmt = stmt.where(Order.order_date <= date_to)
        if customer_id is not None:
            stmt = stmt.where(Order.customer_id == customer_id)
        if channel_id is not None:
            stmt = stmt.where(Order.channel_id == channel_id)
        return stmt

    async def find_by_external_id(self, external_id: str) -> Order | None:
        result: Order | None = await self.session.scalar(
            self.select().where(Order.external_id == external_id)
        )
        return result


class ImportJobRepository(WarehouseRepository[ImportJob]):
    model = ImportJob
    label = "Import"

