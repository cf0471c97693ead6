"""Salesforce REST contract: SOQL query requests, nextRecordsUrl paging, error arrays."""

from __future__ import annotations

from datetime import date

import pytest

from brain.integrations.base import (
    Connector,
    ConnectorError,
    ConnectorErrorKind,
    Credentials,
    SyncWindow,
)
from brain.integrations.crm import salesforce_lead
from brain.integrations.providers.salesforce import (
    classify_salesforce,
    normalise,
    opportunity_row,
    soql,
)
from tests.integrations.providers.recorded import (
    Replay,
    Sleeps,
    collect,
    contract_connector,
    fixture,
    recorded,
)

INSTANCE = "https://brain-demo.my.salesforce.com"
MARCH = SyncWindow(date(2024, 3, 1), date(2024, 3, 31))
LEAD_QUERY = (
    "SELECT Id, Email, FirstName, LastName, Company, Status, LeadSource, IsConverted, "
    "ConvertedDate, ConvertedAccountId, CreatedDate, SystemModstamp FROM Lead "
    "WHERE SystemModstamp >= 2024-03-01T00:00:00Z AND SystemModstamp <= 2024-03-31T23:59:59Z "
    "ORDER BY SystemModstamp ASC"
)


def salesforce(replay: Replay, sleeps: Sleeps | None = None, *,
               config: dict[str, str] | None = None,
               credentials: Credentials | None = None) -> Connector:
    return contract_connector(
        "salesforce", replay, config={"instance_url": INSTANCE} if config is None else config,
        credentials=credentials or Credentials(access_token="00D5e000000AbCd!AQ0AQ.token"),
        sleeps=sleeps,
    )


async def test_query_request_is_pinned_and_next_records_url_followed() -> None:
    replay = Replay(recorded("salesforce", "query_leads_page1"),
                    recorded("salesforce", "query_leads_page2"))
    records, checkpoints = await collect(salesforce(replay), "leads", None, MARCH)
    first, second = replay.requests
    assert first.method == "GET"
    assert first.url.path == "/services/data/v59.0/query"
    assert first.url.host == "brain-demo.my.salesforce.com"
    assert replay.query(0) == {"q": LEAD_QUERY}
    assert soql("Lead", MARCH) == LEAD_QUERY
    assert first.headers["authorization"] == "Bearer 00D5e000000AbCd!AQ0AQ.token"
    assert str(second.url) == f"{INSTANCE}/services/data/v59.0/query/01gD0000002HU6KIAW-2"
    assert replay.query(1) == {}
    assert [r.data["Id"] for r in records] == [
        "00Q5e00000AbCdEEA1", "00Q5e00000AbCdFEA1", "00Q5e00000AbCdGEA1"]
    assert "attributes" not in records[0].data
    assert records[1].data["IsConverted"] is True
    # The lifecycle rows: an open lead, and one converted into its account.
    open_lead, converted = (salesforce_lead(r.data) for r in records[:2])
    assert (open_lead.stage, open_lead.funnel_stage) == ("Open - Not Contacted", "lead")
    assert (converted.funnel_stage, converted.related_external_id) == ("sql",
                                                                       "0015e00000XyZaBAAV")
    assert converted.stage_dates == {"lead": "2024-02-11T09:30:00+00:00",
                                     "sql": "2024-03-01T00:00:00+00:00"}
    assert [c.state for c in checkpoints] == [
        {"next": "/services/data/v59.0/query/01gD0000002HU6KIAW-2"}, {"done": True}]


async def test_resume_follows_the_stored_locator_and_restarts_an_expired_one() -> None:
    replay = Replay(recorded("salesforce", "error_400_invalid_query_locator"),
                    recorded("salesforce", "query_leads_page1"),
                    recorded("salesforce", "query_leads_page2"))
    state = {"next": "/services/data/v59.0/query/01gD0000002HU6KIAW-2"}
    records, _ = await collect(salesforce(replay), "leads", state, MARCH)
    assert replay.requests[0].url.path == "/services/data/v59.0/query/01gD0000002HU6KIAW-2"
    assert replay.query(1) == {"q": LEAD_QUERY}
    assert len(records) == 3


