"""Meta Marketing API contract: the exact insights requests, doc-shaped responses and errors."""

from __future__ import annotations

import json
from datetime import date

import pytest

from brain.integrations.base import ConnectorError, ConnectorErrorKind, Credentials, SyncWindow
from brain.integrations.providers.meta_ads import INSIGHT_FIELDS, MetaAdsConnector
from tests.integrations.providers.contract import (
    Recorder,
    json_response,
    make_connector,
    read_all,
)

CONFIG = {"ad_account_ids": ["act_1234567890"]}
TOKEN = Credentials(access_token="EAAB-meta-token")
WINDOW = SyncWindow(start_date=date(2025, 3, 1), end_date=date(2025, 3, 7))


def insight(day: str, ad_id: str, spend: str) -> dict[str, object]:
    # Shaped as the Ads Insights docs show: numbers as strings, actions as typed lists.
    return {
        "account_id": "1234567890",
        "account_name": "Acme Ads",
        "campaign_id": "23850000000000001",
        "campaign_name": "Prospecting",
        "objective": "OUTCOME_SALES",
        "adset_id": "23850000000000002",
        "adset_name": "Broad 25-44",
        "ad_id": ad_id,
        "ad_name": f"Ad {ad_id}",
        "impressions": "361324",
        "clicks": "4210",
        "spend": spend,
        "frequency": "1.7",
        "actions": [
            {"action_type": "link_click", "value": "4210"},
            {"action_type": "offsite_conversion.fb_pixel_purchase", "value": "31"},
            {"action_type": "purchase", "value": "31"},
        ],
        "action_values": [{"action_type": "purchase", "value": "2480.5"}],
        "date_start": day,
        "date_stop": day,
    }


async def test_insights_request_paging_and_mapping() -> None:
    page1 = json_response(200, {
        "data": [insight("2025-03-01", "1001", "5339.5")],
        "paging": {"cursors": {"before": "MAZDZD", "after": "MQZDZD"},
                   "next": "https://graph.facebook.com/v21.0/act_1234567890/insights?after=MQZDZD"},
    })
    page2 = json_response(200, {
        "data": [insight("2025-03-02", "1002", "12.25")],
        "paging": {"cursors": {"before": "MQZDZD", "after": "MgZDZD"}},
    })
    recorder = Recorder([page1, page2])
    connector = make_connector(MetaAdsConnector, recorder, config=CONFIG, credentials=TOKEN)
    records, checkpoints = await read_all(connector, connector.streams()[0], WINDOW)

    first, second = recorder.requests
    assert first.method == "GET"
    assert first.url.host == "graph.facebook.com"
    assert first.url.path == "/v21.0/act_1234567890/insights"
    params = dict(first.url.params)
    assert params == {
        "level": "ad",
        "time_increment": "1",
        "time_range": '{"since":"2025-03-01","until":"2025-03-07"}',
        "fields": ",".join(INSIGHT_FIELDS),
        "limit": "500",
    }
    assert first.headers["authorization"] == "Bearer EAAB-meta-token"
    assert "access_token" not in first.url.params  # the token never goes into URLs
    assert dict(second.url.params)["after"] == "MQZDZD"

    assert [c.state for c in checkpoints] == [
        {"account_index": 0, "after": "MQZDZD"},
        {"account_index": 1, "after": None},
    ]
    data = records[0].data
    assert data["date"] == "2025-03-01"
    assert data["platform"] == "meta"
    assert data["account_id"] == "act_1234567890"
    assert data["campaign_name"] == "Prospecting"
    assert data["ad_set_name"] == "Broad 25-44"
    assert data["impressions"] == 361324
    assert data["spend"] == 5339.5
    assert data["conversions"] == 31.0  # purchase counted once, not per overlapping type
    assert data["revenue"] == 2480.5
    assert data["objective"] == "outcome_sales"


async def test_resume_from_checkpoint_sends_the_cursor() -> None:
    recorder = Recorder([json_response(200, {"data": [], "paging": {"cursors": {}}})])
    connector = make_connector(MetaAdsConnector, recorder, config=CONFIG, credentials=TOKEN)
    await read_all(connector, connector.streams()[0], WINDOW,
                   state={"account_index": 0, "after": "QVFIUk"})
    assert dict(recorder.requests[0].url.params)["after"] == "QVFIUk"


@pytest.mark.parametrize(
    ("status", "error", "kind"),
    [
        (400, {"message": "Error validating access token: Session has expired on Tuesday.",
               "type": "OAuthException", "code": 190, "error_subcode": 463,
               "fbtrace_id": "EJplcsCHuLu"}, ConnectorErrorKind.expired_token),
        (403, {"message": "(#200) Requires ads_read permission", "type": "OAuthException",
               "code": 200, "fbtrace_id": "AbC"}, ConnectorErrorKind.missing_scope),
        (400, {"message": "(#100) Invalid parameter", "type": "OAuthException", "code": 100,
               "fbtrace_id": "AbC"}, ConnectorErrorKind.invalid_request),
    ],
)
async def test_error_envelope_is_classified(
    status: int, error: dict[str, object], kind: ConnectorErrorKind
) -> None:
    recorder = Recorder([json_response(status, {"error": error})])
    connector = make_connector(MetaAdsConnector, recorder, config=CONFIG, credentials=TOKEN)
    with pytest.raises(ConnectorError) as caught:
        await read_all(connector, connector.streams()[0], WINDOW)
    assert caught.value.kind is kind
    assert len(recorder.requests) == 1  # not retried


async def test_throttling_is_retried_after_the_business_use_case_wait() -> None:
    usage = {"1234567890": [{"type": "ads_insights", "call_count": 100,
                             "total_cputime": 30, "total_time": 40,
                             "estimated_time_to_regain_access": 1}]}
    throttled = json_response(
        400, {"error": {"message": "User request limit reached", "type": "OAuthException",
                        "code": 17, "fbtrace_id": "x"}},
        headers={"X-Business-Use-Case-Usage": json.dumps(usage)},
    )
    recorder = Recorder([throttled, json_response(200, {"data": []})])
    connector = make_connector(MetaAdsConnector, recorder, config=CONFIG, credentials=TOKEN)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    connector.http.sleep = sleep
    connector.http.retry = connector.http.retry.__class__(max_attempts=3, base_delay=0.0,
                                                          max_delay=0.0, max_retry_after=120)
    records, _ = await read_all(connector, connector.streams()[0], WINDOW)
    assert records == []
    assert waits == [60.0]  # one minute, as the header said
    assert len(recorder.requests) == 2


async def test_check_reports_missing_permission() -> None:
    recorder = Recorder([
        json_response(200, {"data": [{"permission": "public_profile", "status": "granted"},
                                     {"permission": "ads_read", "status": "declined"}]}),
        json_response(200, {"id": "act_1234567890", "name": "Acme Ads", "account_status": 1}),
    ])
    connector = make_connector(MetaAdsConnector, recorder, config=CONFIG, credentials=TOKEN)
    result = await connector.check()
    assert result.missing_scopes == ["ads_read"]
    assert not result.ok
    assert recorder.requests[0].url.path == "/v21.0/me/permissions"
    assert dict(recorder.requests[1].url.params) == {"fields": "name,account_status,currency"}
