"""Simulated HubSpot CRM v3: contacts and deals (list, search) and deal→contact associations.

The demo world's customers are contacts (lifecycle stage `customer`, modified at their last
order) and its orders are won deals of their customer (closed when the order was placed).
Speaks the documented shapes: objects as `{id, properties, createdAt, updatedAt, archived}`
with string property values, `paging.next.after` cursors, the search API's `total` and its
10,000-result ceiling, v4 batch association reads, and HubSpot's error body (401
INVALID_AUTHENTICATION for a wrong token, 429 RATE_LIMITS, 502s from the fault injector).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import numpy as np

from brain.integrations.sandbox.common import (
    FaultInjector,
    SandboxContext,
    json_response,
    numeric_id,
)
from brain.integrations.sandbox.shopify import shop_data

SEARCH_CEILING = 10_000
CONTACT_KIND, DEAL_KIND = 71, 72
MODIFIED = {"contacts": "lastmodifieddate", "deals": "hs_lastmodifieddate"}
DEFAULT_PROPERTIES = {
    "contacts": ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate",
                 "lastname"),
    "deals": ("amount", "closedate", "createdate", "dealname", "dealstage",
              "hs_lastmodifieddate", "hs_object_id", "pipeline"),
}


def _stamps(epochs: np.ndarray) -> list[str]:
    """Epoch seconds as HubSpot writes times (`2026-01-01T08:00:00.000Z`), at once."""
    texts = np.datetime_as_string(epochs.astype("datetime64[s]"), unit="s")
    return [f"{text}.000Z" for text in texts.tolist()]


def _error(status: int, category: str, message: str, **extra: Any) -> httpx.Response:
    body = {"status": "error", "message": message,
            "correlationId": "00000000-0000-4000-8000-000000000000", "category": category,
            **extra}
    return json_response(status, body)


def _index(object_id: str, kind: int) -> int:
    return int(object_id) - int(numeric_id(kind, 0))


def hubspot_sandbox(context: SandboxContext) -> httpx.AsyncBaseTransport:
    """The in-process HubSpot API of one sandbox connection."""
    faults = FaultInjector(context)
    sim = context.simulation()
    data = shop_data(context.vertical, context.seed, context.days, context.today)
    contact_modified = np.empty_like(data.customer_updated_sorted)
    contact_modified[data.customer_by_updated] = data.customer_updated_sorted
    # Timestamps as the API writes them, made once per transport (vectorised).
    contact_created_text = _stamps(data.customer_created)
    contact_modified_text = _stamps(contact_modified)
    deal_closed_text = _stamps(data.order_processed)
    deal_modified_text = _stamps(data.order_processed + 600)
    deal_created_text = _stamps(data.order_processed - 86_400)
    deal_amount_text = [f"{value:.2f}" for value in sim.orders.revenue.tolist()]
    deal_owner = sim.orders.customer.tolist()
    sorted_ms = {"contacts": data.customer_updated_sorted * 1000,
                 "deals": data.order_updated_sorted * 1000}
    by_modified = {"contacts": data.customer_by_updated, "deals": data.order_by_updated}
    counts = {"contacts": len(sim.customers), "deals": len(sim.orders)}

    def contact(i: int) -> dict[str, Any]:
        created = contact_created_text[i]
        modified = contact_modified_text[i]
        return {
            "id": numeric_id(CONTACT_KIND, i),
            "properties": {
                "createdate": created,
                "email": sim.customer_email(i),
                "firstname": "Customer",
                "hs_object_id": numeric_id(CONTACT_KIND, i),
                "lastmodifieddate": modified,
                "lastname": str(i + 1),
                "lifecyclestage": "customer",
                # A shop's customers become leads and customers with their first order.
                "hs_lifecyclestage_lead_date": created,
                "hs_lifecyclestage_customer_date": created,
            },
            "createdAt": created,
            "updatedAt": modified,
            "archived": False,
        }

    def deal(j: int) -> dict[str, Any]:
        modified = deal_modified_text[j]
        created = deal_created_text[j]
        return {
            "id": numeric_id(DEAL_KIND, j),
            "properties": {
                "amount": deal_amount_text[j],
                "closedate": deal_closed_text[j],
                "createdate": created,
                "dealname": f"Order #{1001 + j}",
                "dealstage": "closedwon",
                "hs_is_closed_won": "true",
                "hs_is_closed": "true",
                "deal_currency_code": "USD",
                "hs_lastmodifieddate": modified,
                "hs_object_id": numeric_id(DEAL_KIND, j),
                "pipeline": "default",
            },
            "createdAt": created,
            "updatedAt": modified,
            "archived": False,
        }

    def render(object_type: str, index: int, properties: list[str] | None,
               associations: bool = False) -> dict[str, Any]:
        item = contact(index) if object_type == "contacts" else deal(index)
        wanted = set(properties or DEFAULT_PROPERTIES[object_type]) | {"hs_object_id"}
        item["properties"] = {k: v for k, v in item["properties"].items() if k in wanted}
        if associations and object_type == "deals":
            owner = numeric_id(CONTACT_KIND, deal_owner[index])
            item["associations"] = {"contacts": {"results": [
                {"id": owner, "type": "deal_to_contact"}]}}
        return item

    def listing(request: httpx.Request, object_type: str) -> httpx.Response:
        params = request.url.params
        try:
            limit = int(params.get("limit", "10"))
            offset = int(params.get("after", "0"))
        except ValueError:
            return _error(400, "VALIDATION_ERROR", "limit and after must be integers")
        if not 1 <= limit <= 100 or offset < 0:
            return _error(400, "VALIDATION_ERROR", "limit must be between 1 and 100")
        properties = [p for p in params.get("properties", "").split(",") if p] or None
        associations = "contacts" in params.get("associations", "")
        end = min(offset + limit, counts[object_type])
        body: dict[str, Any] = {"results": [
            render(object_type, i, properties, associations) for i in range(offset, end)]}
        if end < counts[object_type]:
            link = request.url.copy_with(params={**dict(params), "after": str(end)})
            body["paging"] = {"next": {"after": str(end), "link": str(link)}}
        return json_response(200, body)

    def search(request: httpx.Request, object_type: str) -> httpx.Response:
        try:
            body = json.loads(request.content or b"{}")
            limit = int(body.get("limit") or 10)
            offset = int(body.get("after") or 0)
            filters = [f for group in body.get("filterGroups") or []
                       for f in group.get("filters") or []]
        except (ValueError, TypeError, AttributeError):
            return _error(400, "VALIDATION_ERROR", "Invalid input JSON on line 1")
        if not 1 <= limit <= 200:
            return _error(400, "VALIDATION_ERROR", "limit must be between 1 and 200")
        if offset + limit > SEARCH_CEILING:
            return _error(400, "VALIDATION_ERROR", "Search results are limited to 10,000; "
                          "narrow the filters.")
        stamps = sorted_ms[object_type]
        lo, hi = 0, len(stamps)
        for item in filters:
            if item.get("propertyName") != MODIFIED[object_type]:
                return _error(400, "VALIDATION_ERROR", "The sandbox filters by the "
                              "modification date only.")
            value = int(item.get("value") or 0)
            operator = item.get("operator")
            if operator == "GTE":
                lo = max(lo, int(np.searchsorted(stamps, value, side="left")))
            elif operator == "GT":
                lo = max(lo, int(np.searchsorted(stamps, value, side="right")))
            elif operator == "LTE":
                hi = min(hi, int(np.searchsorted(stamps, value, side="right")))
            elif operator == "LT":
                hi = min(hi, int(np.searchsorted(stamps, value, side="left")))
            else:
                return _error(400, "VALIDATION_ERROR", f"Unsupported operator {operator}")
        total = max(0, hi - lo)
        chosen = by_modified[object_type][lo + offset : lo + min(total, offset + limit)]
        properties = [str(p) for p in body.get("properties") or []] or None
        answer: dict[str, Any] = {"total": total, "results": [
            render(object_type, int(i), properties) for i in chosen]}
        if offset + len(chosen) < total:
            answer["paging"] = {"next": {"after": str(offset + len(chosen))}}
        return json_response(200, answer)

    def deal_contacts(request: httpx.Request) -> httpx.Response:
        try:
            inputs = [str(item["id"]) for item in json.loads(request.content)["inputs"]]
        except (ValueError, KeyError, TypeError):
            return _error(400, "VALIDATION_ERROR", "inputs must be a list of {id}")
        results = []
        for deal_id in inputs:
            j = _index(deal_id, DEAL_KIND)
            if not 0 <= j < counts["deals"]:
                continue
            owner = int(numeric_id(CONTACT_KIND, deal_owner[j]))
            results.append({"from": {"id": deal_id}, "to": [{"toObjectId": owner,
                            "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 3,
                                                  "label": None}]}]})
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return json_response(200, {"status": "COMPLETE", "results": results,
                                         "startedAt": now, "completedAt": now})

    def handle(request: httpx.Request) -> httpx.Response:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token != context.access_token:
            return _error(401, "INVALID_AUTHENTICATION", "Authentication credentials not "
                          "found. This API supports OAuth 2.0 authentication.")
        fault = faults.next()
        if fault == "rate_limited":
            return _error(429, "RATE_LIMITS", "You have reached your secondly limit.",
                          errorType="RATE_LIMIT", policyName="SECONDLY")
        if fault == "unavailable":
            return httpx.Response(502, text="<html><body>502 Bad Gateway</body></html>")
        parts = request.url.path.strip("/").split("/")
        if parts[:3] == ["crm", "v3", "objects"] and len(parts) >= 4 and parts[3] in MODIFIED:
            if len(parts) == 4 and request.method == "GET":
                return listing(request, parts[3])
            if parts[4:] == ["search"] and request.method == "POST":
                return search(request, parts[3])
        if parts == ["crm", "v4", "associations", "deals", "contacts", "batch", "read"] \
                and request.method == "POST":
            return deal_contacts(request)
        return _error(404, "OBJECT_NOT_FOUND", f"Unknown endpoint {request.url.path}")

    return httpx.MockTransport(handle)
