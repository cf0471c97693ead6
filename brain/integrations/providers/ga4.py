"""Google Analytics 4: Data API `runReport` in, Measurement Protocol purchases out.

Reading (Data API v1beta, documented shapes pinned by the contract tests):
`POST https://analyticsdata.googleapis.com/v1beta/properties/{propertyId}:runReport` with
`dateRanges`, the dimensions `date`, `sessionSource`, `sessionMedium`, `sessionCampaignName`
and the metrics `sessions`, `keyEvents` (GA4's name for conversions since 2024) and
`totalRevenue`, paged by `offset`/`limit` until `rowCount` rows were read. Dates come back as
`YYYYMMDD`, metric values as strings. OAuth 2.0 bearer token, scope `analytics.readonly`.
Errors use Google's envelope `{"error": {"code", "message", "status", "details"}}`:
UNAUTHENTICATED (expired token), PERMISSION_DENIED (scope not granted, or no access to the
property), RESOURCE_EXHAUSTED (quota; per-hour/per-day token quotas come back much later).

Writing back: `MeasurementProtocol.send_purchase` posts a `purchase` event to
`https://www.google-analytics.com/mp/collect?measurement_id=…&api_secret=…` (204, no body;
the collect endpoint never reports validation errors, `validate_purchase` uses
`/debug/mp/collect` which answers `validationMessages`).

Rows land in `daily_metrics` under one channel per property (platform `ga4`, external
account id = the property id), at campaign grain: one warehouse campaign per
"source / medium: campaign" (the campaigns of a ga4 channel are traffic sources, not media).
`clicks` holds sessions (the warehouse has no sessions column), `conversions` key events and
`revenue` the site's revenue; spend and impressions are 0. The brain's data loader treats
ga4 channels as measurement, not media, and sums their rows per day as total revenue when a
tenant has no orders, so each day is stored at this one grain only.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from brain.integrations.base import (
    AuthMethod,
    CheckResult,
    Connector,
    ConnectorError,
    ConnectorErrorKind,
    Message,
    OAuthSpec,
    Record,
    Spec,
    StateCheckpoint,
    Stream,
    SyncMode,
    SyncWindow,
)
from brain.integrations.http import ProviderHttpClient, classify_status
from brain.integrations.loaders import AdMetricsLoader, ad_day_record, job_auth
from brain.integrations.registry import register
from brain.integrations.sandbox.ga4 import ga4_sandbox

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

PROVIDER = "ga4"
SCOPE = "https://www.googleapis.com/auth/analytics.readonly"
STREAM = "traffic_daily"
DIMENSIONS = ("date", "sessionSource", "sessionMedium", "sessionCampaignName")
METRICS = ("sessions", "keyEvents", "totalRevenue")
PAGE_LIMIT = 10_000  # the API allows up to 250,000; smaller pages make smaller checkpoints
SANDBOX_PROPERTY = "100000001"
MP_COLLECT_URL = "https://www.google-analytics.com/mp/collect"
MP_DEBUG_URL = "https://www.google-analytics.com/debug/mp/collect"

TRAFFIC_DAILY = Stream(
    name=STREAM,
    primary_key=("date", "source", "medium", "campaign"),
    cursor_field="date",
    modes=(SyncMode.full_refresh, SyncMode.incremental),
    description="Sessions, key events and revenue per day x source/medium x campaign",
)

# A quota that refills per hour or per day cannot be waited out inside one request: a long
# `retry_after` makes the HTTP client give up so the engine reschedules the sync instead.
_LONG_QUOTA = re.compile(r"per (hour|day)", re.IGNORECASE)
_STATUS_KINDS = {
    "UNAUTHENTICATED": ConnectorErrorKind.expired_token,
    "PERMISSION_DENIED": ConnectorErrorKind.missing_scope,
    "RESOURCE_EXHAUSTED": ConnectorErrorKind.rate_limited,
    "INVALID_ARGUMENT": ConnectorErrorKind.invalid_request,
    "FAILED_PRECONDITION": ConnectorErrorKind.invalid_request,
    "NOT_FOUND": ConnectorErrorKind.not_found,
    "UNAVAILABLE": ConnectorErrorKind.provider_unavailable,
    "INTERNAL": ConnectorErrorKind.provider_unavailable,
    "DEADLINE_EXCEEDED": ConnectorErrorKind.provider_unavailable,
}


def _error_reasons(error: dict[str, Any]) -> list[str]:
    return [
        str(detail.get("reason"))
        for detail in error.get("details") or []
        if isinstance(detail, dict) and detail.get("reason")
    ]


def classify_ga4(response: httpx.Response) -> ConnectorError | None:
    """Google's error envelope → `ConnectorError` (None for a success)."""
    status_code = response.status_code
    if status_code < 400:
        return None
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    status = str(error.get("status") or "")
    message = str(error.get("message") or f"HTTP {status_code}")
    kind = _STATUS_KINDS.get(status) or classify_status(status_code)
    missing: list[str] = []
    if "ACCESS_TOKEN_SCOPE_INSUFFICIENT" in _error_reasons(error):
        missing = [SCOPE]
    retry_after: float | None = None
    if kind is ConnectorErrorKind.rate_limited and (match := _LONG_QUOTA.search(message)):
        retry_after = 3600.0 if match.group(1).lower() == "hour" else 86_400.0
    return ConnectorError(
        kind,
        message,
        provider=PROVIDER,
        status_code=status_code,
        retry_after=retry_after,
        missing_scopes=missing,
        provider_code=status or None,
    )


