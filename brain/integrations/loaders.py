"""Maps ad-platform records into the warehouse: channels, campaigns, ad sets, creatives and
daily metrics, with idempotent upserts keyed by natural keys.

The three ad connectors (Meta, Google Ads, TikTok) normalise their provider rows into
`AdDay` dicts (see `ad_day_record`) and hand batches to `AdMetricsLoader.load`.
Entities are matched by their natural key in the warehouse — channel by (platform, external
account id), campaign by (channel, name), ad set and creative by (campaign, name) — and created
when missing; metric rows go through `brain.warehouse.bulk.upsert_metric_rows` (keyed by
(date, channel, campaign, creative)), so loading the same batch twice changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import date
from operator import itemgetter
from typing import Any, TypedDict, cast

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.auth import AuthContext, SubjectType
from brain.core.models import uuid7
from brain.core.tenancy import scope_to_tenant
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


class AdDay(TypedDict):
    """The data of a normalised ad-day record: every field present, None where the provider
    has nothing (ids and names as the provider gives them, the day as a date or ISO text)."""

    date: date | str
    account_id: str
    account_name: str | None
    platform: str
    campaign_id: str | None
    campaign_name: str | None
    objective: str | None
    ad_set_id: str | None
    ad_set_name: str | None
    ad_id: str | None
    ad_name: str | None
    ad_format: str | None
    impressions: int
    clicks: int
    spend: float
    conversions: float
    revenue: float
    frequency: float | None
    video_views: int | None


AD_DAY_FIELDS = tuple(AdDay.__annotations__)


def ad_day_record(stream: str, data: AdDay) -> Record:
    """A normalised ad-day record (its fields are checked statically, as `AdDay`: a literal
    per row, no copy and no check at run time on the hot path)."""
    return Record(stream=stream, data=cast("dict[str, Any]", data))


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
        # The provider's identifiers of an ad (account, campaign, ad set, ad, names) → the
        # metric grain (channel, campaign, creative) they resolved to: one lookup per record
        # once an ad was seen.
        self._ads: dict[tuple[Any, ...], bulk.MetricGrain] = {}
        self._days: dict[Any, date] = {}

    def forget(self) -> None:
        """Drop cached ids (after a rollback the rows they point at may not exist)."""
        self._channels.clear()
        self._campaigns.clear()
        self._ad_sets.clear()
        self._creatives.clear()
        self._ads.clear()

    async def load(self, session: AsyncSession, records: Sequence[Record]) -> int:
        """Upsert the records' entities and metric rows; returns the metric rows written."""
        ads = self._ads
        keys = [_ad_key(record.data) for record in records]
        unseen: dict[tuple[Any, ...], dict[str, Any]] = {}
        for key, record in zip(keys, records, strict=True):
            if key not in ads and key not in unseen:
                unseen[key] = record.data
        if unseen:
            await self._resolve(session, unseen)
        return await bulk.upsert_metric_rows(
            session, self.auth.organization_id, self._metric_rows(keys, records))

    def _metric_rows(
        self, keys: list[tuple[Any, ...]], records: Sequence[Record]
    ) -> Iterator[bulk.MetricRow]:
        """The records' metric rows, made one at a time as the writer takes them."""
        ads, days = self._ads, self._days
        for key, record in zip(keys, records, strict=True):
            day, impressions, clicks, spend, conversions, revenue, frequency, views = (
                _measures(record.data))
            on = days.get(day)
            if on is None:
                on = days[day] = day if isinstance(day, date) else date.fromisoformat(str(day))
            yield (
                on, ads[key], int(impressions or 0), int(clicks or 0), float(spend or 0.0),
                float(conversions or 0.0), float(revenue or 0.0),
                None if frequency is None else float(frequency),
                None if views is None else int(views),
            )

    async def _resolve(
        self, session: AsyncSession, unseen: dict[tuple[Any, ...], dict[str, Any]]
    ) -> None:
        """Find (or create) the channels, campaigns, ad sets and creatives of ads not seen
        before: one query per level for the keys not cached, the missing entities of a level
        written with one flush."""
        created = False
        channel_of: dict[tuple[Any, ...], uuid.UUID] = {}
        wanted_channels = {
            (str(d["platform"]), str(d["account_id"])): d for d in unseen.values()
        }
        missing = [k for k in wanted_channels if k not in self._channels]
        if missing:
            repo = ChannelRepository(session, self.auth)
            existing = await session.execute(
                _scoped(select(Channel.id, Channel.platform, Channel.external_account_id),
                        Channel, self.auth)
                .where(Channel.external_account_id.in_({account for _, account in missing})))
            for channel_id, platform, account in existing:
                self._channels.setdefault((platform, account), channel_id)
            names = {_name(wanted_channels[k].get("account_name"), self.channel_label)
                     for k in missing if k not in self._channels}
            taken = set((await repo.by_names(names)).keys()) if names else set()
            for channel_key in missing:
                if channel_key in self._channels:
                    continue
                platform, account = channel_key
                name = _name(wanted_channels[channel_key].get("account_name"),
                             self.channel_label)
                if name in taken:
                    name = _name(f"{name} ({account})", name)
                taken.add(name)
                channel = repo.add(Channel(id=uuid7(), name=name, platform=platform,
                                           external_account_id=account))
                self._channels[channel_key] = channel.id
                created = True
        if created:  # each level is written before the next refers to it
            await session.flush()
            created = False
        for key, data in unseen.items():
            channel_of[key] = self._channels[(str(data["platform"]), str(data["account_id"]))]

        campaign_of: dict[tuple[Any, ...], uuid.UUID] = {}
        wanted = {(channel_of[k], _name(d.get("campaign_name"),
                                        f"Campaign {d.get('campaign_id')}")): d
                  for k, d in unseen.items()}
        missing_campaigns = [k for k in wanted if k not in self._campaigns]
        if missing_campaigns:
            repo_c = CampaignRepository(session, self.auth)
            found_c = await repo_c.by_keys(missing_campaigns)
            for campaign_key in missing_campaigns:
                if campaign_key in found_c:
                    self._campaigns[campaign_key] = found_c[campaign_key].id
                    continue
                objective = wanted[campaign_key].get("objective")
                campaign = repo_c.add(Campaign(
                    id=uuid7(), channel_id=campaign_key[0], name=campaign_key[1],
                    objective=str(objective)[:100] if objective else None))
                self._campaigns[campaign_key] = campaign.id
                created = True
        if created:
            await session.flush()
            created = False
        for key, data in unseen.items():
            campaign_of[key] = self._campaigns[(channel_of[key], _name(
                data.get("campaign_name"), f"Campaign {data.get('campaign_id')}"))]

        ad_set_of: dict[tuple[Any, ...], uuid.UUID | None] = {}
        wanted_sets: dict[tuple[uuid.UUID, str], dict[str, Any]] = {}
        for key, data in unseen.items():
            if data.get("ad_set_name") in (None, "") and data.get("ad_set_id") in (None, ""):
                ad_set_of[key] = None
                continue
            set_key = (campaign_of[key],
                       _name(data.get("ad_set_name"), f"Ad set {data.get('ad_set_id')}"))
            wanted_sets.setdefault(set_key, data)
        missing_sets = [k for k in wanted_sets if k not in self._ad_sets]
        if missing_sets:
            result = await session.execute(
                _scoped(select(AdSet.id, AdSet.campaign_id, AdSet.name), AdSet, self.auth)
                .where(AdSet.campaign_id.in_({c for c, _ in missing_sets}),
                       AdSet.name.in_({n for _, n in missing_sets})))
            for ad_set_id, campaign_id, name in result:
                self._ad_sets.setdefault((campaign_id, name), ad_set_id)
            repo_s = AdSetRepository(session, self.auth)
            for ad_set_key in missing_sets:
                if ad_set_key not in self._ad_sets:
                    ad_set = repo_s.add(AdSet(id=uuid7(), campaign_id=ad_set_key[0],
                                              name=ad_set_key[1]))
                    self._ad_sets[ad_set_key] = ad_set.id
                    created = True
        if created:
            await session.flush()
            created = False
        for key, data in unseen.items():
            if key not in ad_set_of:
                ad_set_of[key] = self._ad_sets[(campaign_of[key], _name(
                    data.get("ad_set_name"), f"Ad set {data.get('ad_set_id')}"))]

        creative_of: dict[tuple[Any, ...], uuid.UUID | None] = {}
        wanted_creatives: dict[tuple[uuid.UUID, str], tuple[tuple[Any, ...], dict[str, Any]]] = {}
        for key, data in unseen.items():
            if data.get("ad_name") in (None, "") and data.get("ad_id") in (None, ""):
                creative_of[key] = None
                continue
            creative_key = (campaign_of[key],
                            _name(data.get("ad_name"), f"Ad {data.get('ad_id')}"))
            wanted_creatives.setdefault(creative_key, (key, data))
        missing_creatives = [k for k in wanted_creatives if k not in self._creatives]
        if missing_creatives:
            repo_k = CreativeRepository(session, self.auth)
            found_k = await repo_k.by_keys(missing_creatives)
            for creative_key in missing_creatives:
                if creative_key in found_k:
                    self._creatives[creative_key] = found_k[creative_key].id
                    continue
                ad_key, data = wanted_creatives[creative_key]
                creative = repo_k.add(Creative(
                    id=uuid7(), campaign_id=creative_key[0], ad_set_id=ad_set_of[ad_key],
                    name=creative_key[1], format=str(data.get("ad_format") or "image")))
                self._creatives[creative_key] = creative.id
                created = True
        for key, data in unseen.items():
            if key not in creative_of:
                creative_of[key] = self._creatives[(campaign_of[key], _name(
                    data.get("ad_name"), f"Ad {data.get('ad_id')}"))]

        if created:
            await session.flush()
        for key in unseen:
            self._ads[key] = bulk.metric_grain(channel_of[key], campaign_of[key], creative_of[key])


# The provider's identifiers (and names) of an ad-day record's ad, and its day and measures.
_ad_key = itemgetter("platform", "account_id", "campaign_id", "campaign_name", "ad_set_id",
                     "ad_set_name", "ad_id", "ad_name")
_measures = itemgetter("date", "impressions", "clicks", "spend", "conversions", "revenue",
                       "frequency", "video_views")


def _scoped(stmt: Any, model: type[Any], auth: AuthContext) -> Select[Any]:
    return scope_to_tenant(cast("Select[Any]", stmt), model, auth)


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
