"""Simulated TikTok Marketing API v1.3: `advertiser/info/` and `report/integrated/get/`.

Everything answers HTTP 200 with the `{"code", "message", "request_id", "data"}` envelope, as
TikTok does: `code` 0 is success, 40105 a bad access token, 40100 too many requests, 50000 a
server error. Reports page with `page`/`page_size` and report `page_info`
(`page`, `page_size`, `total_number`, `total_page`); metric values are strings and the day
dimension is `stat_time_day` as "YYYY-MM-DD 00:00:00".
"""

from __future__ import annotations

import json
import math
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

PLATFORMS = ("tiktok",)
_PREFIX = "/open_api/v1.3/"


def envelope(code: int, message: str, data: Any = None) -> httpx.Response:
    return json_response(200, {"code": code, "message": message,
                                     "request_id": "202611250000000000000000SANDBOX",
                                     "data": data if data is not None else {}})


def _item(row: AdRow) -> dict[str, Any]:
    (on, _, campaign_id, campaign_name, objective, ad_set_id, ad_set_name, ad_id, ad_name, _,
     impressions, clicks, spend, conversions, revenue, frequency, views) = row
    metrics = {
        "campaign_id": campaign_id,
        "campaign_name": campaign_name,
        "adgroup_id": ad_set_id,
        "adgroup_name": ad_set_name,
        "ad_name": ad_name,
        "objective_type": objective.upper(),
        "spend": f"{spend:.2f}",
        "impressions": str(impressions),
        "clicks": str(clicks),
        "conversion": repr(conversions),
        "total_complete_payment_rate": f"{revenue:.2f}",
        "frequency": f"{frequency:.4f}",
        "video_play_actions": str(views if views is not None else 0),
    }
    return {"dimensions": {"ad_id": ad_id, "stat_time_day": f"{on.isoformat()} 00:00:00"},
            "metrics": metrics}


def tiktok_sandbox(context: SandboxContext) -> httpx.AsyncBaseTransport:
    """The in-process TikTok Marketing API for one sandbox connection."""
    faults = FaultInjector(context)
    known = dict(accounts(context, PLATFORMS))
    table = context_ad_table(context, PLATFORMS)

    def handle(request: httpx.Request) -> httpx.Response:
        if request.headers.get("access-token") != context.access_token:
            return envelope(40105, "The access token is invalid or has been revoked.")
        fault = faults.next()
        if fault == "rate_limited":
            return envelope(40100, "Too many requests. Please retry in some time.")
        if fault == "unavailable":
            return envelope(50000, "System error, please try again later.")
        path = request.url.path
        params = request.url.params
        if path == f"{_PREFIX}advertiser/info/":
            try:
                wanted = [str(a) for a in json.loads(params.get("advertiser_ids", "[]"))]
            except ValueError:
                return envelope(40002, "advertiser_ids: Not a valid list.")
            infos = [{"advertiser_id": a, "name": known[a], "status": "STATUS_ENABLE",
                      "currency": "USD"} for a in wanted if a in known]
            if len(infos) != len(wanted):
                return envelope(40001, "No permission to operate advertiser.")
            return envelope(0, "OK", {"list": infos})
        if path != f"{_PREFIX}report/integrated/get/":
            return httpx.Response(404, text="404 page not found")
        advertiser = params.get("advertiser_id", "")
        if advertiser not in known:
            return envelope(40001, "No permission to operate advertiser.")
        try:
            dimensions = json.loads(params.get("dimensions", "[]"))
            start = date.fromisoformat(params["start_date"])
            end = date.fromisoformat(params["end_date"])
            page = int(params.get("page", "1"))
            page_size = min(int(params.get("page_size", "10")), 1000, context.page_size_cap)
        except (ValueError, KeyError):
            return envelope(40002, "Invalid request parameters.")
        if (params.get("data_level") != "AUCTION_AD"
                or sorted(dimensions) != ["ad_id", "stat_time_day"]):
            return envelope(40002, "The sandbox serves AUCTION_AD by ad_id, stat_time_day.")
        if (end - start).days > 29:
            return envelope(40002, "The time range of stat_time_day cannot exceed 30 days.")
        rows = table.between(advertiser, start, end)
        total_page = max(1, math.ceil(len(rows) / page_size))
        chunk = rows[(page - 1) * page_size : page * page_size] if page >= 1 else []
        return envelope(0, "OK", {
            "list": [_item(r) for r in chunk],
            "page_info": {"page": page, "page_size": page_size, "total_number": len(rows),
                          "total_page": total_page},
        })

    return httpx.MockTransport(handle)
