"""Google Ads API (incl. YouTube video campaigns): ad metrics per ad per day via GAQL.

Request (pinned by the contract tests): `POST /v21/customers/{customer_id}/googleAds:searchStream`
with `{"query": <GAQL>}`, headers `Authorization: Bearer`, `developer-token` and, when the
account is reached through a manager, `login-customer-id` (digits only). searchStream answers
a JSON array of batches, each `{"results": [GoogleAdsRow], "fieldMask", "requestId"}`, with
camelCase names and int64 values as strings; cost is in micros. Errors follow the Google API
envelope `{"error": {"code", "message", "status", "details": [GoogleAdsFailure]}}` (wrapped in
an array by searchStream); the failure's `errorCode` says which kind (authenticationError,
authorizationError, quotaError with `retryDelay`, internalError).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from functools import lru_cache
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
    OAuthSpec,
    Record,
    Spec,
    StateCheckpoint,
    Stream,
    SyncMode,
    SyncWindow,
)
from brain.integrations.http import classify_status, parse_retry_after
from brain.integrations.loaders import (
    AdMetricsLoader,
    ad_day_record,
    job_auth,
    purge_ad_channels,
)
from brain.integrations.registry import register
from brain.integrations.sandbox.common import SandboxContext, accounts
from brain.integrations.sandbox.google_ads import API_VERSION, google_ads_sandbox
from brain.integrations.sandbox.google_ads import PLATFORMS as GOOGLE_PLATFORMS

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from brain.core.auth import AuthContext
    from brain.settings import Settings

AD_STREAM = "ad_group_ad_daily"
ADWORDS_SCOPE = "https://www.googleapis.com/auth/adwords"
SANDBOX_DEVELOPER_TOKEN = "sandbox-developer-token"  # noqa: S105  (the simulator's fixed value)
GAQL_FIELDS = (
    "customer.id",
    "customer.descriptive_name",
    "campaign.id",
    "campaign.name",
    "campaign.advertising_channel_type",
    "ad_group.id",
    "ad_group.name",
    "ad_group_ad.ad.id",
    "ad_group_ad.ad.name",
    "ad_group_ad.ad.type",
    "segments.date",
    "metrics.impressions",
    "metrics.clicks",
    "metrics.cost_micros",
    "metrics.conversions",
    "metrics.conversions_value",
    "metrics.video_views",
)


def digits(customer_id: str) -> str:
    """`123-456-7890` → `1234567890` (the API's form)."""
    return customer_id.replace("-", "").strip()


def dashed(customer_id: str) -> str:
    """`1234567890` → `123-456-7890` (the form people and the warehouse use)."""
    d = digits(customer_id)
    return f"{d[:3]}-{d[3:6]}-{d[6:]}" if len(d) == 10 else d


def gaql(window: SyncWindow) -> str:
    """The GAQL query of one date window (ordered so retries see the same sequence)."""
    return (
        f"SELECT {', '.join(GAQL_FIELDS)} FROM ad_group_ad "
        f"WHERE segments.date BETWEEN '{window.start_date.isoformat()}' "
        f"AND '{window.end_date.isoformat()}' "
        "ORDER BY segments.date, ad_group_ad.ad.id"
    )


def _duration_seconds(value: Any) -> float | None:
    """`"30s"` (a protobuf Duration in JSON) → 30.0."""
    if not isinstance(value, str) or not value.endswith("s"):
        return None
    try:
        return max(0.0, float(value[:-1]))
    except ValueError:
        return None


_STATUS_KINDS = {
    "UNAUTHENTICATED": ConnectorErrorKind.expired_token,
    "PERMISSION_DENIED": ConnectorErrorKind.missing_scope,
    "RESOURCE_EXHAUSTED": ConnectorErrorKind.rate_limited,
    "UNAVAILABLE": ConnectorErrorKind.provider_unavailable,
    "INTERNAL": ConnectorErrorKind.provider_unavailable,
    "DEADLINE_EXCEEDED": ConnectorErrorKind.provider_unavailable,
    "INVALID_ARGUMENT": ConnectorErrorKind.invalid_request,
    "NOT_FOUND": ConnectorErrorKind.not_found,
}
_ERROR_CODE_KINDS = {
    "authenticationError": ConnectorErrorKind.expired_token,
    "authorizationError": ConnectorErrorKind.missing_scope,
    "quotaError": ConnectorErrorKind.rate_limited,
    "internalError": ConnectorErrorKind.provider_unavailable,
}


def classify_google_ads(response: httpx.Response) -> ConnectorError | None:
    """The Google API error envelope (possibly array-wrapped) → `ConnectorError`."""
    if response.status_code < 400:
        return None
    try:
        body = response.json()
    except ValueError:
        body = {}
    if isinstance(body, list):
        body = body[0] if body and isinstance(body[0], dict) else {}
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    status = str(error.get("status") or "")
    kind = _STATUS_KINDS.get(status) or classify_status(response.status_code)
    message = str(error.get("message") or f"HTTP {response.status_code}")
    code_text: str | None = status or None
    retry_after: float | None = None
    for detail in error.get("details") or []:
        for failure in detail.get("errors") or [] if isinstance(detail, dict) else []:
            error_code = failure.get("errorCode") or {}
            for key, value in error_code.items():
                kind = _ERROR_CODE_KINDS.get(key, kind)
                code_text = f"{key}.{value}"
            message = str(failure.get("message") or message)
            quota = (failure.get("details") or {}).get("quotaErrorDetails") or {}
            retry_after = _duration_seconds(quota.get("retryDelay")) or retry_after
        if isinstance(detail, dict) and detail.get("reason") == "ACCESS_TOKEN_SCOPE_INSUFFICIENT":
            kind = ConnectorErrorKind.missing_scope
    if retry_after is None:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
    return ConnectorError(
        kind, message, provider="google_ads", status_code=response.status_code,
        retry_after=retry_after, provider_code=code_text,
    )


def _int(value: Any) -> int:
    return int(value) if value not in (None, "") else 0


@lru_cache(maxsize=4096)
def _account(customer_id: str) -> str:
    return dashed(customer_id)


_NOTHING: dict[str, Any] = {}


def ads_row_record(row: dict[str, Any]) -> Record:
    """One GoogleAdsRow → a normalised ad-day record (YouTube when the campaign is VIDEO).

    Metrics whose value is zero may be absent (proto3 JSON leaves defaults out)."""
    customer = row.get("customer") or _NOTHING
    campaign = row.get("campaign") or _NOTHING
    ad_group = row.get("adGroup") or _NOTHING
    ad = (row.get("adGroupAd") or _NOTHING).get("ad") or _NOTHING
    metrics = row.get("metrics") or _NOTHING
    video = campaign.get("advertisingChannelType") == "VIDEO"
    views = metrics.get("videoViews")
    cost = metrics.get("costMicros")
    return ad_day_record(
        AD_STREAM,
        {
            "date": (row.get("segments") or _NOTHING)["date"],
            "platform": "youtube" if video else "google",
            "account_id": _account(str(customer.get("id") or "")),
            "account_name": customer.get("descriptiveName"),
            "campaign_id": campaign.get("id"),
            "campaign_name": campaign.get("name"),
            "objective": None,
            "ad_set_id": ad_group.get("id"),
            "ad_set_name": ad_group.get("name"),
            "ad_id": ad.get("id"),
            "ad_name": ad.get("name"),
            "ad_format": _ad_format(ad.get("type") or ""),
            "impressions": _int(metrics.get("impressions")),
            "clicks": _int(metrics.get("clicks")),
            "spend": round(int(cost) / 1_000_000, 6) if cost not in (None, "") else 0.0,
            "conversions": float(metrics.get("conversions") or 0),
            "revenue": float(metrics.get("conversionsValue") or 0),
            "frequency": None,
            "video_views": _int(views) if views is not None else None,
        },
    )


def _ad_format(ad_type: str) -> str:
    """The warehouse creative format of an `AdType` (video, image, else text)."""
    if "VIDEO" in ad_type:
        return "video"
    if "IMAGE" in ad_type:
        return "image"
    return "text"


class GoogleAdsConnector(Connector):
    """Reads per-ad daily metrics of the configured customers with searchStream."""

    spec: ClassVar[Spec] = Spec(
        id="google_ads",
        name="Google Ads",
        auth=AuthMethod.oauth2,
        scopes=(ADWORDS_SCOPE,),
        config_schema={
            "type": "object",
            "properties": {
                "customer_ids": {
                    "type": "array",
                    "items": {"type": "string", "pattern": "^[0-9]{3}-?[0-9]{3}-?[0-9]{4}$"},
                    "minItems": 1,
                },
                "login_customer_id": {"type": "string", "pattern": "^[0-9-]{10,12}$"},
            },
            "required": ["customer_ids"],
        },
        oauth=OAuthSpec(
            authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
            token_url="https://oauth2.googleapis.com/token",  # noqa: S106
            revoke_url="https://oauth2.googleapis.com/revoke",
            authorize_params={"access_type": "offline", "prompt": "consent"},
        ),
        docs_url="https://developers.google.com/google-ads/api/rest/common/search",
    )
    api_root: ClassVar[str] = f"https://googleads.googleapis.com/{API_VERSION}/"
    rate_per_second: ClassVar[float] = 5.0
    burst: ClassVar[int] = 5
    max_chunk_days: ClassVar[int] = 92

    _loader: AdMetricsLoader | None = None

    @classmethod
    def classify(cls, response: httpx.Response) -> ConnectorError | None:
        return classify_google_ads(response)

    @classmethod
    def auth_headers(
        cls, credentials: Credentials, config: dict[str, Any], *, settings: Settings | None = None
    ) -> dict[str, str]:
        developer_token = settings.integrations_google_ads_developer_token if settings else None
        if not developer_token and config.get("sandbox"):
            developer_token = SANDBOX_DEVELOPER_TOKEN
        headers = {"Authorization": f"Bearer {credentials.bearer}"}
        if developer_token:
            headers["developer-token"] = developer_token
        login = config.get("login_customer_id")
        if login:
            headers["login-customer-id"] = digits(str(login))
        return headers

    @classmethod
    async def purge(
        cls, session: AsyncSession, auth: AuthContext, config: dict[str, Any]
    ) -> int:
        customers = [dashed(str(c)) for c in config.get("customer_ids") or []]
        pairs = [(p, c) for c in customers for p in ("google", "youtube")]
        return await purge_ad_channels(session, auth, pairs)

    @property
    def customer_ids(self) -> list[str]:
        return [digits(str(c)) for c in self.context.config.get("customer_ids") or []]

    def streams(self) -> list[Stream]:
        return [
            Stream(
                name=AD_STREAM,
                primary_key=("date", "customer_id", "ad_id"),
                cursor_field="date",
                modes=(SyncMode.full_refresh, SyncMode.incremental),
                description="Delivery and results per ad per day (Search, Display, YouTube)",
            )
        ]

    async def check(self) -> CheckResult:
        result = CheckResult()
        granted = self.context.credentials.scopes
        result.missing_scopes = self.missing_scopes(granted) if granted else []
        try:
            # Absolute URL: a relative "customers:…" would parse as a URL scheme.
            body = await self.http.get_json(
                f"{self.base_url(self.context.config)}customers:listAccessibleCustomers"
            )
        except ConnectorError as exc:
            result.add("credentials", False, str(exc))
            if exc.kind is ConnectorErrorKind.missing_scope:
                result.missing_scopes = list(self.spec.scopes)
            return result
        result.add("credentials", True, "token and developer token accepted")
        result.add(
            "scopes", not result.missing_scopes,
            "adwords scope granted" if not result.missing_scopes else "missing adwords scope",
        )
        reachable = {str(n).rsplit("/", 1)[-1] for n in body.get("resourceNames") or []}
        if not self.customer_ids:
            result.add("config", False, "no customer id configured")
        for customer in self.customer_ids:
            ok = customer in reachable or bool(self.context.config.get("login_customer_id"))
            result.add(f"customer {dashed(customer)}", ok,
                       "accessible" if ok else "not accessible with this login")
        return result

    async def read(
        self, stream: Stream, state: dict[str, Any] | None, window: SyncWindow
    ) -> AsyncIterator[Message]:
        if stream.name != AD_STREAM:
            raise KeyError(stream.name)
        index = int((state or {}).get("customer_index", 0))
        customers = self.customer_ids
        query = gaql(window)
        while index < len(customers):
            batches = await self.http.post_json(
                f"customers/{customers[index]}/googleAds:searchStream", json={"query": query}
            )
            for batch in batches if isinstance(batches, list) else [batches]:
                for row in batch.get("results") or []:
                    yield ads_row_record(row)
            index += 1
            yield StateCheckpoint(AD_STREAM, {"customer_index": index})

    async def write(
        self, session: AsyncSession, stream: Stream, records: Sequence[Record]
    ) -> int:
        if self._loader is None:
            self._loader = AdMetricsLoader(
                job_auth(self.context.organization_id, self.context.connection_id),
                channel_label="Google Ads",
            )
        return await self._loader.load(session, records)


def google_sandbox_config(context: SandboxContext) -> dict[str, Any]:
    """A sandbox connection reads every simulated Google Ads and YouTube customer."""
    return {"customer_ids": [account for account, _ in accounts(context, GOOGLE_PLATFORMS)]}



register(GoogleAdsConnector, sandbox=google_ads_sandbox, sandbox_config=google_sandbox_config)
