"""Google Ads API contract: the exact searchStream request, GoogleAdsRow parsing and errors."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from brain.integrations.base import ConnectorError, ConnectorErrorKind, Credentials, SyncWindow
from brain.integrations.providers.google_ads import GAQL_FIELDS, GoogleAdsConnector
from brain.settings import Settings
from tests.integrations.providers.contract import (
    Recorder,
    json_response,
    make_connector,
    read_all,
)

CONFIG = {"customer_ids": ["123-456-7890"], "login_customer_id": "999-888-7777"}
TOKEN = Credentials(access_token="ya29.google-token",
                    scopes=["https://www.googleapis.com/auth/adwords"])
WINDOW = SyncWindow(start_date=date(2025, 3, 1), end_date=date(2025, 3, 7))
SETTINGS = Settings(integrations_google_ads_developer_token="DEV-TOKEN",
                    _env_file=None)  # type: ignore[call-arg]


def row(channel_type: str, day: str, ad_id: str) -> dict[str, Any]:
    return {
        "customer": {"resourceName": "customers/1234567890", "id": "1234567890",
                     "descriptiveName": "Acme"},
        "campaign": {"resourceName": "customers/1234567890/campaigns/111", "id": "111",
                     "name": "Brand - Exact", "advertisingChannelType": channel_type},
        "adGroup": {"resourceName": "customers/1234567890/adGroups/222", "id": "222",
                    "name": "Brand terms"},
        "adGroupAd": {"resourceName": f"customers/1234567890/adGroupAds/222~{ad_id}",
                      "ad": {"id": ad_id, "name": "RSA 1", "type": "RESPONSIVE_SEARCH_AD"}},
        "metrics": {"impressions": "1200", "clicks": "85", "costMicros": "45670000",
                    "conversions": 3.5, "conversionsValue": 310.25},
        "segments": {"date": day},
    }


def google_error(status: int, grpc: str, code: dict[str, str], **extra: Any) -> list[Any]:
    failure: dict[str, Any] = {
        "@type": "type.googleapis.com/google.ads.googleads.v21.errors.GoogleAdsFailure",
        "errors": [{"errorCode": code, "message": "details", **extra}],
        "requestId": "abc",
    }
    return [{"error": {"code": status, "message": "Request failed", "status": grpc,
                       "details": [failure]}}]


async def test_search_stream_request_and_rows() -> None:
    video = row("VIDEO", "2025-03-02", "334")
    video["metrics"]["videoViews"] = "900"
    recorder = Recorder([json_response(200, [
        {"results": [row("SEARCH", "2025-03-01", "333")], "fieldMask": "…", "requestId": "r1"},
        {"results": [video], "fieldMask": "…", "requestId": "r1"},
    ])])
    connector = make_connector(GoogleAdsConnector, recorder, config=CONFIG,
                               credentials=TOKEN, settings=SETTINGS)
    records, checkpoints = await read_all(connector, connector.streams()[0], WINDOW)
    [request] = recorder.requests
    assert request.method == "POST"
    assert request.url.host == "googleads.googleapis.com"
    assert request.url.path == "/v21/customers/1234567890/googleAds:searchStream"
    assert request.headers["authorization"] == "Bearer ya29.google-token"
    assert request.headers["developer-token"] == "DEV-TOKEN"
    assert request.headers["login-customer-id"] == "9998887777"
    body = json.loads(request.content)
    assert body == {"query": (
        f"SELECT {', '.join(GAQL_FIELDS)} FROM ad_group_ad "
        "WHERE segments.date BETWEEN '2025-03-01' AND '2025-03-07' "
        "ORDER BY segments.date, ad_group_ad.ad.id"
    )}
    assert [c.state for c in checkpoints] == [{"customer_index": 1}]
    search, youtube = (r.data for r in records)
    assert search["platform"] == "google"
    assert search["account_id"] == "123-456-7890"
    assert search["spend"] == 45.67  # cost micros → currency
    assert search["conversions"] == 3.5
    assert search["revenue"] == 310.25
    assert youtube["platform"] == "youtube"  # VIDEO campaigns are YouTube
    assert youtube["video_views"] == 900


@pytest.mark.parametrize(
    ("status", "grpc", "code", "kind"),
    [
        (401, "UNAUTHENTICATED", {"authenticationError": "OAUTH_TOKEN_EXPIRED"},
         ConnectorErrorKind.expired_token),
        (403, "PERMISSION_DENIED", {"authorizationError": "USER_PERMISSION_DENIED"},
         ConnectorErrorKind.missing_scope),
        (400, "INVALID_ARGUMENT", {"queryError": "UNRECOGNIZED_FIELD"},
         ConnectorErrorKind.invalid_request),
    ],
)
async def test_errors_are_classified(
    status: int, grpc: str, code: dict[str, str], kind: ConnectorErrorKind
) -> None:
    recorder = Recorder([json_response(status, google_error(status, grpc, code))])
    connector = make_connector(GoogleAdsConnector, recorder, config=CONFIG,
                               credentials=TOKEN, settings=SETTINGS)
    with pytest.raises(ConnectorError) as caught:
        await read_all(connector, connector.streams()[0], WINDOW)
    assert caught.value.kind is kind
    assert caught.value.provider_code == next(f"{k}.{v}" for k, v in code.items())


async def test_quota_error_waits_for_retry_delay() -> None:
    exhausted = google_error(
        429, "RESOURCE_EXHAUSTED", {"quotaError": "RESOURCE_TEMPORARILY_EXHAUSTED"},
        details={"quotaErrorDetails": {"rateScope": "ACCOUNT", "rateName": "Requests",
                                       "retryDelay": "7s"}},
    )
    recorder = Recorder([json_response(429, exhausted), json_response(200, [])])
    connector = make_connector(GoogleAdsConnector, recorder, config=CONFIG,
                               credentials=TOKEN, settings=SETTINGS)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    connector.http.sleep = sleep
    records, _ = await read_all(connector, connector.streams()[0], WINDOW)
    assert records == []
    assert waits == [7.0]


async def test_check_lists_accessible_customers() -> None:
    recorder = Recorder([json_response(200, {"resourceNames": ["customers/1234567890"]})])
    connector = make_connector(GoogleAdsConnector, recorder,
                               config={"customer_ids": ["1234567890", "5555555555"]},
                               credentials=TOKEN, settings=SETTINGS)
    result = await connector.check()
    [request] = recorder.requests
    assert request.method == "GET"
    assert request.url.path == "/v21/customers:listAccessibleCustomers"
    assert {c.name: c.ok for c in result.checks} == {
        "credentials": True, "scopes": True, "customer 123-456-7890": True,
        "customer 555-555-5555": False,
    }
