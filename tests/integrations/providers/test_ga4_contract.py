"""GA4 contract: Data API runReport and Measurement Protocol requests, recorded responses."""

from __future__ import annotations

import json
from datetime import date

import httpx
import pytest

from brain.integrations.base import Connector, ConnectorError, ConnectorErrorKind, SyncWindow
from brain.integrations.http import ProviderHttpClient
from brain.integrations.providers.ga4 import (
    SCOPE,
    MeasurementProtocol,
    classify_ga4,
    metric_record,
    parse_report,
)
from tests.integrations.providers.recorded import (
    Replay,
    Sleeps,
    collect,
    contract_connector,
    fixture,
    recorded,
)

PROPERTY = "123456789"
REPORT_URL = f"https://analyticsdata.googleapis.com/v1beta/properties/{PROPERTY}:runReport"
MARCH = SyncWindow(date(2024, 3, 1), date(2024, 3, 31))


def ga4(replay: Replay, sleeps: Sleeps | None = None) -> Connector:
    return contract_connector("ga4", replay, config={"property_id": PROPERTY}, sleeps=sleeps)


def expected_body(offset: int) -> dict[str, object]:
    names = ["date", "sessionSource", "sessionMedium", "sessionCampaignName"]
    return {
        "dateRanges": [{"startDate": "2024-03-01", "endDate": "2024-03-31"}],
        "dimensions": [{"name": n} for n in names],
        "metrics": [{"name": "sessions"}, {"name": "keyEvents"}, {"name": "totalRevenue"}],
        "orderBys": [{"dimension": {"dimensionName": n}} for n in names],
        "offset": offset,
        "limit": 10000,
        "keepEmptyRows": False,
    }


async def test_run_report_request_is_pinned_and_offset_paging_follows_row_count() -> None:
    replay = Replay(recorded("ga4", "run_report_page1"), recorded("ga4", "run_report_page2"))
    records, checkpoints = await collect(ga4(replay), "traffic_daily", None, MARCH)

    for index, offset in ((0, 0), (1, 2)):
        request = replay.requests[index]
        assert request.method == "POST"
        assert str(request.url) == REPORT_URL
        assert request.headers["authorization"] == "Bearer test-access-token"
        assert request.headers["content-type"] == "application/json"
        assert replay.json_body(index) == expected_body(offset)
    assert [r.data for r in records] == [
        {"date": "2024-03-01", "source": "facebook", "medium": "paid_social",
         "campaign": "Prospecting - Broad", "sessions": 1520, "key_events": 31.0,
         "revenue": 2104.5, "currency": "USD"},
        {"date": "2024-03-01", "source": "(direct)", "medium": "(none)",
         "campaign": "(direct)", "sessions": 880, "key_events": 12.0, "revenue": 640.25,
         "currency": "USD"},
        {"date": "2024-03-02", "source": "google", "medium": "cpc",
         "campaign": "Brand Search", "sessions": 410, "key_events": 9.0, "revenue": 733.0,
         "currency": "USD"},
    ]
    assert [c.state for c in checkpoints] == [{"offset": 2}, {"done": True}]


async def test_resume_at_offset_and_empty_report() -> None:
    replay = Replay(recorded("ga4", "run_report_page2"))
    records, checkpoints = await collect(ga4(replay), "traffic_daily", {"offset": 2}, MARCH)
    assert replay.json_body(0)["offset"] == 2
    assert len(records) == 1
    assert checkpoints[-1].state == {"done": True}
    empty = Replay(recorded("ga4", "run_report_empty"))
    records, checkpoints = await collect(ga4(empty), "traffic_daily", None, MARCH)
    assert records == []
    assert [c.state for c in checkpoints] == [{"done": True}]


async def test_expired_token_is_not_retried_and_asks_for_a_refresh() -> None:
    replay = Replay(recorded("ga4", "error_401_unauthenticated"))
    with pytest.raises(ConnectorError) as caught:
        await collect(ga4(replay), "traffic_daily", None, MARCH)
    assert caught.value.kind is ConnectorErrorKind.expired_token
    assert caught.value.provider_code == "UNAUTHENTICATED"
    assert len(replay.requests) == 1


