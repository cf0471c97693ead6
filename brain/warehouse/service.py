"""Warehouse logic: creates, updates and deletes with reference checks (never commits)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.auth import AuthContext
from brain.core.errors import Conflict, ProblemError
from brain.warehouse import bulk
from brain.warehouse.models import (
    AdSet,
    Campaign,
    Channel,
    Creative,
    Customer,
    DailyMetric,
    ImportJob,
    ImportKind,
    ImportStatus,
    Order,
    daily_metric_id,
)
from brain.warehouse.repository import (
    AdSetRepository,
    CampaignRepository,
    ChannelRepository,
    CreativeRepository,
    CustomerRepository,
    DailyMetricRepository,
    ImportJobRepository,
    OrderRepository,
    WarehouseRepository,
)
from brain.warehouse.schemas import (
    AdSetCreate,
    AdSetUpdate,
    CampaignCreate,
    CampaignUpdate,
    ChannelCreate,
    ChannelUpdate,
    CreativeCreate,
    CreativeUpdate,
    CustomerCreate,
    CustomerUpdate,
    DailyMetricUpdate,
    DailyMetricWrite,
    OrderCreate,
    OrderUpdate,
)

Loc = tuple[str | int, ...]
# Reported entries of `errors` in a 422 (the detail carries the total).
MAX_REPORTED_ERRORS = 100


def field_error(loc: Loc, message: str) -> dict[str, Any]:
    return {"loc": list(loc), "message": message}


def invalid_references(errors: list[dict[str, Any]], *, rows: int | None = None) -> ProblemError:
    """The 422 for references to objects that are missing, deleted or inconsistent."""
    if rows is None:
        detail = "A referenced object does not exist in this organization or does not fit."
    else:
        detail = f"{rows} row(s) are invalid; nothing was written."
    return ProblemError(
        422, detail, errors=errors[:MAX_REPORTED_ERRORS], extra={"error_count": len(errors)}
    )


async def _require_live(
    repo: WarehouseRepository[Any], object_id: uuid.UUID, field: str
) -> Any:
    """The live object `object_id` of the caller's organization, else a 422 naming `field`."""
    obj = await repo.get(object_id)
    if obj is None:
        raise invalid_references(
            [field_error(("body", field), f"No such {repo.label.lower()} in this organization.")]
        )
    return obj


