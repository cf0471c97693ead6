"""Simulated Shopify Admin REST API: `orders.json`, `customers.json`, `access_scopes.json`.

Serves the demo world's customers and orders in Shopify's documented shapes: money as
strings, ISO-8601 timestamps with an offset, the acquisition channel of a first order as the
`utm_source` of its `landing_site`, cursor paging through the `Link` header (`page_info`
carries the filters, and a request that mixes `page_info` with filters is refused as Shopify
does), `{"errors": …}` bodies, 401 for a wrong `X-Shopify-Access-Token`, 429 with
`Retry-After` and 503s from the fault injector.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cached_property, lru_cache
from typing import Any

import httpx
import numpy as np

from brain.integrations.sandbox.common import (
    FaultInjector,
    SandboxContext,
    cached_simulation,
    json_response,
    numeric_id,
)

API_PREFIX = "/admin/api/"
SCOPES = ("read_orders", "read_customers")
MAX_LIMIT = 250
# The utm_source a shop sees for traffic from each simulated ad platform.
SOURCES = {"meta": ("facebook", "paid_social"), "google": ("google", "cpc"),
           "tiktok": ("tiktok", "paid_social"), "youtube": ("youtube", "video")}
_FILTERS = ("updated_at_min", "updated_at_max", "status", "created_at_min", "created_at_max")
CUSTOMER_KIND, ORDER_KIND = 61, 62  # `numeric_id` prefixes of the shop's customers and orders


def customer_id(index: int) -> int:
    """The simulated shop's id of the world's `index`-th customer."""
    return int(numeric_id(CUSTOMER_KIND, index))


def order_id(index: int) -> int:
    """The simulated shop's id of the world's `index`-th order."""
    return int(numeric_id(ORDER_KIND, index))


@dataclass(frozen=True)
class ShopData:
    """Epoch-second timestamps of the world's orders and customers, sorted by `updated_at`."""

    start_epoch: int
    order_processed: np.ndarray
    order_updated_sorted: np.ndarray
    order_by_updated: np.ndarray
    customer_created: np.ndarray
    customer_updated_sorted: np.ndarray
    customer_by_updated: np.ndarray

    @cached_property
    def texts(self) -> ShopTexts:
        """The timestamps as the API writes them (made once, vectorised)."""
        updated_by_index = np.empty_like(self.customer_updated_sorted)
        updated_by_index[self.customer_by_updated] = self.customer_updated_sorted
        return ShopTexts(
            order_processed=_stamps(self.order_processed),
            order_updated=_stamps(self.order_processed + 600),
            customer_created=_stamps(self.customer_created),
            customer_updated=_stamps(updated_by_index),
        )


@dataclass(frozen=True)
class ShopTexts:
    """ISO-8601 texts of the shop's timestamps, by order / customer index."""

    order_processed: list[str]
    order_updated: list[str]
    customer_created: list[str]
    customer_updated: list[str]


def _stamps(epochs: np.ndarray) -> list[str]:
    """Epoch seconds as the API's UTC timestamps (`2026-01-01T08:00:00+00:00`), at once."""
    texts = np.datetime_as_string(epochs.astype("datetime64[s]"), unit="s")
    return [f"{text}+00:00" for text in texts.tolist()]


@lru_cache(maxsize=8)
def shop_data(vertical: str, seed: int, days: int, today: date) -> ShopData:
    """Timestamps derived deterministically from the simulation (cached per world)."""
    sim = cached_simulation(vertical, seed, days, today)
    start = int(datetime.combine(sim.start, datetime.min.time(), tzinfo=UTC).timestamp())
    orders, customers = sim.orders, sim.customers
    index = np.arange(len(orders), dtype=np.int64)
    processed = start + orders.day.astype(np.int64) * 86_400 + 28_800 + (index * 7_919) % 43_200
    updated = processed + 600
    c_index = np.arange(len(customers), dtype=np.int64)
    created = (start + customers.first_day.astype(np.int64) * 86_400 + 32_400
               + (c_index * 104_729) % 36_000)
    c_updated = created.copy()
    np.maximum.at(c_updated, orders.customer.astype(np.int64), updated)
    order_order = np.argsort(updated, kind="stable")
    customer_order = np.argsort(c_updated, kind="stable")
    return ShopData(
        start_epoch=start,
        order_processed=processed,
        order_updated_sorted=updated[order_order],
        order_by_updated=order_order,
        customer_created=created,
        customer_updated_sorted=c_updated[customer_order],
        customer_by_updated=customer_order,
    )


def _epoch(value: str) -> int:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _errors(status: int, errors: Any, **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"errors": errors}, headers=headers)


