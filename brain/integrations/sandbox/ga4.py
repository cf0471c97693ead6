"""Simulated GA4 Data API (`properties/{id}:runReport`) and Measurement Protocol endpoints.

The simulated property sees the demo world's site traffic: every ad campaign's clicks arrive
as sessions with the platform's source/medium (the same `utm_source` the simulated shop
records), the revenue and purchases of first orders brought by a channel are spread over
that channel's campaigns by their clicks that day, and all other orders arrive as
`(direct) / (none)`. So a day's `totalRevenue` summed over rows equals the day's order
revenue. Responses follow the documented shapes (`dimensionHeaders`, `metricHeaders`,
`rows` of string values, `rowCount`, `metadata`), paging by `offset`/`limit`, Google's error
envelope for a bad token (401 UNAUTHENTICATED), quota (429 RESOURCE_EXHAUSTED) and 503s.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import httpx
import numpy as np

from brain.integrations.sandbox.common import FaultInjector, SandboxContext, cached_simulation
from brain.integrations.sandbox.shopify import SOURCES

DIMENSIONS = ("date", "sessionSource", "sessionMedium", "sessionCampaignName")
METRICS = {"sessions": "TYPE_INTEGER", "keyEvents": "TYPE_FLOAT",
           "totalRevenue": "TYPE_CURRENCY"}
MAX_LIMIT = 250_000


@dataclass(frozen=True)
class TrafficRow:
    day: date
    source: str
    medium: str
    campaign: str
    sessions: int
    key_events: float
    revenue: float

    def dimension(self, name: str) -> str:
        if name == "date":
            return self.day.strftime("%Y%m%d")
        if name == "sessionSource":
            return self.source
        if name == "sessionMedium":
            return self.medium
        return self.campaign

    def metric(self, name: str) -> str:
        if name == "sessions":
            return str(self.sessions)
        if name == "keyEvents":
            return repr(float(self.key_events))
        return repr(float(self.revenue))


@dataclass(frozen=True)
class TrafficTable:
    rows: tuple[TrafficRow, ...]
    days: tuple[date, ...]

    def between(self, start: date, end: date) -> tuple[TrafficRow, ...]:
        lo = bisect.bisect_left(self.days, start)
        hi = bisect.bisect_right(self.days, end)
        return self.rows[lo:hi]


@lru_cache(maxsize=8)
def traffic_table(vertical: str, seed: int, days: int, today: date) -> TrafficTable:
    """The simulated property's rows, sorted by (date, source, medium, campaign)."""
    sim = cached_simulation(vertical, seed, days, today)
    n_days, n_campaigns, n_channels = sim.days, len(sim.campaigns), len(sim.channels)
    m = sim.metrics
    clicks = np.zeros((n_campaigns, n_days))
    np.add.at(clicks, (m.campaign, m.day), m.clicks)
    o = sim.orders
    in_period = (o.day >= 0) & (o.day < n_days)
    channel = np.where(o.channel >= 0, o.channel, n_channels)[in_period]
    day = o.day[in_period]
    revenue = np.zeros((n_channels + 1, n_days))
    purchases = np.zeros((n_channels + 1, n_days))
    np.add.at(revenue, (channel, day), o.revenue[in_period])
    np.add.at(purchases, (channel, day), 1.0)
    campaigns_of = [[k for k, cp in enumerate(sim.campaigns) if cp.channel == c]
                    for c in range(n_channels)]
    rows: list[TrafficRow] = []
    for d in range(n_days):
        when = sim.start + timedelta(days=d)
        day_rows: list[TrafficRow] = []
        for c, ch in enumerate(sim.channels):
            source, medium = SOURCES.get(ch.platform, ("other", "referral"))
            total_clicks = float(clicks[campaigns_of[c], d].sum())
            for k in campaigns_of[c]:
                share = clicks[k, d] / total_clicks if total_clicks else 0.0
                if clicks[k, d] <= 0:
                    continue
                day_rows.append(TrafficRow(
                    when, source, medium, sim.campaigns[k].name, int(clicks[k, d]),
                    round(float(purchases[c, d] * share), 2),
                    round(float(revenue[c, d] * share), 2)))
            if total_clicks == 0 and purchases[c, d] > 0:
                day_rows.append(TrafficRow(when, source, medium, "(not set)",
                                           int(purchases[c, d]), float(purchases[c, d]),
                                           round(float(revenue[c, d]), 2)))
        direct_orders = float(purchases[n_channels, d])
        day_rows.append(TrafficRow(when, "(direct)", "(none)", "(direct)",
                                   int(40 + 4 * direct_orders), direct_orders,
                                   round(float(revenue[n_channels, d]), 2)))
        day_rows.sort(key=lambda r: (r.source, r.medium, r.campaign))
        rows.extend(day_rows)
    return TrafficTable(rows=tuple(rows), days=tuple(r.day for r in rows))