def _apply(obj: Any, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(obj, name, value)


# Channels ----------------------------------------------------------------------------------


async def create_channel(session: AsyncSession, auth: AuthContext, data: ChannelCreate) -> Channel:
    """A new channel; its name is unique among the organization's channels."""
    repo = ChannelRepository(session, auth)
    if await repo.find_by_name(data.name) is not None:
        raise Conflict("A channel with this name already exists.")
    channel = repo.add(
        Channel(
            name=data.name,
            platform=data.platform.value,
            external_account_id=data.external_account_id,
        )
    )
    await session.flush()
    return channel


async def update_channel(
    session: AsyncSession, auth: AuthContext, channel: Channel, changes: ChannelUpdate
) -> Channel:
    values = changes.changes()
    new_name = values.get("name")
    if (
        new_name is not None
        and new_name != channel.name
        and await ChannelRepository(session, auth).find_by_name(new_name) is not None
    ):
        raise Conflict("A channel with this name already exists.")
    _apply(channel, values)
    await session.flush()
    return channel


async def delete_channel(session: AsyncSession, auth: AuthContext, channel: Channel) -> None:
    """Soft-delete the channel with its campaigns, ad sets and creatives; drop its metrics."""
    campaigns = CampaignRepository(session, auth)
    channel_campaigns = campaigns.scoped_ids(Campaign.channel_id == channel.id)
    await CreativeRepository(session, auth).soft_delete_where(
        Creative.campaign_id.in_(channel_campaigns)
    )
    await AdSetRepository(session, auth).soft_delete_where(
        AdSet.campaign_id.in_(channel_campaigns)
    )
    await campaigns.soft_delete_where(Campaign.channel_id == channel.id)
    await DailyMetricRepository(session, auth).delete_where(DailyMetric.channel_id == channel.id)
    await ChannelRepository(session, auth).soft_delete(channel)


# Campaigns ---------------------------------------------------------------------------------


async def create_campaign(
    session: AsyncSession, auth: AuthContext, data: CampaignCreate
) -> Campaign:
    """A new campaign of a live channel; its name is unique within the channel."""
    await _require_live(ChannelRepository(session, auth), data.channel_id, "channel_id")
    repo = CampaignRepository(session, auth)
    if await repo.find_by_name(data.channel_id, data.name) is not None:
        raise Conflict("The channel already has a campaign with this name.")
    campaign = repo.add(
        Campaign(name=data.name, channel_id=data.channel_id, objective=data.objective)
    )
    await session.flush()
    return campaign


async def update_campaign(
    session: AsyncSession, auth: AuthContext, campaign: Campaign, changes: CampaignUpdate
) -> Campaign:
    values = changes.changes()
    new_name = values.get("name")
    if new_name is not None and new_name != campaign.name:
        repo = CampaignRepository(session, auth)
        if await repo.find_by_name(campaign.channel_id, new_name) is not None:
            raise Conflict("The channel already has a campaign with this name.")
    _apply(campaign, values)
    await session.flush()
    return campaign


async def delete_campaign(session: AsyncSession, auth: AuthContext, campaign: Campaign) -> None:
    """Soft-delete the campaign with its ad sets and creatives; drop its metrics."""
    await CreativeRepository(session, auth).soft_delete_where(
        Creative.campaign_id == campaign.id
    )
    await AdSetRepository(session, auth).soft_delete_where(AdSet.campaign_id == campaign.id)
    await DailyMetricRepository(session, auth).delete_where(
        DailyMetric.campaign_id == campaign.id
    )
    await CampaignRepository(session, auth).soft_delete(campaign)


# Ad sets -----------------------------------------------------------------------------------


async def create_ad_set(session: AsyncSession, auth: AuthContext, data: AdSetCreate) -> AdSet:
    """A new ad set of a live campaign; its name is unique within the campaign."""
    await _require_live(CampaignRepository(session, auth), data.campaign_id, "campaign_id")
    repo = AdSetRepository(session, auth)
    if await repo.find_by_name(data.campaign_id, data.name) is not None:
        raise Conflict("The campaign already has an ad set with this name.")
    ad_set = repo.add(AdSet(name=data.name, campaign_id=data.campaign_id))
    await session.flush()
    return ad_set


async def update_ad_set(
    session: AsyncSession, auth: AuthContext, ad_set: AdSet, changes: AdSetUpdate
) -> AdSet:
    values = changes.changes()
    new_name = values.get("name")
    if new_name is not None and new_name != ad_set.name:
        repo = AdSetRepository(session, auth)
        if await repo.find_by_name(ad_set.campaign_id, new_name) is not None:
            raise Conflict("The campaign already has an ad set with this name.")
    _apply(ad_set, values)
    await session.flush()
    return ad_set


async def delete_ad_set(session: AsyncSession, auth: AuthContext, ad_set: AdSet) -> None:
    """Soft-delete the ad set; its creatives stay, without an ad set."""
    await CreativeRepository(session, auth).update_where(
        {"ad_set_id": None}, Creative.ad_set_id == ad_set.id
    )
    await AdSetRepository(session, auth).soft_delete(ad_set)


# Creatives ---------------------------------------------------------------------------------


async def _check_ad_set_of_campaign(
    session: AsyncSession, auth: AuthContext, ad_set_id: uuid.UUID, campaign_id: uuid.UUID
) -> None:
    ad_set: AdSet = await _require_live(AdSetRepository(session, auth), ad_set_id, "ad_set_id")
    if ad_set.campaign_id != campaign_id:
        raise invalid_references(
            [field_error(("body", "ad_set_id"), "The ad set belongs to another campaign.")]
        )


async def create_creative(
    session: AsyncSession, auth: AuthContext, data: CreativeCreate
) -> Creative:
    """A new creative of a live campaign (and optionally one of that campaign's ad sets)."""
    await _require_live(CampaignRepository(session, auth), data.campaign_id, "campaign_id")
    if data.ad_set_id is not None:
        await _check_ad_set_of_campaign(session, auth, data.ad_set_id, data.campaign_id)
    repo = CreativeRepository(session, auth)
    if await repo.find_by_name(data.campaign_id, data.name) is not None:
        raise Conflict("The campaign already has a creative with this name.")
    creative = repo.add(
        Creative(
            name=data.name,
            campaign_id=data.campaign_id,
            ad_set_id=data.ad_set_id,
            format=data.format.value,
            copy_length=data.copy_length,
            cta=data.cta,
            launched_on=data.launched_on,
        )
    )
    await session.flush()
    return creative


async def update_creative(
    session: AsyncSession, auth: AuthContext, creative: Creative, changes: CreativeUpdate
) -> Creative:
    values = changes.changes()
    if values.get("ad_set_id") is not None and values["ad_set_id"] != creative.ad_set_id:
        await _check_ad_set_of_campaign(session, auth, values["ad_set_id"], creative.campaign_id)
    new_name = values.get("name")
    if new_name is not None and new_name != creative.name:
        repo = CreativeRepository(session, auth)
        if await repo.find_by_name(creative.campaign_id, new_name) is not None:
            raise Conflict("The campaign already has a creative with this name.")
    _apply(creative, values)
    await session.flush()
    return creative


async def delete_creative(session: AsyncSession, auth: AuthContext, creative: Creative) -> None:
    """Soft-delete the creative; drop its metrics."""
    await DailyMetricRepository(session, auth).delete_where(
        DailyMetric.creative_id == creative.id
    )
    await CreativeRepository(session, auth).soft_delete(creative)


# Daily metrics -----------------------------------------------------------------------------


async def metric_reference_errors(
    session: AsyncSession,
    auth: AuthContext,
    rows: Sequence[DailyMetricWrite],
    loc_of: Callable[[int], Loc],
) -> list[dict[str, Any]]:
    """Errors for rows naming a missing channel/campaign/creative or an inconsistent chain."""
    channel_ids = await ChannelRepository(session, auth).column_by_id(
        {row.channel_id for row in rows}, Channel.id
    )
    campaign_channels = await CampaignRepository(session, auth).column_by_id(
        {row.campaign_id for row in rows if row.campaign_id is not None}, Campaign.channel_id
    )
    creative_campaigns = await CreativeRepository(session, auth).column_by_id(
        {row.creative_id for row in rows if row.creative_id is not None}, Creative.campaign_id
    )
    errors: list[dict[str, Any]] = []
    for index, row in enumerate(rows):
        if row.channel_id not in channel_ids:
            errors.append(
                field_error((*loc_of(index), "channel_id"), "No such channel in this organization.")
            )
        if row.campaign_id is not None:
            owner_channel = campaign_channels.get(row.campaign_id)
            if owner_channel is None:
                errors.append(
                    field_error(
                        (*loc_of(index), "campaign_id"), "No such campaign in this organization."
                    )
                )
            elif owner_channel != row.channel_id:
                errors.append(
                    field_error(
                        (*loc_of(index), "campaign_id"), "The campaign belongs to another channel."
                    )
                )
        if row.creative_id is not None:
            owner_campaign = creative_campaigns.get(row.creative_id)
            if row.campaign_id is None:
                message = "A creative row needs the creative's campaign_id."
            elif owner_campaign is None:
                message = "No such creative in this organization."
            elif owner_campaign != row.campaign_id:
                message = "The creative belongs to another campaign."
            else:
                continue
            errors.append(field_error((*loc_of(index), "creative_id"), message))
    return errors


def _body_loc(_index: int) -> Loc:
    return ("body",)


async def upsert_daily_metric(
    session: AsyncSession, auth: AuthContext, data: DailyMetricWrite
) -> tuple[DailyMetric, bool]:
    """Insert or replace the row with this natural key; returns it and whether it is new."""
    errors = await metric_reference_errors(session, auth, [data], _body_loc)
    if errors:
        raise invalid_references(errors)
    repo = DailyMetricRepository(session, auth)
    metric_id = daily_metric_id(
        auth.organization_id, data.date, data.channel_id, data.campaign_id, data.creative_id
    )
    created = await repo.get(metric_id) is None
    await bulk.upsert_daily_metrics(session, auth.organization_id, [data.model_dump()])
    metric = await repo.get_fresh(metric_id)
    assert metric is not None
    return metric, created


async def batch_upsert_daily_metrics(
    session: AsyncSession, auth: AuthContext, rows: Sequence[DailyMetricWrite]
) -> int:
    """Check every row's references, then write all rows or none (repeated keys: last wins)."""
    errors = await metric_reference_errors(
        session, auth, rows, lambda index: ("body", "rows", index)
    )
    if errors:
        bad_rows = len({tuple(error["loc"][:3]) for error in errors})
        raise invalid_references(errors, rows=bad_rows)
    # A validated model's __dict__ holds exactly its fields: no copy needed.
    return await bulk.upsert_daily_metrics(session, auth.organization_id, [vars(r) for r in rows])


async def update_daily_metric(
    session: AsyncSession, metric: DailyMetric, changes: DailyMetricUpdate
) -> DailyMetric:
    _apply(metric, changes.changes())
    await session.flush()
    return metric


async def delete_daily_metric(
    session: AsyncSession, auth: AuthContext, metric: DailyMetric
) -> None:
    """Delete the row for good (metrics are facts; a new upsert recreates them)."""
    await DailyMetricRepository(session, auth).soft_delete(metric)


# Customers ---------------------------------------------------------------------------------


async def create_customer(
    session: AsyncSession, auth: AuthContext, data: CustomerCreate
) -> Customer:
    """A new customer; `external_id` is unique among the organization's customers."""
    if data.acquisition_channel_id is not None:
        await _require_live(
            ChannelRepository(session, auth), data.acquisition_channel_id, "acquisition_channel_id"
        )
    repo = CustomerRepository(session, auth)
    if await repo.find_by_external_id(data.external_id) is not None:
        raise Conflict("A customer with this external_id already exists.")
    customer = repo.add(Customer(**data.model_dump()))
    await session.flush()
    return customer


async def update_customer(
    session: AsyncSession, auth: AuthContext, customer: Customer, changes: CustomerUpdate
) -> Customer:
    values = changes.changes()
    if values.get("acquisition_channel_id") is not None:
        await _require_live(
            ChannelRepository(session, auth),
            values["acquisition_channel_id"],
            "acquisition_channel_id",
        )
    new_external_id = values.get("external_id")
    if new_external_id is not None and new_external_id != customer.external_id:
        repo = CustomerRepository(session, auth)
        if await repo.find_by_external_id(new_external_id) is not None:
            raise Conflict("A customer with this external_id already exists.")
    _apply(customer, values)
    await session.flush()
    return customer


async def delete_customer(session: AsyncSession, auth: AuthContext, customer: Customer) -> None:
    """Soft-delete the customer and their orders."""
    await OrderRepository(session, auth).soft_delete_where(Order.customer_id == customer.id)
    await CustomerRepository(session, auth).soft_delete(customer)


# Orders ------------------------------------------------------------------------------------


async def create_order(session: AsyncSession, auth: AuthContext, data: OrderCreate) -> Order:
    """A new order of a live customer; `external_id` is unique among the organization's orders."""
    await _require_live(CustomerRepository(session, auth), data.customer_id, "customer_id")
    if data.channel_id is not None:
        await _require_live(ChannelRepository(session, auth), data.channel_id, "channel_id")
    repo = OrderRepository(session, auth)
    if await repo.find_by_external_id(data.external_id) is not None:
        raise Conflict("An order with this external_id already exists.")
    order = repo.add(Order(**data.model_dump()))
    await session.flush()
    return order


async def update_order(
    session: AsyncSession, auth: AuthContext, order: Order, changes: OrderUpdate
) -> Order:
    values = changes.changes()
    if "customer_id" in values and values["customer_id"] != order.customer_id:
        await _require_live(CustomerRepository(session, auth), values["customer_id"], "customer_id")
    if values.get("channel_id") is not None:
        await _require_live(ChannelRepository(session, auth), values["channel_id"], "channel_id")
    new_external_id = values.get("external_id")
    if new_external_id is not None and new_external_id != order.external_id:
        repo = OrderRepository(session, auth)
        if await repo.find_by_external_id(new_external_id) is not None:
            raise Conflict("An order with this external_id already exists.")
    _apply(order, values)
    await session.flush()
    return order


async def delete_order(session: AsyncSession, auth: AuthContext, order: Order) -> None:
    await OrderRepository(session, auth).soft_delete(order)


# Imports -----------------------------------------------------------------------------------


def create_import_job(
    session: AsyncSession,
    auth: AuthContext,
    *,
    import_id: uuid.UUID,
    kind: ImportKind,
    filename: str | None,
    file_path: Path,
    size_bytes: int,
) -> ImportJob:
    """Record an uploaded file as a queued import (the caller enqueues the job)."""
    return ImportJobRepository(session, auth).add(
        ImportJob(
            id=import_id,
            kind=kind.value,
            status=ImportStatus.queued.value,
            filename=filename,
            file_path=str(file_path),
            size_bytes=size_bytes,
            bytes_processed=0,
            rows_accepted=0,
            rows_rejected=0,
            errors=[],
        )
    )