async def test_instance_url_from_the_token_response_in_the_credentials() -> None:
    replay = Replay(recorded("salesforce", "query_campaigns"))
    token = fixture("salesforce", "oauth_token_refresh")["body"]
    credentials = Credentials(access_token=token["access_token"],
                              extra={"instance_url": token["instance_url"]})
    records, _ = await collect(salesforce(replay, config={}, credentials=credentials),
                               "campaigns", None, MARCH)
    assert replay.requests[0].url.host == "brain-demo.my.salesforce.com"
    assert replay.query(0)["q"].startswith("SELECT Id, Name, Type, Status, StartDate, EndDate")
    assert records[0].data["Name"] == "Spring Webinar"
    with pytest.raises(ConnectorError) as caught:
        await collect(salesforce(Replay(), config={"instance_url": "https://evil.example.com"}),
                      "leads", None, MARCH)
    assert caught.value.kind is ConnectorErrorKind.invalid_request


async def test_expired_session_is_not_retried() -> None:
    replay = Replay(recorded("salesforce", "error_401_invalid_session"))
    with pytest.raises(ConnectorError) as caught:
        await collect(salesforce(replay), "leads", None, MARCH)
    assert caught.value.kind is ConnectorErrorKind.expired_token
    assert caught.value.provider_code == "INVALID_SESSION_ID"
    assert len(replay.requests) == 1


async def test_daily_api_limit_is_handed_to_the_engine_and_outages_are_retried() -> None:
    sleeps = Sleeps()
    replay = Replay(recorded("salesforce", "error_403_request_limit"))
    with pytest.raises(ConnectorError) as caught:
        await collect(salesforce(replay, sleeps), "opportunities", None, MARCH)
    assert caught.value.kind is ConnectorErrorKind.rate_limited
    assert caught.value.retry_after == 3600.0
    assert sleeps.waits == []
    replay = Replay(recorded("salesforce", "error_503_unavailable"),
                    recorded("salesforce", "query_opportunities"))
    records, _ = await collect(salesforce(replay, sleeps), "opportunities", None, MARCH)
    assert len(records) == 2
    assert len(sleeps.waits) == 1


async def test_check_reports_objects_the_user_cannot_read() -> None:
    replay = Replay(recorded("salesforce", "query_leads_page2"),
                    recorded("salesforce", "error_400_invalid_type"),
                    recorded("salesforce", "query_campaigns"))
    result = await salesforce(replay).check()
    assert [dict(r.url.params)["q"] for r in replay.requests] == [
        "SELECT Id FROM Lead LIMIT 1", "SELECT Id FROM Opportunity LIMIT 1",
        "SELECT Id FROM Campaign LIMIT 1"]
    assert [(c.name, c.ok) for c in result.checks] == [
        ("credentials", True), ("read Lead", True), ("read Opportunity", False),
        ("read Campaign", True)]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("error_401_invalid_session", ConnectorErrorKind.expired_token),
        ("error_403_request_limit", ConnectorErrorKind.rate_limited),
        ("error_403_insufficient_access", ConnectorErrorKind.missing_scope),
        ("error_403_api_disabled", ConnectorErrorKind.missing_scope),
        ("error_400_invalid_type", ConnectorErrorKind.missing_scope),
        ("error_400_invalid_query_locator", ConnectorErrorKind.invalid_request),
        ("error_503_unavailable", ConnectorErrorKind.provider_unavailable),
    ],
)
def test_error_codes(name: str, kind: ConnectorErrorKind) -> None:
    error = classify_salesforce(recorded("salesforce", name))
    assert error is not None
    assert error.kind is kind
    assert error.provider_code == fixture("salesforce", name)["body"][0]["errorCode"]


def test_opportunity_mapping() -> None:
    won, open_one = (normalise("Opportunity", r)
                     for r in fixture("salesforce", "query_opportunities")["body"]["records"])
    row = opportunity_row(won)
    assert row.external_id == "salesforce:opportunity:0065e00000XyZ01AAB"
    assert row.customer_external_id == "salesforce:account:0015e00000AcC01AAB"
    assert row.order_date == date(2024, 3, 1)
    assert row.revenue == 598.94
    assert opportunity_row(open_one).deleted


async def test_without_instance_url_the_org_host_comes_from_userinfo() -> None:
    replay = Replay(recorded("salesforce", "userinfo"), recorded("salesforce", "query_campaigns"))
    records, _ = await collect(salesforce(replay, config={}), "campaigns", None, MARCH)
    userinfo, query = replay.requests
    assert userinfo.method == "GET"
    assert str(userinfo.url) == "https://login.salesforce.com/services/oauth2/userinfo"
    assert userinfo.headers["authorization"] == "Bearer 00D5e000000AbCd!AQ0AQ.token"
    assert str(query.url).startswith(f"{INSTANCE}/services/data/v59.0/query?q=SELECT")
    assert len(records) == 1
