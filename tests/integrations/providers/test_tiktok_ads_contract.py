"""TikTok Marketing API contract: integrated report requests, paging and the code envelope."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from brain.integrations.base import ConnectorError, ConnectorErrorKind, Credentials, SyncWindow
from brain.integrations.providers.tiktok_ads import REPORT_METRICS, TikTokAdsConnector
from tests.integrations.providers.contract import (
    Recorder,
    json_response,
    make_connector,
    read_all,
)

CONFIG = {"advertiser_ids": ["7012345678901234567"]}
TOKEN = Credentials(api_key="tiktok-long-lived-token")
WINDOW = SyncWindow(start_date=date(2025, 3, 1), end_date=date(2025, 3, 7))


def envelope(code: int, message: str, data: Any = None) -> dict[str, Any]:
    return {"code": code, "message": message, "request_id": "2025030112000001",
            "data": data if data is not None else {}}


def item(ad_id: str, day: str) -> dict[str, Any]:
    return {
        "dimensions": {"ad_id": ad_id, "stat_time_day": f"{day} 00:00:00"},
        "metrics": {"campaign_id": "1790", "campaign_name": "Spark - UGC",
                    "adgroup_id": "1791", "adgroup_name": "Broad", "ad_name": "Hook A",
                    "objective_type": "CONVERSIONS", "spend": "120.50",
                    "impressions": "40000", "clicks": "310", "conversion": "12",
                    "total_complete_payment_rate": "980.00", "frequency": "1.42",
                    "video_play_actions": "21000"},
    }


def page(number: int, total_page: int, items: list[dict[str, Any]]) -> dict[str, Any]:
    return envelope(0, "OK", {"list": items, "page_info": {
        "page": number, "page_size": 1000, "total_number": 1001, "total_page": total_page}})


async def test_report_request_paging_and_mapping() -> None:
    recorder = Recorder([
        json_response(200, page(1, 2, [item("555", "2025-03-01")])),
        json_response(200, page(2, 2, [item("556", "2025-03-01")])),
    ])
    connector = make_connector(TikTokAdsConnector, recorder, config=CONFIG, credentials=TOKEN)
    records, checkpoints = await read_all(connector, connector.streams()[0], WINDOW)
    first, second = recorder.requests
    assert first.method == "GET"
    assert first.url.host == "business-api.tiktok.com"
    assert first.url.path == "/open_api/v1.3/report/integrated/get/"
    assert first.headers["access-token"] == "tiktok-long-lived-token"
    assert "authorization" not in first.headers
    assert dict(first.url.params) == {
        "advertiser_id": "7012345678901234567",
        "report_type": "BASIC",
        "data_level": "AUCTION_AD",
        "dimensions": '["ad_id", "stat_time_day"]',
        "metrics": json.dumps(list(REPORT_METRICS)),
        "start_date": "2025-03-01",
        "end_date": "2025-03-07",
        "page": "1",
        "page_size": "1000",
    }
    assert dict(second.url.params)["page"] == "2"
    assert [c.state for c in checkpoints] == [
        {"advertiser_index": 0, "page": 2}, {"advertiser_index": 1, "page": 1},
    ]
    data = records[0].data
    assert data["date"] == "2025-03-01"
    assert data["platform"] == "tiktok"
    assert data["spend"] == 120.5
    assert data["revenue"] == 980.0
    assert data["video_views"] == 21000
    assert data["ad_set_name"] == "Broad"


@pytest.mark.parametrize(
    ("code", "message", "kind"),
    [
        (40105, "The access token is invalid or has been revoked.",
         ConnectorErrorKind.expired_token),
        (40102, "Access token has expired.", ConnectorErrorKind.expired_token),
        (40001, "No permission to operate advertiser.", ConnectorErrorKind.missing_scope),
        (40002, "start_date: Not a valid date.", ConnectorErrorKind.invalid_request),
    ],
)
async def test_code_envelope_errors_on_http_200(
    code: int, message: str, kind: ConnectorErrorKind
) -> None:
    recorder = Recorder([json_response(200, envelope(code, message))])
    connector = make_connector(TikTokAdsConnector, recorder, config=CONFIG, credentials=TOKEN)
    with pytest.raises(ConnectorError) as caught:
        await read_all(connector, connector.streams()[0], WINDOW)
    assert caught.value.kind is kind
    assert caught.value.provider_code == str(code)
    assert len(recorder.requests) == 1


async def test_rate_limit_and_server_error_are_retried() -> None:
    recorder = Recorder([
        json_response(200, envelope(40100, "Too many requests. Please retry in some time.")),
        json_response(200, envelope(50000, "System error")),
        json_response(200, page(1, 1, [])),
    ])
    connector = make_connector(TikTokAdsConnector, recorder, config=CONFIG, credentials=TOKEN)
    records, _ = await read_all(connector, connector.streams()[0], WINDOW)
    assert records == []
    assert len(recorder.requests) == 3


async def test_check_reads_advertiser_info() -> None:
    recorder = Recorder([json_response(200, envelope(0, "OK", {"list": [
        {"advertiser_id": "7012345678901234567", "name": "Acme TikTok", "status": "STATUS_ENABLE"}
    ]}))])
    connector = make_connector(TikTokAdsConnector, recorder, config=CONFIG, credentials=TOKEN)
    result = await connector.check()
    [request] = recorder.requests
    assert request.url.path == "/open_api/v1.3/advertiser/info/"
    assert dict(request.url.params) == {"advertiser_ids": '["7012345678901234567"]'}
    assert result.ok
