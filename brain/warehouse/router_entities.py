"""Channels, campaigns, ad sets and creatives."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from brain.core.deps import DbSession, ReadData, WriteData
from brain.core.etag import check_if_match
from brain.core.pagination import (
    PageParams,
    SortOptions,
    list_page,
    page_params,
)
from brain.core.schemas import Page
from brain.warehouse import service
from brain.warehouse.models import AdSet, Campaign, Channel, Creative, Platform
from brain.warehouse.repository import (
    AdSetRepository,
    CampaignRepository,
    ChannelRepository,
    CreativeRepository,
)
from brain.warehouse.router_common import (
    IfMatch,
    created,
    no_content,
    object_path,
    with_etag,
)
from brain.warehouse.schemas import (
    AdSetCreate,
    AdSetRead,
    AdSetUpdate,
    CampaignCreate,
    CampaignRead,
    CampaignUpdate,
    ChannelCreate,
    ChannelRead,
    ChannelUpdate,
    CreativeCreate,
    CreativeRead,
    CreativeUpdate,
)

ORG_PREFIX = "/api/v1/organizations/{org_id}"
Paging = Annotated[PageParams, Depends(page_params)]

# Channels ----------------------------------------------------------------------------------

channels = APIRouter(prefix=f"{ORG_PREFIX}/channels", tags=["channels"])
CHANNEL_SORT = SortOptions(
    Channel.id, "created_at", created_at=Channel.created_at, name=Channel.name
)


@channels.get("", response_model=Page[ChannelRead], operation_id="list_channels")
async def list_channels(
    org_id: uuid.UUID,
    request: Request,
    auth: ReadData,
    session: DbSession,
    params: Paging,
    platform: Annotated[Platform | None, Query(description="Only this platform.")] = None,
) -> Response:
    """The organization's channels."""
    stmt = ChannelRepository(session, auth).list_statement(platform=platform)
    return await list_page(
        session, stmt, request=request, params=params, sort=CHANNEL_SORT, read_model=ChannelRead
    )


@channels.post("", response_model=ChannelRead, status_code=201, operation_id="create_channel")
async def create_channel(
    org_id: uuid.UUID, body: ChannelCreate, auth: WriteData, session: DbSession
) -> Response:
    """Add a channel (an ad or data platform account); names are unique."""
    channel = await service.create_channel(session, auth, body)
    return created(ChannelRead.model_validate(channel), object_path(org_id, "channels", channel.id))


@channels.get("/{channel_id}", response_model=ChannelRead, operation_id="get_channel")
async def get_channel(
    org_id: uuid.UUID, channel_id: uuid.UUID, auth: ReadData, session: DbSession
) -> Response:
    """One channel."""
    body = await ChannelRepository(session, auth).get_rendered(channel_id, ChannelRead)
    return Response(body, media_type="application/json")


@channels.patch("/{channel_id}", response_model=ChannelRead, operation_id="update_channel")
async def update_channel(
    org_id: uuid.UUID,
    channel_id: uuid.UUID,
    body: ChannelUpdate,
    auth: WriteData,
    session: DbSession,
    if_match: IfMatch = None,
) -> Response:
    """Change a channel's name, platform or external account id."""
    channel = await ChannelRepository(session, auth).get_or_404(channel_id)
    check_if_match(if_match, ChannelRead.model_validate(channel))
    channel = await service.update_channel(session, auth, channel, body)
    return with_etag(ChannelRead.model_validate(channel))


@channels.delete("/{channel_id}", status_code=204, operation_id="delete_channel")
async def delete_channel(
    org_id: uuid.UUID,
    channel_id: uuid.UUID,
    auth: WriteData,
    session: DbSession,
    if_match: IfMatch = None,
) -> Response:
    """Delete a channel with its campaigns, ad sets and creatives, and its daily metrics."""
    channel = await ChannelRepository(session, auth).get_or_404(channel_id)
    check_if_match(if_match, ChannelRead.model_validate(channel))
    await service.delete_channel(session, auth, channel)
    return no_content()


# Campaigns ---------------------------------------------------------------------------------

campaigns = APIRouter(prefix=f"{ORG_PREFIX}/campaigns", tags=["campaigns"])
CAMPAIGN_SORT = SortOptions(
    Campaign.id, "created_at", created_at=Campaign.created_at, name=Campaign.name
)


