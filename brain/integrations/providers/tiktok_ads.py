"""TikTok Marketing API v1.3: synchronous integrated reports per ad per day.

Request (pinned by the contract tests): `GET /open_api/v1.3/report/integrated/get/` with
`advertiser_id`, `report_type=BASIC`, `data_level=AUCTION_AD`, `dimensions=["ad_id",
"stat_time_day"]` and `metrics=[…]` as JSON arrays, `start_date`/`end_date` (at most 30 days
with a daily dimension), `page` and `page_size`; the token goes in the `Access-Token` header.
Every answer is HTTP 200 with `{"code", "message", "request_id", "data"}`: the code, not the
status, says what happened (0 ok; 40100 too many requests; 40102/40104/40105 expired, empty
or invalid token; 40001 no permission; 40002 bad parameters; 5xxxx server errors).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from brain.integrations.base import (
    AuthMethod,
    CheckResult,
    Connector,
    ConnectorError,
    ConnectorErrorKind,
    Credentials,
    Message,
    Record,
    Spec,
    StateCheckpoint,
    Stream,
    SyncMode,
    SyncWindow,
)
from brain.integrations.http import default_classify, parse_retry_after, response_json
from brain.integrations.loaders import (
    AdMetricsLoader,
    ad_day_record,
    job_auth,
    purge_ad_channels,
)
from brain.integrations.registry import register
from brain.integrations.sandbox.common import SandboxContext, accounts
from brain.integrations.sandbox.tiktok_ads import PLATFORMS as TIKTOK_PLATFORMS
from brain.integrations.sandbox.tiktok_ads import tiktok_sandbox

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from brain.core.auth import AuthContext
    from brain.settings import Settings

REPORT_STREAM = "ad_daily_report"
PAGE_SIZE = 1000
REPORT_METRICS = (
    "campaign_id",
    "campaign_name",
    "adgroup_id",
    "adgroup_name",
    "ad_name",
    "objective_type",
    "spend",
    "impressions",
    "clicks",
    "conversion",
    # TikTok's (oddly named) total value of completed payments: the revenue it attributes.
    "total_complete_payment_rate",
    "frequency",
    "video_play_actions",
)
_TOKEN_CODES = {40102, 40104, 40105}
_PERMISSION_CODES = {40001}
_RATE_CODES = {40100}


def classify_tiktok(response: httpx.Response) -> ConnectorError | None:
    """TikTok's code envelope → `ConnectorError` (HTTP status only when no envelope)."""
    if response.status_code >= 400:
        return default_classify("tiktok_ads")(response)
    try:
        body = response_json(response)  # decoded once: the reader gets the same body
    except ValueError:
        return None
    code = int(body.get("code") or 0) if isinstance(body, dict) else 0
    if code == 0:
        return None
    if code in _TOKEN_CODES:
        kind = ConnectorErrorKind.expired_token
    elif code in _PERMISSION_CODES:
        kind = ConnectorErrorKind.missing_scope
    elif code in _RATE_CODES:
        kind = ConnectorErrorKind.rate_limited
    elif code >= 50000:
        kind = ConnectorErrorKind.provider_unavailable
    else:
        kind = ConnectorErrorKind.invalid_request
    return ConnectorError(
        kind, str(body.get("message") or "TikTok error"), provider="tiktok_ads",
        status_code=response.status_code, provider_code=str(code),
        retry_after=parse_retry_after(response.headers.get("retry-after")),
    )


def report_record(item: dict[str, Any], advertiser_id: str) -> Record:
    """One report row (dimensions + string metrics) → a normalised ad-day record."""
    dims = item.get("dimensions") or {}
    m = item.get("metrics") or {}
    views = m.get("video_play_actions")
    return ad_day_record(
        REPORT_STREAM,
        {
            "date": str(dims["stat_time_day"])[:10],
            "platform": "tiktok",
            "account_id": advertiser_id,
            "account_name": None,
            "campaign_id": m.get("campaign_id"),
            "campaign_name": m.get("campaign_name"),
            "objective": (str(m.get("objective_type") or "").lower() or None),
            "ad_set_id": m.get("adgroup_id"),
            "ad_set_name": m.get("adgroup_name"),
            "ad_id": dims.get("ad_id"),
            "ad_name": m.get("ad_name"),
            "ad_format": "video",
            "impressions": int(float(m.get("impressions") or 0)),
            "clicks": int(float(m.get("clicks") or 0)),
            "spend": float(m.get("spend") or 0),
            "conversions": float(m.get("conversion") or 0),
            "revenue": float(m.get("total_complete_payment_rate") or 0),
            "frequency": float(m["frequency"]) if m.get("frequency") not in (None, "") else None,
            "video_views": int(float(views)) if views not in (None, "") else None,
        },
    )


