"""Shopify Admin REST contract: the exact requests and the parsing of recorded responses."""

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
from brain.integrations.providers.shopify import (
    classify_shopify,
    next_link,
    normalise_order,
    order_row,
    shop_domain,
)
from tests.integrations.providers.recorded import (
    Replay,
    Sleeps,
    collect,
    contract_connector,
    fixture,
    recorded,
)

SHOP = "brain-demo.myshopify.com"
CONFIG = {"shop": SHOP}
TOKEN = "shpat_0123456789abcdef"
MARCH = SyncWindow(date(2024, 3, 1), date(2024, 3, 31))
ORDERS_URL = f"https://{SHOP}/admin/api/2024-10/orders.json"


def shopify(replay: Replay, sleeps: Sleeps | None = None) -> Connector:
    return contract_connector(
        "shopify", replay, config=CONFIG, credentials=Credentials(api_key=TOKEN), sleeps=sleeps
    )


async def test_orders_first_page_request_is_pinned_and_link_pages_are_followed() -> None:
    replay = Replay(recorded("shopify", "orders_page1"), recorded("shopify", "orders_page2"))
    records, checkpoints = await collect(shopify(replay), "orders", None, MARCH)

    first, second = replay.requests
    assert first.method == "GET"
    assert str(first.url).split("?")[0] == ORDERS_URL
    assert replay.query(0) == {
        "status": "any",
        "updated_at_min": "2024-03-01T00:00:00Z",
        "updated_at_max": "2024-03-31T23:59:59Z",
        "limit": "250",
    }
    assert first.headers["X-Shopify-Access-Token"] == TOKEN
    assert "authorization" not in first.headers
    assert first.headers["accept"] == "application/json"
    assert first.content == b""
    # The next page is the Link header's URL exactly: page_info and limit, no filters.
    link = fixture("shopify", "orders_page1")["headers"]["Link"]
    assert str(second.url) == link[1 : link.index(">")]
    assert set(replay.query(1)) == {"limit", "page_info"}
    assert second.headers["X-Shopify-Access-Token"] == TOKEN

    assert [r.data["id"] for r in records] == ["450789469", "450789470", "450789471"]
    first_order = records[0].data
    assert first_order["total_price"] == 598.94
    assert first_order["customer_id"] == "207119551"
    assert first_order["utm_source"] == "facebook"
    assert first_order["processed_at"] == "2024-03-01T09:12:44-05:00"
    assert records[1].data["utm_source"] is None
    assert records[2].data["cancelled_at"] == "2024-03-03T08:00:00-05:00"
    assert [c.state for c in checkpoints] == [
        {"page_url": str(second.url)},
        {"done": True},
    ]


async def test_a_read_resumes_at_the_checkpointed_page() -> None:
    link = fixture("shopify", "orders_page1")["headers"]["Link"]
    page_url = link[1 : link.index(">")]
    replay = Replay(recorded("shopify", "orders_page2"))
    records, checkpoints = await collect(
        shopify(replay), "orders", {"page_url": page_url}, MARCH
    )
    assert [str(r.url) for r in replay.requests] == [page_url]
    assert [r.data["id"] for r in records] == ["450789471"]
    assert checkpoints[-1].state == {"done": True}
    done, _ = await collect(shopify(Replay()), "orders", {"done": True}, MARCH)
    assert done == []


async def test_a_stale_page_info_restarts_the_window() -> None:
    replay = Replay(recorded("shopify", "error_400_bad_param"), recorded("shopify", "orders_page2"))
    stale = {"page_url": ORDERS_URL + "?limit=2&page_info=stale"}
    records, _ = await collect(shopify(replay), "orders", stale, MARCH)
    assert replay.query(1)["updated_at_min"] == "2024-03-01T00:00:00Z"
    assert len(records) == 1


