"""HubSpot CRM v3 contract: list, search and association requests; recorded responses."""

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
from brain.integrations.crm import hubspot_contact, hubspot_deal
from brain.integrations.providers.hubspot import classify_hubspot, deal_row, normalise
from tests.integrations.providers.recorded import (
    Replay,
    Sleeps,
    collect,
    contract_connector,
    fixture,
    recorded,
)

TOKEN = "pat-na1-00000000-0000-0000-0000-000000000000"
MARCH = SyncWindow(date(2024, 3, 1), date(2024, 3, 31))
MARCH_FROM_MS = "1709251200000"  # 2024-03-01T00:00:00.000Z
MARCH_TO_MS = "1711929599999"  # 2024-03-31T23:59:59.999Z


def hubspot(replay: Replay, sleeps: Sleeps | None = None) -> Connector:
    return contract_connector("hubspot", replay, credentials=Credentials(api_key=TOKEN),
                              sleeps=sleeps)


def search_body(prop: str, properties: list[str], after: str | None) -> dict[str, object]:
    body: dict[str, object] = {
        "filterGroups": [{"filters": [
            {"propertyName": prop, "operator": "GTE", "value": MARCH_FROM_MS},
            {"propertyName": prop, "operator": "LTE", "value": MARCH_TO_MS},
        ]}],
        "sorts": [{"propertyName": prop, "direction": "ASCENDING"}],
        "properties": properties,
        "limit": 200,
    }
    if after is not None:
        body["after"] = after
    return body


CONTACT_PROPS = ["email", "firstname", "lastname", "lifecyclestage", "createdate",
                 "lastmodifieddate", "hs_lifecyclestage_subscriber_date",
                 "hs_lifecyclestage_lead_date", "hs_lifecyclestage_marketingqualifiedlead_date",
                 "hs_lifecyclestage_salesqualifiedlead_date",
                 "hs_lifecyclestage_opportunity_date", "hs_lifecyclestage_customer_date"]
DEAL_PROPS = ["dealname", "amount", "dealstage", "pipeline", "closedate", "createdate",
              "hs_lastmodifieddate", "hs_is_closed_won", "hs_is_closed", "deal_currency_code"]


async def test_contacts_search_request_is_pinned_and_after_cursor_followed() -> None:
    replay = Replay(recorded("hubspot", "contacts_search_page1"),
                    recorded("hubspot", "contacts_search_page2"))
    records, checkpoints = await collect(hubspot(replay), "contacts", None, MARCH)
    for index, after in ((0, None), (1, "1")):
        request = replay.requests[index]
        assert request.method == "POST"
        assert str(request.url) == "https://api.hubapi.com/crm/v3/objects/contacts/search"
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert replay.json_body(index) == search_body("lastmodifieddate", CONTACT_PROPS, after)
    assert [(r.data["id"], r.data["lifecyclestage"]) for r in records] == [
        ("52", "customer"), ("54", "lead")]
    customer = hubspot_contact(records[0].data)
    assert (customer.funnel_stage, customer.email) == ("customer", "ada.lee@mail.example.com")
    assert customer.stage_dates == {"lead": "2024-02-11T09:30:00+00:00",
                                    "customer": "2024-03-02T11:00:00+00:00"}
    assert [c.state for c in checkpoints] == [
        {"lower": MARCH_FROM_MS, "after": "1"}, {"done": True}]


async def test_deals_search_then_batch_reads_their_contacts() -> None:
    replay = Replay(recorded("hubspot", "deals_search_page1"),
                    recorded("hubspot", "deal_contacts_batch"))
    records, _ = await collect(hubspot(replay), "deals", None, MARCH)
    assert replay.json_body(0) == search_body("hs_lastmodifieddate", DEAL_PROPS, None)
    association = replay.requests[1]
    assert association.method == "POST"
    assert str(association.url) == (
        "https://api.hubapi.com/crm/v4/associations/deals/contacts/batch/read")
    assert replay.json_body(1) == {"inputs": [{"id": "9002"}]}
    [deal] = records
    assert deal.data["contact_id"] == "52"
    assert deal.data["amount"] == "1150"
    row = deal_row(deal.data)
    assert row.external_id == "hubspot:deal:9002"
    assert row.customer_external_id == "hubspot:contact:52"
    assert row.order_date == date(2024, 3, 3)
    assert row.revenue == 1150.0
    assert not row.deleted
    lifecycle = hubspot_deal(deal.data)
    assert (lifecycle.funnel_stage, lifecycle.amount, lifecycle.currency,
            lifecycle.related_external_id) == ("customer", 1150.0, "USD", "52")