def _token(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _untoken(token: str) -> dict[str, Any] | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def shopify_sandbox(context: SandboxContext) -> httpx.AsyncBaseTransport:
    """The in-process Shopify Admin API of one sandbox connection."""
    faults = FaultInjector(context)
    sim = context.simulation()
    data = shop_data(context.vertical, context.seed, context.days, context.today)
    customer_email = sim.customer_email
    texts = data.texts
    order_customer = sim.orders.customer.tolist()
    order_channel = sim.orders.channel.tolist()
    order_price = [f"{value:.2f}" for value in sim.orders.revenue.tolist()]
    landings: dict[int, tuple[str, str]] = {-1: ("/", "")}
    for c, ch in enumerate(sim.channels):
        source, medium = SOURCES.get(ch.platform, ("other", "referral"))
        landings[c] = (f"/?utm_source={source}&utm_medium={medium}", f"https://www.{source}.com/")

    def customer_json(i: int) -> dict[str, Any]:
        cid = customer_id(i)
        return {
            "id": cid,
            "email": customer_email(i),
            "created_at": texts.customer_created[i],
            "updated_at": texts.customer_updated[i],
            "first_name": "Customer",
            "last_name": str(i + 1),
            "state": "enabled",
            "verified_email": True,
            "tags": "",
            "currency": "USD",
            "admin_graphql_api_id": f"gid://shopify/Customer/{cid}",
        }

    def order_json(j: int) -> dict[str, Any]:
        oid = order_id(j)
        c = order_customer[j]
        landing, referring = landings[order_channel[j]]
        processed = texts.order_processed[j]
        price = order_price[j]
        return {
            "id": oid,
            "admin_graphql_api_id": f"gid://shopify/Order/{oid}",
            "name": f"#{1001 + j}",
            "order_number": 1001 + j,
            "email": customer_email(c),
            "created_at": processed,
            "updated_at": texts.order_updated[j],
            "processed_at": processed,
            "cancelled_at": None,
            "currency": "USD",
            "financial_status": "paid",
            "total_price": price,
            "current_total_price": price,
            "subtotal_price": price,
            "total_tax": "0.00",
            "total_discounts": "0.00",
            "source_name": "web",
            "landing_site": landing,
            "referring_site": referring,
            "test": False,
            "customer": {"id": customer_id(c), "email": customer_email(c)},
        }

    def listing(request: httpx.Request, kind: str) -> httpx.Response:
        params = request.url.params
        try:
            limit = int(params.get("limit", "50"))
        except ValueError:
            return _errors(400, {"limit": ["must be an integer"]})
        if not 1 <= limit <= MAX_LIMIT:
            return _errors(400, {"limit": [f"must be between 1 and {MAX_LIMIT}"]})
        limit = min(limit, context.page_size_cap)
        page_info = params.get("page_info")
        if page_info is not None:
            if any(name in params for name in _FILTERS):
                return _errors(400, {"page_info": ["cannot be combined with other filters"]})
            position = _untoken(page_info)
            if position is None or position.get("kind") != kind:
                return _errors(400, {"page_info": ["Invalid value."]})
            low, high, offset = int(position["min"]), int(position["max"]), int(position["at"])
        else:
            try:
                low = _epoch(params["updated_at_min"]) if "updated_at_min" in params else 0
                high = (_epoch(params["updated_at_max"]) if "updated_at_max" in params
                        else 2**62)
            except ValueError:
                return _errors(400, {"updated_at_min": ["Invalid datetime"]})
            offset = 0
        stamps = data.order_updated_sorted if kind == "orders" else data.customer_updated_sorted
        rows = data.order_by_updated if kind == "orders" else data.customer_by_updated
        lo = int(np.searchsorted(stamps, low, side="left"))
        hi = int(np.searchsorted(stamps, high, side="right"))
        chosen = rows[lo + offset : min(hi, lo + offset + limit)]
        render = order_json if kind == "orders" else customer_json
        body = {kind: [render(int(i)) for i in chosen]}
        links = []
        if lo + offset + len(chosen) < hi:
            token = _token({"kind": kind, "min": low, "max": high,
                            "at": offset + len(chosen)})
            url = request.url.copy_with(params={"limit": str(limit), "page_info": token})
            links.append(f'<{url}>; rel="next"')
        if offset > 0:
            token = _token({"kind": kind, "min": low, "max": high,
                            "at": max(0, offset - limit)})
            url = request.url.copy_with(params={"limit": str(limit), "page_info": token})
            links.append(f'<{url}>; rel="previous"')
        headers = {"X-Shopify-Shop-Api-Call-Limit": "1/40"}
        if links:
            headers["Link"] = ", ".join(links)
        return json_response(200, body, headers)

    def handle(request: httpx.Request) -> httpx.Response:
        if request.headers.get("x-shopify-access-token") != context.access_token:
            return _errors(401, "[API] Invalid API key or access token "
                                "(unrecognized login or wrong password)")
        fault = faults.next()
        if fault == "rate_limited":
            return _errors(429, "Exceeded 2 calls per second for api client. Reduce request "
                                "rates to resume uninterrupted service.",
                           **{"Retry-After": "0.05", "X-Shopify-Shop-Api-Call-Limit": "40/40"})
        if fault == "unavailable":
            return _errors(503, "Service Unavailable")
        if request.method != "GET":
            return _errors(405, "Method Not Allowed")
        path = request.url.path
        if path == "/admin/oauth/access_scopes.json":
            return httpx.Response(
                200, json={"access_scopes": [{"handle": scope} for scope in SCOPES]}
            )
        if not path.startswith(API_PREFIX):
            return _errors(404, "Not Found")
        resource = path.removeprefix(API_PREFIX).split("/", 1)[-1]
        if resource == "orders.json":
            return listing(request, "orders")
        if resource == "customers.json":
            return listing(request, "customers")
        return _errors(404, "Not Found")

    return httpx.MockTransport(handle)

