"""Helpers of the integrations tests: sandbox connections, sync runs and warehouse snapshots."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any
from urllib.parse import parse_qs

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from brain.core.db import BYPASS_INFO_KEY
from brain.core.jobs import Dispatcher
from brain.core.runtime import Runtime
from brain.integrations.loaders import job_auth
from brain.integrations.models import Connection, SyncKind, SyncRun
from brain.integrations.service import create_connection, request_sync
from brain.warehouse.models import AdSet, Campaign, Channel, Creative, DailyMetric

SANDBOX_TODAY = date(2026, 11, 25)
# The OAuth app the OAuth harness (tests/integrations/conftest.py) configures.
OAUTH_CLIENTS = {"meta_ads": {"client_id": "meta-app", "client_secret": "meta-secret"}}


class TokenEndpoint:
    """A provider's OAuth token endpoint answering `status` / `body`; keeps the forms sent."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status, self.body = status, body
        self.forms: list[dict[str, list[str]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.forms.append(parse_qs(request.content.decode()))
        return httpx.Response(self.status, json=self.body)


class RecordingDispatcher:
    """Collects follow-up jobs instead of running them (brain runs, emails)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def dispatch(self, name: str, kwargs: dict[str, Any]) -> None:
        self.sent.append((name, kwargs))


def _as_dispatcher(recorder: RecordingDispatcher) -> Dispatcher:
    return recorder


async def sandbox_connection(
    runtime: Runtime,
    organization_id: uuid.UUID,
    provider: str,
    *,
    days: int = 60,
    fault_rate: float = 0.0,
    rate_limit_every: int = 0,
    page_size_cap: int = 500,
) -> Connection:
    """A committed sandbox connection whose simulator serves `days` days before 2026-11-25."""
    factory: async_sessionmaker[AsyncSession] = runtime.session_factory
    async with factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        connection, _ = await create_connection(
            session,
            job_auth(organization_id, uuid.uuid4()),
            provider=provider,
            sandbox=True,
            # The simulated world's "today" is pinned from the start, so the connection's
            # backfill start (the world's first day) does not follow the real clock.
            config={"sandbox": {"days": days, "fault_rate": fault_rate,
                                "rate_limit_every": rate_limit_every,
                                "page_size_cap": page_size_cap,
                                "today": SANDBOX_TODAY.isoformat()}},
            name=None,
            credentials=None,
            keyring=runtime.keys,
            settings=runtime.settings,
        )
        # Pin the simulated world's "today" so every run sees the same data.
        connection.config = {
            **connection.config,
            "sandbox": {**connection.config["sandbox"], "today": SANDBOX_TODAY.isoformat()},
        }
        await session.commit()
    return connection


async def queue_sync(
    runtime: Runtime,
    connection: Connection,
    *,
    mode: SyncKind = SyncKind.backfill,
    start: date | None = None,
    end: date | None = None,
) -> SyncRun:
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        run = await request_sync(
            session,
            job_auth(connection.organization_id, uuid.uuid4()),
            connection,
            mode=mode,
            start_date=start,
            end_date=end,
            today=SANDBOX_TODAY,
        )
        await session.commit()
    return run


async def warehouse_snapshot(
    session: AsyncSession, organization_id: uuid.UUID
) -> list[tuple[Any, ...]]:
    """Every daily-metric row of the tenant by natural key (names, not ids), sorted."""
    rows = await session.execute(
        select(
            DailyMetric.date,
            Channel.platform,
            Channel.external_account_id,
            Campaign.name,
            AdSet.name,
            Creative.name,
            DailyMetric.impressions,
            DailyMetric.clicks,
            DailyMetric.spend,
            DailyMetric.conversions,
            DailyMetric.revenue,
            DailyMetric.video_views,
        )
        .join(Channel, Channel.id == DailyMetric.channel_id)
        .outerjoin(Campaign, Campaign.id == DailyMetric.campaign_id)
        .outerjoin(Creative, Creative.id == DailyMetric.creative_id)
        .outerjoin(AdSet, AdSet.id == Creative.ad_set_id)
        .where(DailyMetric.organization_id == organization_id)
    )
    return sorted(tuple(r) for r in rows.all())