def report_body(start: date, end: date, *, offset: int, limit: int) -> dict[str, Any]:
    """The `runReport` request body for one date range and page."""
    return {
        "dateRanges": [{"startDate": start.isoformat(), "endDate": end.isoformat()}],
        "dimensions": [{"name": name} for name in DIMENSIONS],
        "metrics": [{"name": name} for name in METRICS],
        # A total order makes offset paging stable across pages.
        "orderBys": [{"dimension": {"dimensionName": name}} for name in DIMENSIONS],
        "offset": offset,
        "limit": limit,
        "keepEmptyRows": False,
    }


def _ga_date(value: str) -> str:
    """`YYYYMMDD` → ISO `YYYY-MM-DD`."""
    return f"{value[0:4]}-{value[4:6]}-{value[6:8]}"


def parse_report(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's rows as records keyed by our field names (headers give the order)."""
    dimensions = [h.get("name") for h in body.get("dimensionHeaders") or []]
    metrics = [h.get("name") for h in body.get("metricHeaders") or []]
    currency = (body.get("metadata") or {}).get("currencyCode")
    records: list[dict[str, Any]] = []
    for row in body.get("rows") or []:
        dims = dict(zip(dimensions, (v.get("value") for v in row.get("dimensionValues") or []),
                        strict=False))
        values = dict(zip(metrics, (v.get("value") for v in row.get("metricValues") or []),
                          strict=False))
        records.append(
            {
                "date": _ga_date(str(dims.get("date") or "")),
                "source": str(dims.get("sessionSource") or "(not set)"),
                "medium": str(dims.get("sessionMedium") or "(not set)"),
                "campaign": str(dims.get("sessionCampaignName") or "(not set)"),
                "sessions": int(float(values.get("sessions") or 0)),
                "key_events": float(values.get("keyEvents") or 0),
                "revenue": float(values.get("totalRevenue") or 0),
                "currency": currency,
            }
        )
    return records


def traffic_source_name(data: dict[str, Any]) -> str:
    """The warehouse campaign of a traffic row: "source / medium: campaign"."""
    return f"{data['source']} / {data['medium']}: {data['campaign']}"[:200]


def metric_record(property_id: str, data: dict[str, Any]) -> Record:
    """A traffic row as a campaign-grain daily-metric record of the property's ga4 channel."""
    return ad_day_record(
        STREAM,
        {
            "date": data["date"],
            "platform": "ga4",
            "account_id": property_id,
            "account_name": "Google Analytics 4",
            "campaign_id": None,
            "campaign_name": traffic_source_name(data),
            "objective": None,
            "ad_set_id": None,
            "ad_set_name": None,
            "ad_id": None,
            "ad_name": None,
            "ad_format": None,
            "impressions": 0,
            "clicks": int(data.get("sessions") or 0),
            "spend": 0.0,
            "conversions": float(data.get("key_events") or 0.0),
            "revenue": float(data.get("revenue") or 0.0),
            "frequency": None,
            "video_views": None,
        },
    )


class Ga4Connector(Connector):
    """Reads daily traffic and revenue of one GA4 property."""

    spec: ClassVar[Spec] = Spec(
        id=PROVIDER,
        name="Google Analytics 4",
        auth=AuthMethod.oauth2,
        scopes=(SCOPE,),
        config_schema={
            "type": "object",
            "required": ["property_id"],
            "properties": {
                "property_id": {
                    "type": "string",
                    "pattern": "^[0-9]{1,20}$",
                    "description": "The numeric GA4 property id (Admin → Property details)",
                },
                "measurement_id": {
                    "type": "string",
                    "pattern": "^G-[A-Z0-9]+$",
                    "description": "Web stream measurement id, to send conversions back",
                },
            },
        },
        oauth=OAuthSpec(
            authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
            token_url="https://oauth2.googleapis.com/token",  # noqa: S106
            revoke_url="https://oauth2.googleapis.com/revoke",
            authorize_params={"access_type": "offline", "prompt": "consent",
                              "include_granted_scopes": "true"},
        ),
        docs_url="https://developers.google.com/analytics/devguides/reporting/data/v1",
    )
    api_root: ClassVar[str] = "https://analyticsdata.googleapis.com/v1beta/"
    # Core quota: 10 concurrent requests and a token budget per property and hour.
    rate_per_second: ClassVar[float] = 5.0
    burst: ClassVar[int] = 10
    max_chunk_days: ClassVar[int] = 31

    _loader: AdMetricsLoader | None = None

    @classmethod
    def classify(cls, response: httpx.Response) -> ConnectorError | None:
        return classify_ga4(response)

    @property
    def property_id(self) -> str:
        value = str(self.context.config.get("property_id") or "").removeprefix("properties/")
        if not value and self.context.sandbox:
            return SANDBOX_PROPERTY
        if not value.isdigit():
            raise ConnectorError(
                ConnectorErrorKind.invalid_request,
                "config.property_id must be the numeric GA4 property id",
                provider=PROVIDER,
            )
        return value

    def streams(self) -> list[Stream]:
        return [TRAFFIC_DAILY]

    async def _report(self, start: date, end: date, offset: int, limit: int) -> dict[str, Any]:
        body = await self.http.post_json(
            f"properties/{self.property_id}:runReport",
            json=report_body(start, end, offset=offset, limit=limit),
        )
        return dict(body)

    async def check(self) -> CheckResult:
        result = CheckResult()
        granted = self.context.credentials.scopes
        if granted:
            result.missing_scopes = self.missing_scopes(granted)
        label = f"property {self.context.config.get('property_id') or SANDBOX_PROPERTY}"
        yesterday = date.today() - timedelta(days=1)
        try:
            body = await self._report(yesterday, yesterday, 0, 1)
        except ConnectorError as exc:
            if exc.needs_reauth:
                result.add("credentials", False, exc.message)
            elif exc.kind is ConnectorErrorKind.missing_scope:
                result.add("credentials", True, "the access token is valid")
                result.missing_scopes = sorted(
                    set(result.missing_scopes) | set(exc.missing_scopes))
                result.add(label, False, exc.message)
            else:
                result.add(label, False, exc.message)
            return result
        result.add("credentials", True, "the access token is valid")
        result.add("scopes", not result.missing_scopes,
                   "missing: " + ", ".join(result.missing_scopes) if result.missing_scopes
                   else "analytics.readonly granted")
        result.add(label, True, f"report readable ({body.get('rowCount', 0)} rows yesterday)")
        return result

    def read(
        self, stream: Stream, state: dict[str, Any] | None, window: SyncWindow
    ) -> AsyncIterator[Message]:
        if stream.name != STREAM:
            raise KeyError(stream.name)
        return self._read(dict(state or {}), window)

    async def _read(self, state: dict[str, Any], window: SyncWindow) -> AsyncIterator[Message]:
        if state.get("done"):
            return
        offset = int(state.get("offset") or 0)
        while True:
            body = await self._report(window.start_date, window.end_date, offset, PAGE_LIMIT)
            rows = parse_report(body)
            for row in rows:
                yield Record(stream=STREAM, data=row)
            offset += len(rows)
            total = int(body.get("rowCount") or 0)
            if not rows or offset >= total:
                yield StateCheckpoint(STREAM, {"done": True})
                return
            yield StateCheckpoint(STREAM, {"offset": offset})

    async def write(
        self, session: AsyncSession, stream: Stream, records: Sequence[Record]
    ) -> int:
        if self._loader is None:
            self._loader = AdMetricsLoader(
                job_auth(self.context.organization_id, self.context.connection_id),
                channel_label="Google Analytics 4",
            )
        property_id = self.property_id
        return await self._loader.load(
            session, [metric_record(property_id, r.data) for r in records]
        )


class MeasurementProtocol:
    """Sends conversions back to GA4 (Measurement Protocol, one web data stream)."""

    def __init__(self, http: ProviderHttpClient, *, measurement_id: str, api_secret: str) -> None:
        self.http = http
        self.measurement_id = measurement_id
        self.api_secret = api_secret

    @staticmethod
    def purchase_payload(
        *,
        client_id: str,
        transaction_id: str,
        value: float,
        currency: str,
        user_id: str | None = None,
        items: Sequence[dict[str, Any]] = (),
    ) -> dict[str, Any]:
        """The documented request body of one `purchase` event."""
        params: dict[str, Any] = {
            "transaction_id": transaction_id,
            "value": round(float(value), 2),
            "currency": currency.upper(),
        }
        if items:
            params["items"] = list(items)
        payload: dict[str, Any] = {"client_id": client_id}
        if user_id:
            payload["user_id"] = user_id
        payload["events"] = [{"name": "purchase", "params": params}]
        return payload

    def _params(self) -> dict[str, str]:
        return {"measurement_id": self.measurement_id, "api_secret": self.api_secret}

    async def send_purchase(self, **purchase: Any) -> None:
        """Post one purchase (GA4 answers 2xx with no body whatever the payload)."""
        await self.http.request(
            "POST", MP_COLLECT_URL, params=self._params(),
            json=self.purchase_payload(**purchase),
        )

    async def validate_purchase(self, **purchase: Any) -> list[dict[str, Any]]:
        """The validation server's messages for a purchase (empty = valid)."""
        body = await self.http.post_json(
            MP_DEBUG_URL, params=self._params(), json=self.purchase_payload(**purchase)
        )
        return list(body.get("validationMessages") or [])


register(Ga4Connector, sandbox=ga4_sandbox)