class TikTokAdsConnector(Connector):
    """Reads the integrated ad report (per ad per day) of the configured advertisers."""

    spec: ClassVar[Spec] = Spec(
        id="tiktok_ads",
        name="TikTok Ads",
        auth=AuthMethod.api_key,
        scopes=("Reporting",),
        config_schema={
            "type": "object",
            "properties": {
                "advertiser_ids": {
                    "type": "array",
                    "items": {"type": "string", "pattern": "^[0-9]+$"},
                    "minItems": 1,
                }
            },
            "required": ["advertiser_ids"],
        },
        docs_url="https://business-api.tiktok.com/portal/docs?id=1740302848100353",
    )
    api_root: ClassVar[str] = "https://business-api.tiktok.com/open_api/v1.3/"
    rate_per_second: ClassVar[float] = 10.0
    burst: ClassVar[int] = 10
    max_chunk_days: ClassVar[int] = 30

    _loader: AdMetricsLoader | None = None

    @classmethod
    def classify(cls, response: httpx.Response) -> ConnectorError | None:
        return classify_tiktok(response)

    @classmethod
    def auth_headers(
        cls, credentials: Credentials, config: dict[str, Any], *, settings: Settings | None = None
    ) -> dict[str, str]:
        return {"Access-Token": credentials.bearer}

    @classmethod
    async def purge(
        cls, session: AsyncSession, auth: AuthContext, config: dict[str, Any]
    ) -> int:
        pairs = [("tiktok", str(a)) for a in config.get("advertiser_ids") or []]
        return await purge_ad_channels(session, auth, pairs)

    @property
    def advertiser_ids(self) -> list[str]:
        return [str(a) for a in self.context.config.get("advertiser_ids") or []]

    def streams(self) -> list[Stream]:
        return [
            Stream(
                name=REPORT_STREAM,
                primary_key=("date", "ad_id"),
                cursor_field="date",
                modes=(SyncMode.full_refresh, SyncMode.incremental),
                description="Delivery and results per ad per day",
            )
        ]

    async def check(self) -> CheckResult:
        result = CheckResult()
        if not self.advertiser_ids:
            result.add("config", False, "no advertiser id configured")
            return result
        try:
            body = await self.http.get_json(
                "advertiser/info/",
                params={"advertiser_ids": json.dumps(self.advertiser_ids)},
            )
        except ConnectorError as exc:
            ok = exc.kind is not ConnectorErrorKind.expired_token
            result.add("credentials", ok, "token accepted" if ok else str(exc))
            if exc.kind is ConnectorErrorKind.missing_scope:
                result.missing_scopes = list(self.spec.scopes)
                result.add("advertisers", False, str(exc))
            return result
        result.add("credentials", True, "access token accepted")
        names = {str(a.get("advertiser_id")): a.get("name") for a in
                 (body.get("data") or {}).get("list") or []}
        for advertiser in self.advertiser_ids:
            result.add(f"advertiser {advertiser}", advertiser in names,
                       str(names.get(advertiser) or "not accessible"))
        return result

    async def read(
        self, stream: Stream, state: dict[str, Any] | None, window: SyncWindow
    ) -> AsyncIterator[Message]:
        if stream.name != REPORT_STREAM:
            raise KeyError(stream.name)
        position = dict(state or {})
        index = int(position.get("advertiser_index", 0))
        page = int(position.get("page", 1))
        advertisers = self.advertiser_ids
        while index < len(advertisers):
            body = await self.http.get_json(
                "report/integrated/get/",
                params={
                    "advertiser_id": advertisers[index],
                    "report_type": "BASIC",
                    "data_level": "AUCTION_AD",
                    "dimensions": json.dumps(["ad_id", "stat_time_day"]),
                    "metrics": json.dumps(list(REPORT_METRICS)),
                    "start_date": window.start_date.isoformat(),
                    "end_date": window.end_date.isoformat(),
                    "page": str(page),
                    "page_size": str(PAGE_SIZE),
                },
            )
            data = body.get("data") or {}
            for item in data.get("list") or []:
                yield report_record(item, advertisers[index])
            info = data.get("page_info") or {}
            if page < int(info.get("total_page") or 1):
                page += 1
            else:
                index, page = index + 1, 1
            yield StateCheckpoint(REPORT_STREAM, {"advertiser_index": index, "page": page})

    async def write(
        self, session: AsyncSession, stream: Stream, records: Sequence[Record]
    ) -> int:
        if self._loader is None:
            self._loader = AdMetricsLoader(
                job_auth(self.context.organization_id, self.context.connection_id),
                channel_label="TikTok Ads",
            )
        return await self._loader.load(session, records)


def tiktok_sandbox_config(context: SandboxContext) -> dict[str, Any]:
    """A sandbox connection reads every simulated TikTok advertiser."""
    return {"advertiser_ids": [account for account, _ in accounts(context, TIKTOK_PLATFORMS)]}


register(TikTokAdsConnector, sandbox=tiktok_sandbox, sandbox_config=tiktok_sandbox_config)