async def test_customers_request_and_parsing() -> None:
    replay = Replay(recorded("shopify", "customers_page1"))
    records, checkpoints = await collect(shopify(replay), "customers", None, MARCH)
    request = replay.requests[0]
    assert str(request.url).split("?")[0] == f"https://{SHOP}/admin/api/2024-10/customers.json"
    assert replay.query(0) == {
        "updated_at_min": "2024-03-01T00:00:00Z",
        "updated_at_max": "2024-03-31T23:59:59Z",
        "limit": "250",
    }
    assert [(r.data["id"], r.data["email"]) for r in records] == [
        ("207119551", "bob.norman@mail.example.com"),
        ("207119553", None),
    ]
    assert checkpoints[-1].state == {"done": True}


async def test_check_reports_the_scope_the_token_lacks() -> None:
    replay = Replay(recorded("shopify", "access_scopes"))
    result = await shopify(replay).check()
    assert str(replay.requests[0].url) == f"https://{SHOP}/admin/oauth/access_scopes.json"
    assert replay.requests[0].headers["X-Shopify-Access-Token"] == TOKEN
    assert result.missing_scopes == ["read_customers"]
    assert not result.ok


async def test_invalid_token_needs_reauth() -> None:
    replay = Replay(recorded("shopify", "error_401_invalid_token"))
    with pytest.raises(ConnectorError) as caught:
        await collect(shopify(replay), "orders", None, MARCH)
    assert caught.value.kind is ConnectorErrorKind.invalid_credentials
    assert caught.value.needs_reauth
    assert "Invalid API key or access token" in caught.value.message
    assert len(replay.requests) == 1  # never retried


async def test_missing_scope_names_the_scope() -> None:
    replay = Replay(recorded("shopify", "error_403_missing_scope"))
    with pytest.raises(ConnectorError) as caught:
        await collect(shopify(replay), "customers", None, MARCH)
    assert caught.value.kind is ConnectorErrorKind.missing_scope
    assert caught.value.missing_scopes == ["read_customers"]


async def test_rate_limit_waits_retry_after_then_succeeds() -> None:
    sleeps = Sleeps()
    replay = Replay(recorded("shopify", "error_429_rate_limited"),
                    recorded("shopify", "customers_page1"))
    records, _ = await collect(shopify(replay, sleeps), "customers", None, MARCH)
    assert len(records) == 2
    assert len(replay.requests) == 2
    assert str(replay.requests[0].url) == str(replay.requests[1].url)
    assert sleeps.waits
    assert sleeps.waits[0] >= 2.0


def test_classifier_reads_the_errors_envelope() -> None:
    error = classify_shopify(recorded("shopify", "error_429_rate_limited"))
    assert error is not None
    assert error.kind is ConnectorErrorKind.rate_limited
    assert error.retry_after == 2.0
    assert error.retryable
    bad = classify_shopify(recorded("shopify", "error_400_bad_param"))
    assert bad is not None
    assert bad.kind is ConnectorErrorKind.invalid_request
    assert bad.message == "page_info: Invalid value."
    assert classify_shopify(recorded("shopify", "orders_page1")) is None


def test_link_header_and_order_mapping() -> None:
    assert next_link(recorded("shopify", "orders_page2")) is None  # only rel="previous"
    assert next_link(recorded("shopify", "orders_page1")) is not None
    orders = fixture("shopify", "orders_page1")["body"]["orders"]
    row = order_row(normalise_order(orders[0]))
    assert row.external_id == "shopify:450789469"
    assert row.customer_external_id == "shopify:207119551"
    assert row.order_date == date(2024, 3, 1)  # the shop's local day
    assert row.revenue == 598.94
    assert row.source_platform == "meta"
    assert not row.deleted
    cancelled = fixture("shopify", "orders_page2")["body"]["orders"][0]
    assert order_row(normalise_order(cancelled)).deleted


def test_shop_domain_is_validated() -> None:
    assert shop_domain({"shop": "https://Brain-Demo.myshopify.com/"}) == SHOP
    for bad in ("evil.example.com", "a.myshopify.com.evil.io", "", "127.0.0.1"):
        with pytest.raises(ConnectorError):
            shop_domain({"shop": bad})
