"""Maps ad-platform records into the warehouse: channels, campaigns, ad sets, creatives and
daily metrics, with idempotent upserts keyed by natural keys.

The three ad connectors (Meta, Google Ads, TikTok) normalise their provider rows into
`AdDayRecord` dicts (see `ad_day_record`) and hand batches to `AdMetricsLoader.load`.
Entities are matched by their natural key in the warehouse — channel by (platform, external
account id), campaign by (channel, name), ad set and creative by (campaign, name) — and created
when missing; metric rows go through `brain.warehouse.bulk.upsert_daily_metrics` (keyed by
(date, channel, campaign, creative)), so loading the same batch twice changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.auth import AuthContext, SubjectType
from brain.integrations.base import Record
from brain.organizations.permissions import Role, permissions_for
from brain.warehouse import bulk
from brain.warehouse.models import AdSet, Campaign, Channel, Creative
from brain.warehouse.repository import (
    AdSetRepository,
    CampaignRepository,
    ChannelRepository,
    CreativeRepository,
)

AD_DAY_FIELDS = (
    "date",
    "account_id",
    "account_name",
    "platform",
    "campaign_id",
    "campaign_name",
    "objective",
    "ad_set_id",
    "ad_set_name",
    "ad_id",
    "ad_name",
    "ad_format",
    "impressions",
    "clicks",
    "spend",
    "conversions",
    "revenue",
    "frequency",
    "video_views",
)


def ad_day_record(stream: str, **values: Any) -> Record:
    """A normalised ad-day record (every field of `AD_DAY_FIELDS`, missing ones None)."""
    unknown = set(values) - set(AD_DAY_FIELDS)
    if unknown:
        raise ValueError(f"unknown ad-day fields: {sorted(unknown)}")
    return Record(stream=stream, data={name: values.get(name) for name in AD_DAY_FIELDS})


def job_auth(organization_id: uuid.UUID, subject_id: uuid.UUID) -> AuthContext:
    """The identity a sync acts under: a job with analyst rights in one organization."""
    return AuthContext(
        organization_id=organization_id,
        role=Role.analyst,
        permissions=permissions_for(Role.analyst),
        subject_type=SubjectType.job,
        subject_id=subject_id,
    )


def _name(value: Any, fallback: str) -> str:
    text = str(value).strip() if value not in (None, "") else fallback
    return text[:200]


class AdMetricsLoader:
    """Upserts ad-day records for one connection; remembers entity ids between batches."""

    def __init__(self, auth: AuthContext, *, channel_label: str) -> None:
        self.auth = auth
        self.channel_label = channel_label
        self._channels: dict[tuple[str, str], uuid.UUID] = {}
        self._campaigns: dict[tuple[uuid.UUID, str], uuid.UUID] = {}
        self._ad_sets: dict[tuple[uuid.UUID, str], uuid.UUID] = {}
        self._creatives: dict[tuple[uuid.UUID, str], uuid.UUID] = {}

    def forget(self) -> None:
        """Drop cached ids (after a rollback the rows they point at may not exist)."""
        self._channels.clear()
        self._campaigns.clear()
        self._ad_sets.clear()
        self._creatives.clear()

    async def load(self, session: AsyncSession, records: Sequence[Record]) -> int:
        """Upsert the records' entities and metric rows; returns the metric rows written."""
        rows: list[dict[str, Any]] = []
        for record in records:
            data = record.data
            channel_id = await self._channel(session, data)
            campaign_id = await self._campaign(session, channel_id, data)
            ad_set_id = await self._ad_set(session, campaign_id, data)
            creative_id = await self._creative(session, campaign_id, ad_set_id, data)
            day = data["date"]
            rows.append(
                {
                    "date": day if isinstance(day, date) else date.fromisoformat(str(day)),
                    "channel_id": channel_id,
                    "campaign_id": campaign_id,
                    "creative_id": creative_id,
                    "impressions": int(data.get("impressions") or 0),
                    "clicks": int(data.get("clicks") or 0),
                    "spend": float(data.get("spend") or 0.0),
                    "conversions": float(data.get("conversions") or 0.0),
                    "revenue": float(data.get("revenue") or 0.0),
                    "frequency": data.get("frequency"),
                    "video_views": data.get("video_views"),
                }
            )
        return await bulk.upsert_daily_metrics(session, self.auth.organization_id, rows)

    async def _channel(self, session: AsyncSession, data: dict[str, Any]) -> uuid.UUID:
        platform = str(data["platform"])
        account = str(data["account_id"])
        key = (platform, account)
        cached = self._channels.get(key)
        if cached is not None:
            return cached
        repo = ChannelRepository(session, self.auth)
        existing = await session.scalar(
            repo.select().where(
                Channel.platform == platform, Channel.external_account_id == account
            )
        )
        if existing is None:
            name = _name(data.get("account_name"), self.channel_label)
            if await repo.find_by_name(name) is not None:
                name = _name(f"{name} ({account})", name)
            existing = repo.add(Channel(name=name, platform=platform, external_account_id=account))
            await session.flush()
        self._channels[key] = existing.id
        return existing.id

    async def _campaign(
        self, session: AsyncSession, channel_id: uuid.UUID, data: dict[str, Any]
    ) -> uuid.UUID:
        name = _name(data.get("campaign_name"), f"Campaign {data.get('campaign_id')}")
        key = (channel_id, name)
        cached = self._campaigns.get(key)
        if cached is not None:
            return cached
        repo = CampaignRepository(session, self.auth)
        existing = await repo.find_by_name(channel_id, name)
        if existing is None:
            objective = data.get("objective")
            existing = repo.add(
                Campaign(
                    channel_id=channel_id,
                    name=name,
                    objective=str(objective)[:100] if objective else None,
                )
            )
            await session.flush()
        self._campaigns[key] = existing.id
        return existing.id

    async def _ad_set(
        self, session: AsyncSession, campaign_id: uuid.UUID, data: dict[str, Any]
    ) -> uuid.UUID | None:
        if data.get("ad_set_name") in (None, "") and data.get("ad_set_id") in (None, ""):
            return None
        name = _name(data.get("ad_set_name"), f"Ad set {data.get('ad_set_id')}")
        key = (campaign_id, name)
        cached = self._ad_sets.get(key)
        if cached is not None:
            return cached
        repo = AdSetRepository(session, self.auth)
        existing = await repo.find_by_name(campaign_id, name)
        if existing is None:
            existing = repo.add(AdSet(campaign_id=campaign_id, name=name))
            await session.flush()
        self._ad_sets[key] = existing.id
        return existing.id

    async def _creative(
        self,
        session: AsyncSession,
        campaign_id: uuid.UUID,
        ad_set_id: uuid.UUID | None,
        data: dict[str, Any],
    ) -> uuid.UUID | None:
        if data.get("ad_name") in (None, "") and data.get("ad_id") in (None, ""):
            return None
        name = _name(data.get("ad_name"), f"Ad {data.get('ad_id')}")
        key = (campaign_id, name)
        cached = self._creatives.get(key)
        if cached is not None:
            return cached
        repo = CreativeRepository(session, self.auth)
        existing = await repo.find_by_name(campaign_id, name)
        if existing is None:
            existing = repo.add(
                Creative(
                    campaign_id=campaign_id,
                    ad_set_id=ad_set_id,
                    name=name,
                    format=str(data.get("ad_format") or "image"),
                )
            )
            await session.flush()
        self._creatives[key] = existing.id
        return existing.id


async def channel_ids_of_accounts(
    session: AsyncSession, auth: AuthContext, platform_accounts: Sequence[tuple[str, str]]
) -> list[uuid.UUID]:
    """Ids of the channels that hold the given (platform, external account id) pairs."""
    if not platform_accounts:
        return []
    repo = ChannelRepository(session, auth)
    rows = await session.execute(
        select(Channel.id, Channel.platform, Channel.external_account_id).where(
            Channel.id.in_(repo.scoped_ids())
        )
    )
    wanted = set(platform_accounts)
    return [cid for cid, platform, account in rows if (platform, account) in wanted]


async def purge_ad_channels(
    session: AsyncSession, auth: AuthContext, platform_accounts: Sequence[tuple[str, str]]
) -> int:
    """Delete the channels of these (platform, account) pairs with everything under them."""
    from brain.warehouse.service import delete_channel

    ids = await channel_ids_of_accounts(session, auth, platform_accounts)
    repo = ChannelRepository(session, auth)
    for channel_id in ids:
        channel = await repo.get(channel_id)
        if channel is not None:
            await delete_channel(session, auth, channel)
    return len(ids)
