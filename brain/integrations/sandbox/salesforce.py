"""Simulated Salesforce REST API: SOQL `query` over Lead, Opportunity and Campaign.

The demo world's customers are Leads (converted, each to an Account of its own), its orders
are won Opportunities of those Accounts, and its ad campaigns are Campaigns. The simulator
understands the query shape the connector sends (`SELECT fields FROM object [WHERE
SystemModstamp >= … AND SystemModstamp <= …] [ORDER BY SystemModstamp ASC] [LIMIT n]`),
answers `totalSize`/`done`/`records` with `attributes`, pages through `nextRecordsUrl`
query locators, and speaks Salesforce's error array: INVALID_SESSION_ID (401) for a wrong
token, REQUEST_LIMIT_EXCEEDED (403, a concurrency limit) and SERVER_UNAVAILABLE (503).
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import numpy as np

from brain.integrations.sandbox.common import FaultInjector, SandboxContext
from brain.integrations.sandbox.shopify import shop_data

SANDBOX_INSTANCE = "https://brain-sandbox.my.salesforce.com"
VERSION_PREFIX = re.compile(r"^/services/data/v(\d+\.\d)/")
_QUERY = re.compile(
    r"^SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<object>\w+)"
    r"(?:\s+WHERE\s+SystemModstamp\s*>=\s*(?P<low>\S+)\s+AND\s+SystemModstamp\s*<=\s*(?P<high>\S+))?"
    r"(?:\s+ORDER\s+BY\s+SystemModstamp\s+ASC)?(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$",
    re.IGNORECASE,
)
PREFIXES = {"Lead": "00Q", "Opportunity": "006", "Campaign": "701", "Account": "001"}


def sf_id(sobject: str, index: int) -> str:
    """An 18-character Salesforce-style id for the `index`-th record of an object."""
    return f"{PREFIXES[sobject]}5e{index:010d}AAA"


def _stamp(epoch: int) -> str:
    return datetime.fromtimestamp(int(epoch), tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _errors(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json=[{"message": message, "errorCode": code}])


def _epoch(literal: str) -> int:
    return int(datetime.fromisoformat(literal.replace("Z", "+00:00")).timestamp())


def salesforce_sandbox(context: SandboxContext) -> httpx.AsyncBaseTransport:
    """The in-process Salesforce REST API of one sandbox connection."""
    faults = FaultInjector(context)
    sim = context.simulation()
    data = shop_data(context.vertical, context.seed, context.days, context.today)
    start_epoch = int(datetime.combine(sim.start, datetime.min.time(), tzinfo=UTC).timestamp())
    lead_modified = np.empty_like(data.customer_updated_sorted)
    lead_modified[data.customer_by_updated] = data.customer_updated_sorted
    campaign_modified = np.array([start_epoch + 3600 + k for k in range(len(sim.campaigns))],
                                 dtype=np.int64)
    spend = np.zeros(len(sim.campaigns))
    np.add.at(spend, sim.metrics.campaign, sim.metrics.spend)
    first_campaign = {c: next((k for k, cp in enumerate(sim.campaigns) if cp.channel == c), -1)
                      for c in range(len(sim.channels))}
    tables: dict[str, tuple[np.ndarray, np.ndarray]] = {
        "Lead": (data.customer_updated_sorted, data.customer_by_updated),
        "Opportunity": (data.order_updated_sorted, data.order_by_updated),
        "Campaign": (campaign_modified, np.arange(len(sim.campaigns), dtype=np.int64)),
    }

    def lead(i: int) -> dict[str, Any]:
        converted = sim.date_at(int(sim.customers.first_day[i]))
        return {
            "Id": sf_id("Lead", i), "Email": sim.customer_email(i), "FirstName": "Customer",
            "LastName": str(i + 1), "Company": f"Household {i + 1}",
            "Status": "Closed - Converted", "LeadSource": "Web", "IsConverted": True,
            "ConvertedDate": converted.isoformat(),
            "ConvertedAccountId": sf_id("Account", i),
            "CreatedDate": _stamp(int(data.customer_created[i])),
            "SystemModstamp": _stamp(int(lead_modified[i])),
        }

    def opportunity(j: int) -> dict[str, Any]:
        placed = int(data.order_processed[j])
        channel = int(sim.orders.channel[j])
        campaign = first_campaign.get(channel, -1) if channel >= 0 else -1
        return {
            "Id": sf_id("Opportunity", j), "Name": f"Order #{1001 + j}",
            "AccountId": sf_id("Account", int(sim.orders.customer[j])),
            "Amount": round(float(sim.orders.revenue[j]), 2),
            "CloseDate": datetime.fromtimestamp(placed, tz=UTC).date().isoformat(),
            "StageName": "Closed Won", "IsClosed": True, "IsWon": True,
            "CampaignId": sf_id("Campaign", campaign) if campaign >= 0 else None,
            "LeadSource": "Advertisement" if channel >= 0 else "Web",
            "CreatedDate": _stamp(placed - 86_400), "SystemModstamp": _stamp(placed + 600),
        }

    def campaign(k: int) -> dict[str, Any]:
        spec = sim.campaigns[k]
        return {
            "Id": sf_id("Campaign", k), "Name": spec.name, "Type": "Advertisement",
            "Status": "In Progress", "StartDate": sim.start.isoformat(),
            "EndDate": (sim.end + timedelta(days=90)).isoformat(), "IsActive": True,
            "ActualCost": round(float(spend[k]), 2),
            "CreatedDate": _stamp(start_epoch), "SystemModstamp": _stamp(int(campaign_modified[k])),
        }

    render = {"Lead": lead, "Opportunity": opportunity, "Campaign": campaign}

    def page(version: str, position: dict[str, Any]) -> httpx.Response:
        sobject = str(position["object"])
        stamps, order = tables[sobject]
        lo = int(np.searchsorted(stamps, int(position["low"]), side="left"))
        hi = int(np.searchsorted(stamps, int(position["high"]), side="right"))
        if position.get("limit") is not None:
            hi = min(hi, lo + int(position["limit"]))
        offset = int(position["at"])
        size = min(2000, context.page_size_cap)
        chosen = order[lo + offset : min(hi, lo + offset + size)]
        fields = list(position["fields"])
        records = []
        for index in chosen:
            full = render[sobject](int(index))
            record: dict[str, Any] = {"attributes": {
                "type": sobject,
                "url": f"/services/data/v{version}/sobjects/{sobject}/{full['Id']}"}}
            record.update({name: full.get(name) for name in fields})
            records.append(record)
        body: dict[str, Any] = {"totalSize": max(0, hi - lo), "done": True, "records": records}
        if lo + offset + len(chosen) < hi:
            token = base64.urlsafe_b64encode(json.dumps(
                {**position, "at": offset + len(chosen)}, separators=(",", ":")).encode()
            ).decode().rstrip("=")
            body["done"] = False
            body["nextRecordsUrl"] = f"/services/data/v{version}/query/01g{token}-{offset + size}"
        return httpx.Response(200, json=body)

    def query(version: str, q: str) -> httpx.Response:
        match = _QUERY.match(q.strip())
        if match is None:
            return _errors(400, "MALFORMED_QUERY", "unexpected token: the sandbox understands "
                           "SELECT … FROM … WHERE SystemModstamp >= … AND SystemModstamp <= …")
        sobject = match["object"]
        if sobject not in render:
            return _errors(400, "INVALID_TYPE", f"sObject type '{sobject}' is not supported.")
        fields = [f.strip() for f in match["fields"].split(",")]
        sample = render[sobject](0) if len(tables[sobject][1]) else {"Id": ""}
        unknown = [f for f in fields if f not in sample]
        if unknown:
            return _errors(400, "INVALID_FIELD", f"No such column '{unknown[0]}' on entity "
                           f"'{sobject}'.")
        try:
            low = _epoch(match["low"]) if match["low"] else 0
            high = _epoch(match["high"]) if match["high"] else 2**62
        except ValueError:
            return _errors(400, "MALFORMED_QUERY", "invalid datetime literal")
        position = {"object": sobject, "fields": fields, "low": low, "high": high, "at": 0,
                    "limit": int(match["limit"]) if match["limit"] else None}
        return page(version, position)

    def more(version: str, locator: str) -> httpx.Response:
        token = locator.removeprefix("01g").rsplit("-", 1)[0]
        try:
            position = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        except ValueError:
            position = None
        if not isinstance(position, dict) or position.get("object") not in render:
            return _errors(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return page(version, position)

    def handle(request: httpx.Request) -> httpx.Response:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token != context.access_token:
            return _errors(401, "INVALID_SESSION_ID", "Session expired or invalid")
        fault = faults.next()
        if fault == "rate_limited":
            return _errors(403, "REQUEST_LIMIT_EXCEEDED",
                           "ConcurrentPerOrgLongTxn Limit exceeded.")
        if fault == "unavailable":
            return _errors(503, "SERVER_UNAVAILABLE", "Server temporarily unavailable")
        version_match = VERSION_PREFIX.match(request.url.path)
        if version_match is None or request.method != "GET":
            return _errors(404, "NOT_FOUND", "The requested resource does not exist")
        version = version_match.group(1)
        rest = request.url.path[version_match.end():].strip("/")
        if rest == "query":
            return query(version, request.url.params.get("q", ""))
        if rest.startswith("query/"):
            return more(version, rest.removeprefix("query/"))
        return _errors(404, "NOT_FOUND", "The requested resource does not exist")

    return httpx.MockTransport(handle)

