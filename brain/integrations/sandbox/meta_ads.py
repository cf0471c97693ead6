"""Simulated Meta Graph API: `me/permissions`, `{act_id}` and `{act_id}/insights`.

Speaks the documented shapes: insight rows with string numbers, `actions`/`action_values`
lists, cursor paging (`paging.cursors.before/after`, `paging.next` only when more follows),
the `{"error": {...}}` envelope with code 190 for a bad token, 17 for throttling (with
`X-Business-Use-Case-Usage`) and a transient code 2 as HTTP 500.
"""

from __future__ import annotations

import base64
import json
from datetime import date
from typing import Any

import httpx

from brain.integrations.sandbox.common import (
    AdRow,
    FaultInjector,
    SandboxContext,
    accounts,
    context_ad_table,
    json_response,
)

PLATFORMS = ("meta",)
_VERSION_PREFIX = "/v21.0/"


def _error(status: int, code: int, message: str, **extra: Any) -> httpx.Response:
    body = {"error": {"message": message, "type": "OAuthException", "code": code,
                      "fbtrace_id": "AbCdEfGhIjK", **extra}}
    return json_response(status, body)


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        return int(text.removeprefix("offset:"))
    except ValueError:
        return -1


def _insight(row: AdRow, ads: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """One insights row; `ads` caches the fields that are the same every day for an ad."""
    (on, account_id, campaign_id, campaign_name, objective, ad_set_id, ad_set_name, ad_id,
     ad_name, _, impressions, clicks, spend, conversions, revenue, frequency, views) = row
    static = ads.get(ad_id) if ads is not None else None
    if static is None:
        static = {
            "account_id": account_id.removeprefix("act_"),
            "account_name": "Meta Ads",
            "campaign_id": campaign_id,
            "campaign_name": campaign_name,
            "objective": objective.upper(),
            "adset_id": ad_set_id,
            "adset_name": ad_set_name,
            "ad_id": ad_id,
            "ad_name": ad_name,
        }
        if ads is not None:
            ads[ad_id] = static
    day = on.isoformat()
    item: dict[str, Any] = {
        **static,
        "impressions": str(impressions),
        "clicks": str(clicks),
        "spend": repr(spend),
        "frequency": repr(frequency),
        "actions": [{"action_type": "purchase", "value": repr(conversions)}],
        "action_values": [{"action_type": "purchase", "value": repr(revenue)}],
        "date_start": day,
        "date_stop": day,
    }
    if views is not None:
        item["video_play_actions"] = [{"action_type": "video_view", "value": str(views)}]
    return item


def meta_sandbox(context: SandboxContext) -> httpx.AsyncBaseTransport:
    """The in-process Meta Graph API for one sandbox connection."""
    faults = FaultInjector(context)
    known = {account for account, _ in accounts(context, PLATFORMS)}
    table = context_ad_table(context, PLATFORMS)
    ads: dict[str, dict[str, Any]] = {}

    def handle(request: httpx.Request) -> httpx.Response:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        token = token or request.url.params.get("access_token", "")
        if token != context.access_token:
            return _error(400, 190, "Error validating access token: Session has expired.",
                          error_subcode=463)
        fault = faults.next()
        if fault == "rate_limited":
            usage = {"sandbox": [{"type": "ads_insights", "call_count": 100,
                                  "estimated_time_to_regain_access": 0}]}
            response = _error(400, 17, "User request limit reached")
            response.headers["x-business-use-case-usage"] = json.dumps(usage)
            return response
        if fault == "unavailable":
            return _error(500, 2, "An unexpected error has occurred. Please retry your "
                          "request later.", is_transient=True)
        path = request.url.path
        if not path.startswith(_VERSION_PREFIX):
            return _error(400, 2635, "Unsupported API version")
        parts = path.removeprefix(_VERSION_PREFIX).strip("/").split("/")
        if parts == ["me", "permissions"]:
            return json_response(200, {"data": [
                {"permission": "ads_read", "status": "granted"},
                {"permission": "read_insights", "status": "granted"},
            ]})
        account = parts[0]
        if account not in known:
            return _error(400, 100, f"Unsupported get request. Object with ID '{account}' "
                          "does not exist", error_subcode=33)
        if len(parts) == 1:
            return json_response(200, {"id": account, "name": "Meta Ads",
                                             "account_status": 1, "currency": "USD"})
        if parts[1:] != ["insights"]:
            return _error(400, 100, "Unknown path components")
        return _insights(request, account)

    def _insights(request: httpx.Request, account: str) -> httpx.Response:
        params = request.url.params
        if params.get("level") != "ad" or params.get("time_increment") != "1":
            return _error(400, 100, "The sandbox serves level=ad, time_increment=1 only")
        try:
            time_range = json.loads(params.get("time_range", ""))
            since = date.fromisoformat(time_range["since"])
            until = date.fromisoformat(time_range["until"])
            limit = min(int(params.get("limit", "25")), context.page_size_cap)
        except (ValueError, KeyError, TypeError):
            return _error(400, 100, "(#100) Invalid parameter: time_range")
        offset = _offset(params.get("after"))
        if offset < 0 or limit < 1:
            return _error(400, 100, "(#100) Invalid parameter: after")
        rows = table.between(account, since, until)
        page = rows[offset : offset + limit]
        body: dict[str, Any] = {"data": [_insight(r, ads) for r in page]}
        if page:
            body["paging"] = {"cursors": {"before": _cursor(offset),
                                          "after": _cursor(offset + len(page))}}
            if offset + len(page) < len(rows):
                next_params = dict(params)
                next_params["after"] = _cursor(offset + len(page))
                body["paging"]["next"] = str(request.url.copy_with(params=next_params))
        return json_response(200, body)

    return httpx.MockTransport(handle)
