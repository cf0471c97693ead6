"""Meta Marketing API: ad insights per ad per day (Graph API `/{ad_account_id}/insights`).

Requests (pinned by the contract tests): `GET /v21.0/{act_id}/insights` with `level=ad`,
`time_increment=1`, `time_range={"since","until"}`, `fields=…`, `limit`, and `after` for the
next page (cursor paging: `paging.cursors.after`, continuing while `paging.next` is present);
the token goes in the `Authorization: Bearer` header, never in URLs. Errors come as
`{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`: code 190/102 is an
expired or invalid token, 10 and 200-299 a missing permission, 4/17/32/613/80000-80014
throttling (with `X-Business-Use-Case-Usage` saying when access comes back).
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
from brain.integrations.sandbox.meta_ads import PLATFORMS as META_PLATFORMS
from brain.integrations.sandbox.meta_ads import meta_sandbox

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from brain.core.auth import AuthContext

GRAPH_VERSION = "v21.0"
INSIGHTS_STREAM = "ads_insights"
INSIGHT_FIELDS = (
    "account_id",
    "account_name",
    "campaign_id",
    "campaign_name",
    "objective",
    "adset_id",
    "adset_name",
    "ad_id",
    "ad_name",
    "impressions",
    "clicks",
    "spend",
    "frequency",
    "actions",
    "action_values",
    "video_play_actions",
)
PURCHASE_ACTIONS = ("purchase", "offsite_conversion.fb_pixel_purchase", "omni_purchase")
_VIDEO_VIEW_ACTIONS = ("video_view",)
PAGE_LIMIT = 500

_TOKEN_CODES = {102, 190}
_PERMISSION_CODES = {10, *range(200, 300)}
_THROTTLE_CODES = {4, 17, 32, 613, *range(80000, 80015)}
_TRANSIENT_CODES = {1, 2}


def _buc_wait_seconds(header: str | None) -> float | None:
    """Seconds until access returns, from `X-Business-Use-Case-Usage` (minutes per account)."""
    if not header:
        return None
    try:
        usage = json.loads(header)
        minutes = [
            float(entry.get("estimated_time_to_regain_access") or 0)
            for entries in usage.values()
            for entry in entries
        ]
    except (ValueError, AttributeError, TypeError):
        return None
    return max(minutes) * 60 if minutes else None


def classify_meta(response: httpx.Response) -> ConnectorError | None:
    """Meta's error envelope → `ConnectorError` (HTTP status alone is ambiguous on Meta)."""
    if response.status_code < 400:
        return None
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    code = int(error.get("code") or 0)
    message = str(error.get("message") or f"HTTP {response.status_code}")
    if code in _TOKEN_CODES:
        kind = ConnectorErrorKind.expired_token
    elif code in _PERMISSION_CODES:
        kind = ConnectorErrorKind.missing_scope
    elif code in _THROTTLE_CODES:
        kind = ConnectorErrorKind.rate_limited
    elif code in _TRANSIENT_CODES or error.get("is_transient"):
        kind = ConnectorErrorKind.provider_unavailable
    elif code == 100:
        kind = ConnectorErrorKind.invalid_request
    else:
        kind = classify_status(response.status_code)
    retry_after = _buc_wait_seconds(response.headers.get("x-business-use-case-usage"))
    if retry_after is None:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
    subcode = error.get("error_subcode")
    return ConnectorError(
        kind,
        message,
        provider="meta_ads",
        status_code=response.status_code,
        retry_after=retry_after,
        provider_code=f"{code}/{subcode}" if subcode else str(code),
    )


def _action_total(actions: Any, types: Sequence[str]) -> float:
    """The first of `types` present in a Graph `actions`-style list (they overlap, never sum)."""
    if not isinstance(actions, list):
        return 0.0
    if len(actions) == 1:  # the usual case: one action type asked for, one answered
        action = actions[0]
        if isinstance(action, dict) and action.get("action_type") in types:
            return float(action.get("value") or 0)
        return 0.0
    values = {a.get("action_type"): a.get("value") for a in actions if isinstance(a, dict)}
    for action_type in types:
        if action_type in values:
            return float(values[action_type] or 0)
    return 0.0


def insight_record(row: dict[str, Any]) -> Record:
    """One insights row (strings, as Meta sends them) → a normalised ad-day record."""
    get = row.get
    views = get("video_play_actions")
    frequency = get("frequency")
    return ad_day_record(
        INSIGHTS_STREAM,
        {
            "date": row["date_start"],
            "platform": "meta",
            "account_id": f"act_{row['account_id']}",
            "account_name": get("account_name"),
            "campaign_id": get("campaign_id"),
            "campaign_name": get("campaign_name"),
            "objective": (get("objective") or "").lower() or None,
            "ad_set_id": get("adset_id"),
            "ad_set_name": get("adset_name"),
            "ad_id": get("ad_id"),
            "ad_name": get("ad_name"),
            "ad_format": None,
            "impressions": int(get("impressions") or 0),
            "clicks": int(get("clicks") or 0),
            "spend": float(get("spend") or 0),
            "conversions": _action_total(get("actions"), PURCHASE_ACTIONS),
            "revenue": _action_total(get("action_values"), PURCHASE_ACTIONS),
            "frequency": float(frequency) if frequency not in (None, "") else None,
            "video_views": int(_action_total(views, _VIDEO_VIEW_ACTIONS)) if views else None,
        },
    )


