"""Shopify Admin REST API connector: orders and customers into `orders` / `customers`.

Documented behaviour this relies on (Admin REST API, version pinned in `API_VERSION`):

* `GET /admin/api/{version}/orders.json?status=any&updated_at_min=…&updated_at_max=…&limit=250`
  and `customers.json` with the same filters; authentication is the `X-Shopify-Access-Token`
  header (a custom app's Admin API access token, scopes `read_orders`, `read_customers`);
* cursor paging: the next page is the `rel="next"` URL of the `Link` header, carrying
  `page_info` (the filters are encoded in it, so the URL is followed as is);
* errors are `{"errors": …}` (a string, a list or a field map): 401 bad token, 403 scope not
  granted ("requires merchant approval for read_orders scope"), 429 with `Retry-After`;
* `GET /admin/oauth/access_scopes.json` lists the scopes the token holds.

A read covers the rows *updated* within the engine's date window (`updated_at_min` at the
window's first second, `updated_at_max` at its last), so backfill chunks and delta windows
both select by the cursor field. Each page is a checkpoint holding the next page's URL (and
`{"done": true}` after the last page): a killed run resumes at the page after the last
committed one. A stale `page_info` (400) restarts the window; upserts absorb the overlap.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from brain.integrations.base import (
    AuthMethod,
    CheckResult,
    Connector,
    ConnectorContext,
    ConnectorError,
    ConnectorErrorKind,
    Credentials,
    Message,
    Record,
    Spec,
    StateCheckpoint,
    Stream,
    SyncMode,
    SyncWindow,
)
from brain.integrations.http import classify_status, decode_json, parse_retry_after
from brain.integrations.loaders import job_auth
from brain.integrations.providers.commerce import (
    CommerceLoader,
    CustomerRow,
    OrderRow,
    platform_of_source,
    utm_source,
)
from brain.integrations.registry import register
from brain.integrations.sandbox.shopify import shopify_sandbox

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from brain.settings import Settings

PROVIDER = "shopify"
API_VERSION = "2024-10"
PAGE_LIMIT = 250
SCOPES = ("read_orders", "read_customers")
SHOP_PATTERN = r"^[a-z0-9][a-z0-9-]{0,60}\.myshopify\.com$"
SANDBOX_SHOP = "brain-sandbox.myshopify.com"
# Shopify's REST bucket: 40 requests, leaking 2 per second (standard plans).
RATE_PER_SECOND = 2.0
BURST = 40

ORDERS = Stream(
    name="orders",
    primary_key=("id",),
    cursor_field="updated_at",
    modes=(SyncMode.full_refresh, SyncMode.incremental),
    description="Orders of every status (cancelled ones are removed from the warehouse).",
)
CUSTOMERS = Stream(
    name="customers",
    primary_key=("id",),
    cursor_field="updated_at",
    modes=(SyncMode.full_refresh, SyncMode.incremental),
    description="Customers with their e-mail.",
)

_SCOPE_IN_MESSAGE = re.compile(r"\b((?:read|write)_[a-z_]+)\b")
_LINK_PART = re.compile(r'<([^>]+)>\s*;\s*rel="?([a-z]+)"?')


def shop_domain(config: dict[str, Any]) -> str:
    """The shop's `*.myshopify.com` host from the connection config (validated)."""
    shop = str(config.get("shop") or "").strip().lower()
    shop = shop.removeprefix("https://").removeprefix("http://").rstrip("/")
    if not re.fullmatch(SHOP_PATTERN, shop):
        raise ConnectorError(
            ConnectorErrorKind.invalid_request,
            "config.shop must be the shop's myshopify.com domain",
            provider=PROVIDER,
        )
    return shop


def next_link(response: httpx.Response) -> str | None:
    """The `rel="next"` URL of the `Link` header, if any."""
    header = response.headers.get("link")
    if not header:
        return None
    for url, rel in _LINK_PART.findall(header):
        if rel == "next":
            return str(url)
    return None


def _error_text(body: Any) -> str:
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, str):
        return errors
    if isinstance(errors, list):
        return "; ".join(str(e) for e in errors)
    if isinstance(errors, dict):
        return "; ".join(
            f"{field}: {', '.join(map(str, msgs)) if isinstance(msgs, list) else msgs}"
            for field, msgs in errors.items()
        )
    return ""