@campaigns.get("", response_model=Page[CampaignRead], operation_id="list_campaigns")
async def list_campaigns(
    org_id: uuid.UUID,
    request: Request,
    auth: ReadData,
    session: DbSession,
    params: Paging,
    channel_id: Annotated[uuid.UUID | None, Query(description="Only this channel's.")] = None,
) -> Response:
    """The organization's campaigns."""
    stmt = CampaignRepository(session, auth).list_statement(channel_id=channel_id)
    return await list_page(
        session, stmt, request=request, params=params, sort=CAMPAIGN_SORT, read_model=CampaignRead
    )


@campaigns.post("", response_model=CampaignRead, status_code=201, operation_id="create_campaign")
async def create_campaign(
    org_id: uuid.UUID, body: CampaignCreate, auth: WriteData, session: DbSession
) -> Response:
    """Add a campaign to a channel; names are unique within the channel."""
    campaign = await service.create_campaign(session, auth, body)
    return created(
        CampaignRead.model_validate(campaign), object_path(org_id, "campaigns", campaign.id)
    )


@campaigns.get("/{campaign_id}", response_model=CampaignRead, operation_id="get_campaign")
async def get_campaign(
    org_id: uuid.UUID, campaign_id: uuid.UUID, auth: ReadData, session: DbSession
) -> Response:
    """One campaign."""
    body = await CampaignRepository(session, auth).get_rendered(campaign_id, CampaignRead)
    return Response(body, media_type="application/json")


@campaigns.patch("/{campaign_id}", response_model=CampaignRead, operation_id="update_campaign")
async def update_campaign(
    org_id: uuid.UUID,
    campaign_id: uuid.UUID,
    body: CampaignUpdate,
    auth: WriteData,
    session: DbSession,
    if_match: IfMatch = None,
) -> Response:
    """Rename a campaign or change its objective."""
    campaign = await CampaignRepository(session, auth).get_or_404(campaign_id)
    check_if_match(if_match, CampaignRead.model_validate(campaign))
    campaign = await service.update_campaign(session, auth, campaign, body)
    return with_etag(CampaignRead.model_validate(campaign))


@campaigns.delete("/{campaign_id}", status_code=204, operation_id="delete_campaign")
async def delete_campaign(
    org_id: uuid.UUID,
    campaign_id: uuid.UUID,
    auth: WriteData,
    session: DbSession,
    if_match: IfMatch = None,
) -> Response:
    """Delete a campaign with its ad sets and creatives, and its daily metrics."""
    campaign = await CampaignRepository(session, auth).get_or_404(campaign_id)
    check_if_match(if_match, CampaignRead.model_validate(campaign))
    await service.delete_campaign(session, auth, campaign)
    return no_content()


# Ad sets -----------------------------------------------------------------------------------

ad_sets = APIRouter(prefix=f"{ORG_PREFIX}/ad-sets", tags=["ad-sets"])
AD_SET_SORT = SortOptions(AdSet.id, "created_at", created_at=AdSet.created_at, name=AdSet.name)


@ad_sets.get("", response_model=Page[AdSetRead], operation_id="list_ad_sets")
async def list_ad_sets(
    org_id: uuid.UUID,
    request: Request,
    auth: ReadData,
    session: DbSession,
    params: Paging,
    campaign_id: Annotated[uuid.UUID | None, Query(description="Only this campaign's.")] = None,
) -> Response:
    """The organization's ad sets."""
    stmt = AdSetRepository(session, auth).list_statement(campaign_id=campaign_id)
    return await list_page(
        session, stmt, request=request, params=params, sort=AD_SET_SORT, read_model=AdSetRead
    )


@ad_sets.post("", response_model=AdSetRead, status_code=201, operation_id="create_ad_set")
async def create_ad_set(
    org_id: uuid.UUID, body: AdSetCreate, auth: WriteData, session: DbSession
) -> Response:
    """Add an ad set to a campaign; names are unique within the campaign."""
    ad_set = await service.create_ad_set(session, auth, body)
    return created(AdSetRead.model_validate(ad_set), object_path(org_id, "ad-sets", ad_set.id))


@ad_sets.get("/{ad_set_id}", response_model=AdSetRead, operation_id="get_ad_set")
async def get_ad_set(
    org_id: uuid.UUID, ad_set_id: uuid.UUID, auth: ReadData, session: DbSession
) -> Response:
    """One ad set."""
    body = await AdSetRepository(session, auth).get_rendered(ad_set_id, AdSetRead)
    return Response(body, media_type="application/json")