class MetaAdsConnector(Connector):
    """Reads `ads_insights` (per ad per day) of the configured ad accounts."""

    spec: ClassVar[Spec] = Spec(
        id="meta_ads",
        name="Meta Ads",
        auth=AuthMethod.oauth2,
        scopes=("ads_read",),
        config_schema={
            "type": "object",
            "properties": {
                "ad_account_ids": {
                    "type": "array",
                    "items": {"type": "string", "pattern": "^act_[0-9]+$"},
                    "minItems": 1,
                }
            },
            "required": ["ad_account_ids"],
        },
        oauth=OAuthSpec(
            authorize_url=f"https://www.facebook.com/{GRAPH_VERSION}/dialog/oauth",
            token_url=f"https://graph.facebook.com/{GRAPH_VERSION}/oauth/access_token",
            scope_separator=",",
        ),
        docs_url="https://developers.facebook.com/docs/marketing-api/insights",
    )
    api_root: ClassVar[str] = f"https://graph.facebook.com/{GRAPH_VERSION}/"
    rate_per_second: ClassVar[float] = 5.0
    burst: ClassVar[int] = 10
    max_chunk_days: ClassVar[int] = 92

    _loader: AdMetricsLoader | None = None

    @classmethod
    def classify(cls, response: httpx.Response) -> ConnectorError | None:
        return classify_meta(response)

    @classmethod
    async def purge(
        cls, session: AsyncSession, auth: AuthContext, config: dict[str, Any]
    ) -> int:
        accounts_ = [("meta", str(a)) for a in config.get("ad_account_ids") or []]
        return await purge_ad_channels(session, auth, accounts_)

    @property
    def account_ids(self) -> list[str]:
        return [str(a) for a in self.context.config.get("ad_account_ids") or []]

    def streams(self) -> list[Stream]:
        return [
            Stream(
                name=INSIGHTS_STREAM,
                primary_key=("date", "ad_id"),
                cursor_field="date",
                modes=(SyncMode.full_refresh, SyncMode.incremental),
                description="Delivery and results per ad per day",
            )
        ]

    async def check(self) -> CheckResult:
        result = CheckResult()
        try:
            body = await self.http.get_json("me/permissions")
        except ConnectorError as exc:
            result.add("credentials", False, str(exc))
            return result
        result.add("credentials", True, "the access token is valid")
        granted = [
            str(p.get("permission"))
            for p in body.get("data") or []
            if p.get("status") == "granted"
        ]
        result.missing_scopes = self.missing_scopes(granted)
        result.add(
            "scopes",
            not result.missing_scopes,
            "all required permissions granted"
            if not result.missing_scopes
            else f"missing: {', '.join(result.missing_scopes)}",
        )
        if not self.account_ids:
            result.add("config", False, "no ad account configured")
        for account in self.account_ids:
            try:
                info = await self.http.get_json(
                    account, params={"fields": "name,account_status,currency"}
                )
            except ConnectorError as exc:
                result.add(f"account {account}", False, str(exc))
            else:
                result.add(f"account {account}", True, str(info.get("name") or account))
        return result

    async def read(
        self, stream: Stream, state: dict[str, Any] | None, window: SyncWindow
    ) -> AsyncIterator[Message]:
        if stream.name != INSIGHTS_STREAM:
            raise KeyError(stream.name)
        position = dict(state or {})
        accounts = self.account_ids
        index = int(position.get("account_index", 0))
        after: str | None = position.get("after")
        time_range = json.dumps(
            {"since": window.start_date.isoformat(), "until": window.end_date.isoformat()},
            separators=(",", ":"),
        )
        while index < len(accounts):
            params: dict[str, Any] = {
                "level": "ad",
                "time_increment": "1",
                "time_range": time_range,
                "fields": ",".join(INSIGHT_FIELDS),
                "limit": str(PAGE_LIMIT),
            }
            if after:
                params["after"] = after
            body = await self.http.get_json(f"{accounts[index]}/insights", params=params)
            for row in body.get("data") or []:
                yield insight_record(row)
            paging = body.get("paging") or {}
            next_after = (paging.get("cursors") or {}).get("after")
            if paging.get("next") and next_after:
                after = str(next_after)
            else:
                index, after = index + 1, None
            yield StateCheckpoint(INSIGHTS_STREAM, {"account_index": index, "after": after})

    async def write(
        self, session: AsyncSession, stream: Stream, records: Sequence[Record]
    ) -> int:
        if self._loader is None:
            self._loader = AdMetricsLoader(
                job_auth(self.context.organization_id, self.context.connection_id),
                channel_label="Meta Ads",
            )
        return await self._loader.load(session, records)


def meta_sandbox_config(context: SandboxContext) -> dict[str, Any]:
    """A sandbox connection reads every simulated Meta ad account."""
    return {"ad_account_ids": [account for account, _ in accounts(context, META_PLATFORMS)]}


register(MetaAdsConnector, sandbox=meta_sandbox, sandbox_config=meta_sandbox_config)