def classify_shopify(response: httpx.Response) -> ConnectorError | None:
    """Shopify's error responses as `ConnectorError`s (None for a success)."""
    status = response.status_code
    if status < 400:
        return None
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    message = _error_text(body) or f"HTTP {status}"
    missing: list[str] = []
    if status == 401:
        kind = ConnectorErrorKind.invalid_credentials
    elif status == 403:
        kind = ConnectorErrorKind.missing_scope
        missing = _SCOPE_IN_MESSAGE.findall(message)
    elif status in (402, 423):  # shop frozen (unpaid) / locked
        kind = ConnectorErrorKind.invalid_request
    else:
        kind = classify_status(status)
    return ConnectorError(
        kind,
        message,
        provider=PROVIDER,
        status_code=status,
        retry_after=parse_retry_after(response.headers.get("retry-after")),
        missing_scopes=missing,
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def normalise_order(order: dict[str, Any]) -> dict[str, Any]:
    """The fields of a Shopify order the warehouse needs (JSON-serialisable)."""
    customer = order.get("customer") or {}
    price = order.get("current_total_price", order.get("total_price"))
    return {
        "id": str(order["id"]),
        "name": order.get("name"),
        "email": order.get("email") or customer.get("email"),
        "customer_id": str(customer["id"]) if customer.get("id") is not None else None,
        "processed_at": order.get("processed_at") or order.get("created_at"),
        "updated_at": order.get("updated_at"),
        "total_price": float(price or 0),
        "currency": order.get("currency"),
        "financial_status": order.get("financial_status"),
        "cancelled_at": order.get("cancelled_at"),
        "test": bool(order.get("test")),
        "utm_source": utm_source(order.get("landing_site")),
    }


def normalise_customer(customer: dict[str, Any]) -> dict[str, Any]:
    """The fields of a Shopify customer the warehouse needs."""
    return {
        "id": str(customer["id"]),
        "email": customer.get("email"),
        "created_at": customer.get("created_at"),
        "updated_at": customer.get("updated_at"),
        "state": customer.get("state"),
    }


def order_row(data: dict[str, Any]) -> OrderRow:
    """A normalised order as a warehouse order (cancelled/test orders are deletions)."""
    processed = _parse_time(data["processed_at"])
    customer_key = (
        f"{PROVIDER}:{data['customer_id']}"
        if data.get("customer_id")
        else f"{PROVIDER}:guest:{data['id']}"
    )
    return OrderRow(
        external_id=f"{PROVIDER}:{data['id']}",
        customer_external_id=customer_key,
        customer_email=data.get("email"),
        # The shop-local calendar day the merchant sees (the offset in the timestamp).
        order_date=processed.date() if processed else date.today(),
        revenue=float(data.get("total_price") or 0.0),
        source_platform=platform_of_source(data.get("utm_source")),
        deleted=bool(data.get("cancelled_at")) or bool(data.get("test")),
    )


class ShopifyConnector(Connector):
    """Orders and customers of one Shopify shop."""

    spec: ClassVar[Spec] = Spec(
        id=PROVIDER,
        name="Shopify",
        auth=AuthMethod.api_key,
        scopes=SCOPES,
        config_schema={
            "type": "object",
            "required": ["shop"],
            "properties": {
                "shop": {
                    "type": "string",
                    "pattern": SHOP_PATTERN,
                    "description": "The shop's domain, e.g. my-brand.myshopify.com",
                },
                "api_version": {"type": "string", "default": API_VERSION},
            },
        },
        docs_url="https://shopify.dev/docs/api/admin-rest",
    )
    rate_per_second: ClassVar[float] = RATE_PER_SECOND
    burst: ClassVar[int] = BURST
    max_chunk_days: ClassVar[int] = 31

    def __init__(self, context: ConnectorContext) -> None:
        super().__init__(context)
        self._loader = CommerceLoader(job_auth(context.organization_id, context.connection_id))

    @classmethod
    def classify(cls, response: httpx.Response) -> ConnectorError | None:
        return classify_shopify(response)

    @classmethod
    def base_url(cls, config: dict[str, Any]) -> str:
        # Requests use absolute URLs built from the validated shop (`root`); a config that
        # is not a shop domain must not break building the client, only the requests.
        return ""

    @classmethod
    def auth_headers(
        cls, credentials: Credentials, config: dict[str, Any], *, settings: Settings | None = None
    ) -> dict[str, str]:
        return {"X-Shopify-Access-Token": credentials.bearer, "Accept": "application/json"}

    @property
    def shop(self) -> str:
        config = self.context.config
        if self.context.sandbox and not config.get("shop"):
            return SANDBOX_SHOP
        return shop_domain(config)

    @property
    def root(self) -> str:
        """`https://{shop}/admin/api/{version}` of this connection."""
        version = str(self.context.config.get("api_version") or API_VERSION)
        return f"https://{self.shop}/admin/api/{version}"

    def streams(self) -> list[Stream]:
        return [ORDERS, CUSTOMERS]

    async def _get(self, url: str, params: dict[str, Any] | None = None) -> httpx.Response:
        return await self.http.request("GET", url, params=params)

    async def check(self) -> CheckResult:
        result = CheckResult()
        root, shop = self.root, self.shop
        try:
            response = await self._get(f"https://{shop}/admin/oauth/access_scopes.json")
        except ConnectorError as exc:
            result.add("credentials", False, exc.message)
            return result
        body = decode_json(response, PROVIDER)
        granted = [str(s.get("handle")) for s in body.get("access_scopes") or []]
        result.add("credentials", True, f"token accepted by {shop}")
        result.missing_scopes = self.missing_scopes(granted)
        result.add(
            "scopes",
            not result.missing_scopes,
            "missing: " + ", ".join(result.missing_scopes) if result.missing_scopes else "",
        )
        if not result.missing_scopes:
            try:
                await self._get(f"{root}/orders.json", {"status": "any", "limit": 1})
                result.add("sample read", True, "orders readable")
            except ConnectorError as exc:
                result.add("sample read", False, exc.message)
        return result

    def read(
        self, stream: Stream, state: dict[str, Any] | None, window: SyncWindow
    ) -> AsyncIterator[Message]:
        return self._read(stream, dict(state or {}), window)

    def _first_page(self, key: str, window: SyncWindow) -> tuple[str, dict[str, Any]]:
        params: dict[str, Any] = {"status": "any"} if key == "orders" else {}
        params.update(
            {
                "updated_at_min": _iso(datetime.combine(window.start_date, time(0), tzinfo=UTC)),
                "updated_at_max": _iso(
                    datetime.combine(window.end_date, time(23, 59, 59), tzinfo=UTC)
                ),
                "limit": PAGE_LIMIT,
            }
        )
        return f"{self.root}/{key}.json", params

    async def _read(
        self, stream: Stream, state: dict[str, Any], window: SyncWindow
    ) -> AsyncIterator[Message]:
        key = stream.name
        if key not in ("orders", "customers"):
            raise KeyError(key)
        if state.get("done"):
            return
        url: str | None
        params: dict[str, Any] | None
        if state.get("page_url"):
            url, params = str(state["page_url"]), None
        else:
            url, params = self._first_page(key, window)
        normalise = normalise_order if key == "orders" else normalise_customer
        while url is not None:
            try:
                response = await self._get(url, params)
            except ConnectorError as exc:
                if params is None and exc.kind is ConnectorErrorKind.invalid_request:
                    # A stale page_info: restart the window (upserts make the overlap harmless).
                    url, params = self._first_page(key, window)
                    continue
                raise
            body = decode_json(response, PROVIDER)
            for item in body.get(key) or []:
                yield Record(stream=key, data=normalise(item))
            url, params = next_link(response), None
            yield StateCheckpoint(
                stream=key, state={"page_url": url} if url else {"done": True}
            )

    async def write(
        self, session: AsyncSession, stream: Stream, records: Sequence[Record]
    ) -> int:
        if stream.name == "orders":
            return await self._loader.load_orders(
                session, [order_row(r.data) for r in records]
            )
        return await self._loader.load_customers(
            session,
            [CustomerRow(external_id=f"{PROVIDER}:{r.data['id']}", email=r.data.get("email"))
             for r in records],
        )



register(ShopifyConnector, sandbox=shopify_sandbox)
