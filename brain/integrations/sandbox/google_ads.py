"""Simulated Google Ads API (REST): `customers:listAccessibleCustomers` and
`customers/{id}/googleAds:searchStream`.

Checks the `Authorization` bearer token and the `developer-token` header, parses the subset of
GAQL the connector sends (FROM ad_group_ad, `segments.date BETWEEN 'a' AND 'b'`), and answers
searchStream's shape: a JSON array of batches `{"results": [GoogleAdsRow…], "fieldMask",
"requestId"}` with camelCase fields and int64 values as strings. Errors use the Google API
error envelope with a `GoogleAdsFailure` detail (as a one-element array for searchStream).
"""

from __future__ import annotations

import json
import re
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

PLATFORMS = ("google", "youtube")
API_VERSION = "v21"
_BETWEEN = re.compile(
    r"segments\.date\s+BETWEEN\s+'(\d{4}-\d{2}-\d{2})'\s+AND\s+'(\d{4}-\d{2}-\d{2})'",
    re.IGNORECASE,
)
_BATCH = 10_000
# The Google Ads `AdType` of each simulated creative format (text: responsive search ads).
_AD_TYPES = {"video": "VIDEO_AD", "image": "IMAGE_AD"}


def customer_digits(account_id: str) -> str:
    return account_id.replace("-", "")


def google_error(
    status: int, grpc_status: str, message: str, error_code: dict[str, str], *,
    stream: bool = False, retry_delay: str | None = None,
) -> httpx.Response:
    failure: dict[str, Any] = {
        "@type": f"type.googleapis.com/google.ads.googleads.{API_VERSION}.errors.GoogleAdsFailure",
        "errors": [{"errorCode": error_code, "message": message}],
        "requestId": "sandbox-request",
    }
    if retry_delay:
        failure["errors"][0]["details"] = {"quotaErrorDetails": {"rateScope": "ACCOUNT",
                                                                 "retryDelay": retry_delay}}
    body: Any = {"error": {"code": status, "message": message, "status": grpc_status,
                           "details": [failure]}}
    return json_response(status, [body] if stream else body)