@ad_sets.patch("/{ad_set_id}", response_model=AdSetRead, operation_id="update_ad_set")
async def update_ad_set(
    org_id: uuid.UUID,
    ad_set_id: uuid.UUID,
    body: AdSetUpdate,
    auth: WriteData,
    session: DbSession,
    if_match: IfMatch = None,
) -> Response:
    """Rename an ad set."""
    ad_set = await AdSetRepository(session, auth).get_or_404(ad_set_id)
    check_if_match(if_match, AdSetRead.model_validate(ad_set))
    ad_set = await service.update_ad_set(session, auth, ad_set, body)
    return with_etag(AdSetRead.model_validate(ad_set))


@ad_sets.delete("/{ad_set_id}", status_code=204, operation_id="delete_ad_set")
async def delete_ad_set(
    org_id: uuid.UUID,
    ad_set_id: uuid.UUID,
    auth: WriteData,
    session: DbSession,
    if_match: IfMatch = None,
) -> Response:
    """Delete an ad set; its creatives stay, without an ad set."""
    ad_set = await AdSetRepository(session, auth).get_or_404(ad_set_id)
    check_if_match(if_match, AdSetRead.model_validate(ad_set))
    await service.delete_ad_set(session, auth, ad_set)
    return no_content()


# Creatives ---------------------------------------------------------------------------------

creatives = APIRouter(prefix=f"{ORG_PREFIX}/creatives", tags=["creatives"])
CREATIVE_SORT = SortOptions(
    Creative.id, "created_at", created_at=Creative.created_at, name=Creative.name
)


@creatives.get("", response_model=Page[CreativeRead], operation_id="list_creatives")
async def list_creatives(
    org_id: uuid.UUID,
    request: Request,
    auth: ReadData,
    session: DbSession,
    params: Paging,
    campaign_id: Annotated[uuid.UUID | None, Query(description="Only this campaign's.")] = None,
    ad_set_id: Annotated[uuid.UUID | None, Query(description="Only this ad set's.")] = None,
) -> Response:
    """The organization's creatives."""
    stmt = CreativeRepository(session, auth).list_statement(
        campaign_id=campaign_id, ad_set_id=ad_set_id
    )
    return await list_page(
        session, stmt, request=request, params=params, sort=CREATIVE_SORT, read_model=CreativeRead
    )


@creatives.post("", response_model=CreativeRead, status_code=201, operation_id="create_creative")
async def create_creative(
    org_id: uuid.UUID, body: CreativeCreate, auth: WriteData, session: DbSession
) -> Response:
    """Add a creative to a campaign (and optionally to one of its ad sets)."""
    creative = await service.create_creative(session, auth, body)
    return created(
        CreativeRead.model_validate(creative), object_path(org_id, "creatives", creative.id)
    )


@creatives.get("/{creative_id}", response_model=CreativeRead, operation_id="get_creative")
async def get_creative(
    org_id: uuid.UUID, creative_id: uuid.UUID, auth: ReadData, session: DbSession
) -> Response:
    """One creative."""
    body = await CreativeRepository(session, auth).get_rendered(creative_id, CreativeRead)
    return Response(body, media_type="application/json")


@creatives.patch("/{creative_id}", response_model=CreativeRead, operation_id="update_creative")
async def update_creative(
    org_id: uuid.UUID,
    creative_id: uuid.UUID,
    body: CreativeUpdate,
    auth: WriteData,
    session: DbSession,
    if_match: IfMatch = None,
) -> Response:
    """Change a creative's attributes or move it to another ad set of its campaign."""
    creative = await CreativeRepository(session, auth).get_or_404(creative_id)
    check_if_match(if_match, CreativeRead.model_validate(creative))
    creative = await service.update_creative(session, auth, creative, body)
    return with_etag(CreativeRead.model_validate(creative))


@creatives.delete("/{creative_id}", status_code=204, operation_id="delete_creative")
async def delete_creative(
    org_id: uuid.UUID,
    creative_id: uuid.UUID,
    auth: WriteData,
    session: DbSession,
    if_match: IfMatch = None,
) -> Response:
    """Delete a creative and its daily metrics."""
    creative = await CreativeRepository(session, auth).get_or_404(creative_id)
    check_if_match(if_match, CreativeRead.model_validate(creative))
    await service.delete_creative(session, auth, creative)
    return no_content()


routers = [channels, campaigns, ad_sets, creatives]