async def test_missing_scope_and_property_permission() -> None:
    replay = Replay(recorded("ga4", "error_403_scope"))
    result = await ga4(replay).check()
    assert not result.ok
    assert result.missing_scopes == [SCOPE]
    assert replay.json_body(0)["limit"] == 1
    error = classify_ga4(recorded("ga4", "error_403_property"))
    assert error is not None
    assert error.kind is ConnectorErrorKind.missing_scope
    assert error.missing_scopes == []
    assert "sufficient permissions for this property" in error.message


async def test_concurrent_quota_is_retried_with_back_off() -> None:
    sleeps = Sleeps()
    replay = Replay(recorded("ga4", "error_429_exhausted"), recorded("ga4", "run_report_page2"),
                    recorded("ga4", "run_report_empty"))
    records, _ = await collect(ga4(replay, sleeps), "traffic_daily", None, MARCH)
    assert len(records) == 1
    assert len(sleeps.waits) == 1
    assert replay.json_body(0) == replay.json_body(1)


async def test_daily_token_quota_gives_up_at_once_for_the_engine_to_reschedule() -> None:
    sleeps = Sleeps()
    replay = Replay(recorded("ga4", "error_429_daily_tokens"))
    with pytest.raises(ConnectorError) as caught:
        await collect(ga4(replay, sleeps), "traffic_daily", None, MARCH)
    assert caught.value.kind is ConnectorErrorKind.rate_limited
    assert caught.value.retry_after == 86_400.0
    assert sleeps.waits == []
    invalid = classify_ga4(recorded("ga4", "error_400_invalid_argument"))
    assert invalid is not None
    assert invalid.kind is ConnectorErrorKind.invalid_request


def test_report_parsing_follows_the_headers_order() -> None:
    body = fixture("ga4", "run_report_page1")["body"]
    body["dimensionHeaders"].reverse()
    for row in body["rows"]:
        row["dimensionValues"].reverse()
    assert parse_report(body)[0]["campaign"] == "Prospecting - Broad"
    assert parse_report(body)[0]["date"] == "2024-03-01"


async def test_measurement_protocol_purchase_request() -> None:
    replay = Replay(recorded("ga4", "mp_collect_ok"), recorded("ga4", "mp_debug_validation"))
    async with ProviderHttpClient("ga4", base_url="", transport=replay) as http:
        mp = MeasurementProtocol(http, measurement_id="G-ABC123XYZ", api_secret="mp-secret")
        purchase = {"client_id": "1234567890.1700000000", "transaction_id": "shopify:450789469",
                    "value": 598.944, "currency": "usd", "user_id": "cus_1"}
        await mp.send_purchase(**purchase)
        messages = await mp.validate_purchase(**purchase)
    sent = replay.requests[0]
    assert sent.method == "POST"
    assert str(sent.url) == ("https://www.google-analytics.com/mp/collect"
                             "?measurement_id=G-ABC123XYZ&api_secret=mp-secret")
    assert json.loads(sent.content) == {
        "client_id": "1234567890.1700000000",
        "user_id": "cus_1",
        "events": [{"name": "purchase", "params": {
            "transaction_id": "shopify:450789469", "value": 598.94, "currency": "USD"}}],
    }
    assert replay.requests[1].url.path == "/debug/mp/collect"
    assert messages[0]["validationCode"] == "VALUE_INVALID"


def test_google_error_envelope_shapes() -> None:
    for name, kind in (
        ("error_401_unauthenticated", ConnectorErrorKind.expired_token),
        ("error_403_scope", ConnectorErrorKind.missing_scope),
        ("error_429_exhausted", ConnectorErrorKind.rate_limited),
    ):
        error = classify_ga4(recorded("ga4", name))
        assert error is not None
        assert error.kind is kind
        assert error.status_code == fixture("ga4", name)["body"]["error"]["code"]
    assert classify_ga4(httpx.Response(503, text="busy")) is not None


def test_traffic_rows_map_to_campaign_grain_metrics_of_the_property_channel() -> None:
    [row, *_] = parse_report(fixture("ga4", "run_report_page1")["body"])
    record = metric_record(PROPERTY, row)
    assert record.stream == "traffic_daily"
    assert record.data["platform"] == "ga4"
    assert record.data["account_id"] == PROPERTY
    assert record.data["campaign_name"] == "facebook / paid_social: Prospecting - Broad"
    assert (record.data["clicks"], record.data["conversions"], record.data["revenue"]) == (
        1520, 31.0, 2104.5)
    assert record.data["spend"] == 0.0
    assert record.data["ad_name"] is None