async def test_resume_from_a_checkpoint_sends_its_cursor() -> None:
    replay = Replay(recorded("hubspot", "contacts_search_page2"))
    state = {"lower": MARCH_FROM_MS, "after": "1"}
    records, _ = await collect(hubspot(replay), "contacts", state, MARCH)
    assert replay.json_body(0)["after"] == "1"
    assert len(records) == 1


async def test_check_lists_objects_and_reports_missing_scopes() -> None:
    replay = Replay(recorded("hubspot", "contacts_page1"),
                    recorded("hubspot", "error_403_missing_scopes"))
    result = await hubspot(replay).check()
    contacts, deals = replay.requests
    assert contacts.method == "GET"
    assert contacts.url.path == "/crm/v3/objects/contacts"
    assert replay.query(0) == {"limit": "1", "properties": "email,lifecyclestage"}
    assert deals.url.path == "/crm/v3/objects/deals"
    assert replay.query(1) == {"limit": "1", "properties": "amount,dealstage",
                               "associations": "contacts"}
    assert result.missing_scopes == ["crm.objects.deals.read"]
    assert [c.ok for c in result.checks] == [True, True, False]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("error_401_expired", ConnectorErrorKind.expired_token),
        ("error_401_invalid", ConnectorErrorKind.invalid_credentials),
        ("error_403_missing_scopes", ConnectorErrorKind.missing_scope),
        ("error_429_rate_limited", ConnectorErrorKind.rate_limited),
        ("error_502", ConnectorErrorKind.provider_unavailable),
    ],
)
def test_error_categories(name: str, kind: ConnectorErrorKind) -> None:
    error = classify_hubspot(recorded("hubspot", name))
    assert error is not None
    assert error.kind is kind


async def test_expired_token_stops_the_read_and_needs_reauth() -> None:
    replay = Replay(recorded("hubspot", "error_401_expired"))
    with pytest.raises(ConnectorError) as caught:
        await collect(hubspot(replay), "contacts", None, MARCH)
    assert caught.value.needs_reauth
    assert caught.value.provider_code == "EXPIRED_AUTHENTICATION"
    assert len(replay.requests) == 1


async def test_rate_limit_and_gateway_errors_are_retried() -> None:
    sleeps = Sleeps()
    replay = Replay(recorded("hubspot", "error_429_rate_limited"), recorded("hubspot", "error_502"),
                    recorded("hubspot", "contacts_search_page2"))
    records, _ = await collect(hubspot(replay, sleeps), "contacts", None, MARCH)
    assert len(records) == 1
    assert len(sleeps.waits) == 2
    assert replay.json_body(0) == replay.json_body(2)


def test_list_response_associations_and_lost_deals() -> None:
    deals = fixture("hubspot", "deals_page1")["body"]["results"]
    won, open_deal = (normalise("deals", d) for d in deals)
    assert won["contact_id"] == "51"
    assert deal_row(won).revenue == 598.94
    assert deal_row(open_deal).deleted
    contacts = fixture("hubspot", "contacts_page1")["body"]
    assert contacts["paging"]["next"]["after"] == "53"
    assert normalise("contacts", contacts["results"][0])["email"] == "bob.norman@mail.example.com"


async def test_the_10000_result_ceiling_restarts_from_the_last_modification_seen() -> None:
    near_ceiling = recorded("hubspot", "contacts_search_page1")
    body = fixture("hubspot", "contacts_search_page1")["body"]
    body["paging"]["next"]["after"] = "9950"
    near_ceiling = type(near_ceiling)(200, json=body)
    replay = Replay(near_ceiling, recorded("hubspot", "contacts_search_page2"))
    records, checkpoints = await collect(hubspot(replay), "contacts", None, MARCH)
    last_modified_ms = "1709377200000"  # 2024-03-02T11:00:00.000Z, the page's last contact
    assert checkpoints[0].state == {"lower": last_modified_ms, "after": None}
    restarted = replay.json_body(1)
    assert "after" not in restarted
    assert restarted["filterGroups"][0]["filters"][0]["value"] == last_modified_ms
    assert len(records) == 2