def _error(code: int, status: str, message: str) -> httpx.Response:
    return httpx.Response(code, json={"error": {"code": code, "message": message,
                                                 "status": status}})


def ga4_sandbox(context: SandboxContext) -> httpx.AsyncBaseTransport:
    """The in-process GA4 Data API (and Measurement Protocol) of one sandbox connection."""
    faults = FaultInjector(context)
    table = traffic_table(context.vertical, context.seed, context.days, context.today)

    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path in ("/mp/collect", "/debug/mp/collect"):
            return _measurement_protocol(request, path)
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token != context.access_token:
            return _error(401, "UNAUTHENTICATED",
                          "Request had invalid authentication credentials. Expected OAuth 2 "
                          "access token, login cookie or other valid authentication credential.")
        fault = faults.next()
        if fault == "rate_limited":
            return _error(429, "RESOURCE_EXHAUSTED",
                          "Exhausted concurrent requests quota for this property.")
        if fault == "unavailable":
            return _error(503, "UNAVAILABLE", "The service is currently unavailable.")
        if request.method == "POST" and path.startswith("/v1beta/properties/") \
                and path.endswith(":runReport"):
            return _run_report(request)
        return _error(404, "NOT_FOUND", f"Method not found: {path}")

    def _run_report(request: httpx.Request) -> httpx.Response:
        try:
            body = json.loads(request.content or b"{}")
            [date_range] = body["dateRanges"]
            start = date.fromisoformat(date_range["startDate"])
            end = date.fromisoformat(date_range["endDate"])
            dimensions = [d["name"] for d in body.get("dimensions") or []]
            metrics = [m["name"] for m in body.get("metrics") or []]
            offset = int(body.get("offset") or 0)
            limit = int(body.get("limit") or 10_000)
        except (ValueError, KeyError, TypeError):
            return _error(400, "INVALID_ARGUMENT", "The sandbox needs exactly one date range "
                          "with ISO dates, and integer offset/limit.")
        for name in dimensions:
            if name not in DIMENSIONS:
                return _error(400, "INVALID_ARGUMENT", f"Field {name} is not a valid "
                              "dimension.")
        for name in metrics:
            if name not in METRICS:
                return _error(400, "INVALID_ARGUMENT", f"Field {name} is not a valid metric.")
        if not metrics or offset < 0 or not 1 <= limit <= MAX_LIMIT:
            return _error(400, "INVALID_ARGUMENT", "limit must be positive and at most "
                          f"{MAX_LIMIT}, offset non-negative, and one metric is required.")
        rows = table.between(start, end)
        page = rows[offset : offset + min(limit, context.page_size_cap)]
        answer: dict[str, Any] = {
            "dimensionHeaders": [{"name": name} for name in dimensions],
            "metricHeaders": [{"name": name, "type": METRICS[name]} for name in metrics],
            "metadata": {"currencyCode": "USD", "timeZone": "America/New_York"},
            "kind": "analyticsData#runReport",
        }
        if page:
            answer["rows"] = [
                {"dimensionValues": [{"value": r.dimension(n)} for n in dimensions],
                 "metricValues": [{"value": r.metric(n)} for n in metrics]}
                for r in page
            ]
        if rows:
            answer["rowCount"] = len(rows)
        return httpx.Response(200, json=answer)

    def _measurement_protocol(request: httpx.Request, path: str) -> httpx.Response:
        params = request.url.params
        if not params.get("measurement_id") or not params.get("api_secret"):
            # The real endpoint accepts anything; the debug one explains what is wrong.
            messages = [{"fieldPath": "measurement_id", "description": "Unable to find "
                         "non-empty parameter [measurement_id] value in request.",
                         "validationCode": "VALUE_REQUIRED"}]
        else:
            messages = []
        if path == "/debug/mp/collect":
            return httpx.Response(200, json={"validationMessages": messages})
        return httpx.Response(204)

    return httpx.MockTransport(handle)