def _row(row: AdRow, customer_name: str, platform: str,
         ads: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """One GoogleAdsRow; `ads` caches the parts that are the same every day for an ad (the
    customer, campaign, ad group and ad objects)."""
    (on, _, _, _, _, _, _, ad_id, _, _, impressions, clicks, spend, conversions, revenue, _,
     views) = row
    metrics: dict[str, Any] = {
        "impressions": str(impressions),
        "clicks": str(clicks),
        "costMicros": str(round(spend * 1_000_000)),
        "conversions": conversions,
        "conversionsValue": revenue,
    }
    if views is not None:
        metrics["videoViews"] = str(views)
    static = ads.get(ad_id) if ads is not None else None
    if static is None:
        static = _static(row, customer_name, platform)
        if ads is not None:
            ads[ad_id] = static
    return {**static, "metrics": metrics, "segments": {"date": on.isoformat()}}


def _static(row: AdRow, customer_name: str, platform: str) -> dict[str, Any]:
    (_, account_id, campaign_id, campaign_name, _, ad_set_id, ad_set_name, ad_id, ad_name,
     ad_format, *_) = row
    digits = customer_digits(account_id)
    return {
        "customer": {"resourceName": f"customers/{digits}", "id": digits,
                     "descriptiveName": customer_name},
        "campaign": {"resourceName": f"customers/{digits}/campaigns/{campaign_id}",
                     "id": campaign_id, "name": campaign_name,
                     "advertisingChannelType": "VIDEO" if platform == "youtube" else "SEARCH"},
        "adGroup": {"resourceName": f"customers/{digits}/adGroups/{ad_set_id}",
                    "id": ad_set_id, "name": ad_set_name},
        "adGroupAd": {"resourceName": f"customers/{digits}/adGroupAds/{ad_set_id}~{ad_id}",
                      "ad": {"id": ad_id, "name": ad_name,
                             "type": _AD_TYPES.get(ad_format, "RESPONSIVE_SEARCH_AD")}},
    }


def google_ads_sandbox(context: SandboxContext) -> httpx.AsyncBaseTransport:
    """The in-process Google Ads REST API for one sandbox connection."""
    faults = FaultInjector(context)
    sim = context.simulation()
    platform_of = {customer_digits(ch.external_account_id): ch.platform
                   for ch in sim.channels if ch.platform in PLATFORMS}
    account_of = {customer_digits(ch.external_account_id): ch.external_account_id
                  for ch in sim.channels if ch.platform in PLATFORMS}
    names = {customer_digits(a): n for a, n in accounts(context, PLATFORMS)}
    table = context_ad_table(context, PLATFORMS)
    prefix = f"/{API_VERSION}/customers"
    ads: dict[str, dict[str, Any]] = {}

    def handle(request: httpx.Request) -> httpx.Response:
        stream = request.url.path.endswith(":searchStream")
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token != context.access_token:
            return google_error(401, "UNAUTHENTICATED", "Request had invalid authentication "
                                "credentials.", {"authenticationError": "OAUTH_TOKEN_EXPIRED"},
                                stream=stream)
        if not request.headers.get("developer-token"):
            return google_error(401, "UNAUTHENTICATED", "The developer token is missing.",
                                {"authenticationError": "DEVELOPER_TOKEN_NOT_ON_ALLOWLIST"},
                                stream=stream)
        fault = faults.next()
        if fault == "rate_limited":
            return google_error(429, "RESOURCE_EXHAUSTED", "Too many requests.",
                                {"quotaError": "RESOURCE_TEMPORARILY_EXHAUSTED"},
                                stream=stream, retry_delay="0s")
        if fault == "unavailable":
            return google_error(503, "UNAVAILABLE", "The service is currently unavailable.",
                                {"internalError": "TRANSIENT_ERROR"}, stream=stream)
        path = request.url.path
        if path == f"{prefix}:listAccessibleCustomers" and request.method == "GET":
            return json_response(200, {
                "resourceNames": [f"customers/{c}" for c in sorted(platform_of)]})
        match = re.fullmatch(rf"{prefix}/(\d+)/googleAds:searchStream", path)
        if match is None or request.method != "POST":
            return google_error(404, "NOT_FOUND", "Unknown method.",
                                {"requestError": "UNKNOWN"}, stream=stream)
        customer = match.group(1)
        if customer not in platform_of:
            return google_error(403, "PERMISSION_DENIED", "The caller does not have permission",
                                {"authorizationError": "USER_PERMISSION_DENIED"}, stream=True)
        try:
            query = str(json.loads(request.content)["query"])
        except (ValueError, KeyError, TypeError):
            return google_error(400, "INVALID_ARGUMENT", "Invalid JSON payload.",
                                {"requestError": "INVALID_INPUT"}, stream=True)
        between = _BETWEEN.search(query)
        if "FROM ad_group_ad" not in query or between is None:
            return google_error(400, "INVALID_ARGUMENT", "The sandbox serves ad_group_ad by "
                                "date range only.", {"queryError": "PROHIBITED_RESOURCE_TYPE_IN_"
                                                                   "FROM_CLAUSE"}, stream=True)
        since, until = date.fromisoformat(between.group(1)), date.fromisoformat(between.group(2))
        rows = table.between(account_of[customer], since, until)  # by date, then ad id
        mask = ("customer.id,customer.descriptiveName,campaign.id,campaign.name,"
                "campaign.advertisingChannelType,adGroup.id,adGroup.name,adGroupAd.ad.id,"
                "adGroupAd.ad.name,adGroupAd.ad.type,segments.date,metrics.impressions,"
                "metrics.clicks,metrics.costMicros,metrics.conversions,"
                "metrics.conversionsValue,metrics.videoViews")
        batches = [
            {"results": [_row(r, names[customer], platform_of[customer], ads)
                         for r in rows[i : i + _BATCH]],
             "fieldMask": mask, "requestId": f"sandbox-{i}"}
            for i in range(0, len(rows), _BATCH)
        ] or [{"fieldMask": mask, "requestId": "sandbox-empty"}]
        return json_response(200, batches)

    return httpx.MockTransport(handle)
