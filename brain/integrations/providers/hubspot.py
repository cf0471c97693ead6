"""HubSpot CRM v3 connector: contacts (with lifecycle stage) and deals.

Documented behaviour this relies on:

* `GET /crm/v3/objects/{contacts|deals}?limit=…&properties=…[&after=…]` lists objects with
  `paging.next.after` as the cursor (`associations=contacts` adds a deal's contacts);
* `POST /crm/v3/objects/{object}/search` with `filterGroups` (filters AND-ed inside a group),
  `sorts`, `properties`, `limit` (≤ 200) and `after`; contacts' modification time is
  `lastmodifieddate`, deals' is `hs_lastmodifieddate` (epoch milliseconds accepted); a search
  pages through at most 10,000 results, so a long window restarts from the last value seen;
* `POST /crm/v4/associations/deals/contacts/batch/read` gives the contacts of many deals;
* private-app access token as `Authorization: Bearer`; errors are
  `{"status": "error", "message", "correlationId", "category", "errors": […]}` with
  categories EXPIRED_AUTHENTICATION / INVALID_AUTHENTICATION (401), MISSING_SCOPES (403,
  `errors[].context.requiredGranularScopes`) and RATE_LIMITS (429, `policyName`).

Reads select by modification time within the engine's window (search API, ascending), each
page a checkpoint. Every contact and deal lands in the CRM lifecycle table (`crm_records`:
lifecycle stage, stage dates, deal stage and amount). Contacts also become customers
(`hubspot:contact:{id}`); won deals (`hs_is_closed_won`) become orders of their first
contact, deals no longer won are removed. A sandbox connection writes no customers or
orders unless its config asks (`import_contacts`, `import_won_deals`): the simulated shop
already delivers the same people and orders, and the demo tenant must not count them twice.
"""

from __future__ import annotations

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
    Message,
    Record,
    Spec,
    StateCheckpoint,
    Stream,
    SyncMode,
    SyncWindow,
)
from brain.integrations.crm import (
    HUBSPOT_STAGE_DATE_PROPERTIES,
    CrmLoader,
    hubspot_contact,
    hubspot_deal,
)
from brain.integrations.http import classify_status, parse_retry_after
from brain.integrations.loaders import job_auth
from brain.integrations.providers.commerce import CommerceLoader, CustomerRow, OrderRow
from brain.integrations.registry import register
from brain.integrations.sandbox.hubspot import hubspot_sandbox

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

PROVIDER = "hubspot"
SCOPES = ("crm.objects.contacts.read", "crm.objects.deals.read")
SEARCH_LIMIT = 200  # the search API's maximum page size
SEARCH_WINDOW = 10_000  # the search API pages through at most this many results per query
CONTACT_PROPERTIES = ("email", "firstname", "lastname", "lifecyclestage", "createdate",
                      "lastmodifieddate", *HUBSPOT_STAGE_DATE_PROPERTIES)
DEAL_PROPERTIES = ("dealname", "amount", "dealstage", "pipeline", "closedate", "createdate",
                   "hs_lastmodifieddate", "hs_is_closed_won", "hs_is_closed",
                   "deal_currency_code")
MODIFIED = {"contacts": "lastmodifieddate", "deals": "hs_lastmodifieddate"}
PROPERTIES = {"contacts": CONTACT_PROPERTIES, "deals": DEAL_PROPERTIES}

CONTACTS = Stream(
    name="contacts",
    primary_key=("id",),
    cursor_field="lastmodifieddate",
    modes=(SyncMode.full_refresh, SyncMode.incremental),
    description="Contacts with e-mail and lifecycle stage",
)
DEALS = Stream(
    name="deals",
    primary_key=("id",),
    cursor_field="hs_lastmodifieddate",
    modes=(SyncMode.full_refresh, SyncMode.incremental),
    description="Deals with amount, stage, close date and their contact",
)

_CATEGORY_KINDS = {
    "EXPIRED_AUTHENTICATION": ConnectorErrorKind.expired_token,
    "INVALID_AUTHENTICATION": ConnectorErrorKind.invalid_credentials,
    "MISSING_SCOPES": ConnectorErrorKind.missing_scope,
    "RATE_LIMITS": ConnectorErrorKind.rate_limited,
    "VALIDATION_ERROR": ConnectorErrorKind.invalid_request,
    "OBJECT_NOT_FOUND": ConnectorErrorKind.not_found,
}


def classify_hubspot(response: httpx.Response) -> ConnectorError | None:
    """HubSpot's error body → `ConnectorError` (None for a success)."""
    status = response.status_code
    if status < 400:
        return None
    try:
        body: Any = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    category = str(body.get("category") or "")
    kind = _CATEGORY_KINDS.get(category) or classify_status(status)
    missing = [
        str(scope)
        for error in body.get("errors") or []
        if isinstance(error, dict)
        for scope in (error.get("context") or {}).get("requiredGranularScopes") or []
    ]
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    if kind is ConnectorErrorKind.rate_limited and body.get("policyName") == "DAILY":
        retry_after = 3600.0  # the daily budget: reschedule rather than wait in the request
    return ConnectorError(
        kind,
        str(body.get("message") or f"HTTP {status}"),
        provider=PROVIDER,
        status_code=status,
        retry_after=retry_after,
        missing_scopes=missing,
        provider_code=category or None,
    )


def _millis(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def search_body(
    object_type: str, lower_ms: str, upper_ms: str, after: str | None
) -> dict[str, Any]:
    """The search request of one page: modified within [lower, upper], oldest first."""
    modified = MODIFIED[object_type]
    body: dict[str, Any] = {
        "filterGroups": [
            {
                "filters": [
                    {"propertyName": modified, "operator": "GTE", "value": lower_ms},
                    {"propertyName": modified, "operator": "LTE", "value": upper_ms},
                ]
            }
        ],
        "sorts": [{"propertyName": modified, "direction": "ASCENDING"}],
        "properties": list(PROPERTIES[object_type]),
        "limit": SEARCH_LIMIT,
    }
    if after is not None:
        body["after"] = after
    return body


def _time_ms(value: Any) -> str | None:
    if not value:
        return None
    text = str(value)
    if text.isdigit():
        return text
    return _millis(datetime.fromisoformat(text.replace("Z", "+00:00")))


def normalise(object_type: str, item: dict[str, Any]) -> dict[str, Any]:
    """An object's id, properties and (deals) first associated contact."""
    properties = dict(item.get("properties") or {})
    data: dict[str, Any] = {"id": str(item["id"]), **{
        name: properties.get(name) for name in PROPERTIES[object_type]
    }}
    if object_type == "deals":
        contacts = ((item.get("associations") or {}).get("contacts") or {}).get("results") or []
        data["contact_id"] = str(contacts[0]["id"]) if contacts else None
    return data


def customer_row(data: dict[str, Any]) -> CustomerRow:
    return CustomerRow(external_id=f"{PROVIDER}:contact:{data['id']}", email=data.get("email"))


def deal_row(data: dict[str, Any]) -> OrderRow:
    """A deal as an order: won deals with a close date; any other deal is a removal."""
    won = str(data.get("hs_is_closed_won") or "").lower() == "true" or (
        data.get("hs_is_closed_won") is None and data.get("dealstage") == "closedwon"
    )
    external_id = f"{PROVIDER}:deal:{data['id']}"
    contact = data.get("contact_id")
    # A deal without a contact still needs a customer: one standing for the deal itself.
    customer = (
        f"{PROVIDER}:contact:{contact}" if contact else f"{PROVIDER}:deal-customer:{data['id']}"
    )
    close = data.get("closedate")
    if not won or not close:
        return OrderRow(external_id, customer, date.today(), 0.0, deleted=True)
    closed = datetime.fromisoformat(str(close).replace("Z", "+00:00"))
    return OrderRow(
        external_id=external_id,
        customer_external_id=customer,
        order_date=closed.date(),
        revenue=float(data.get("amount") or 0.0),
    )


class HubSpotConnector(Connector):
    """Contacts and deals of one HubSpot account (private app token)."""

    spec: ClassVar[Spec] = Spec(
        id=PROVIDER,
        name="HubSpot",
        auth=AuthMethod.api_key,
        scopes=SCOPES,
        config_schema={
            "type": "object",
            "properties": {
                "import_contacts": {"type": "boolean", "default": True,
                                    "description": "Write contacts as customers"},
                "import_won_deals": {"type": "boolean", "default": True,
                                     "description": "Write won deals as orders"},
            },
        },
        docs_url="https://developers.hubspot.com/docs/api/crm/understanding-the-crm",
    )
    api_root: ClassVar[str] = "https://api.hubapi.com/"
    # Search endpoints allow 5 requests per second per account.
    rate_per_second: ClassVar[float] = 4.0
    burst: ClassVar[int] = 5
    max_chunk_days: ClassVar[int] = 31

    def __init__(self, context: ConnectorContext) -> None:
        super().__init__(context)
        auth = job_auth(context.organization_id, context.connection_id)
        self._loader = CommerceLoader(auth)
        self._crm = CrmLoader(auth, context.connection_id)

    @classmethod
    def classify(cls, response: httpx.Response) -> ConnectorError | None:
        return classify_hubspot(response)

    def _enabled(self, option: str) -> bool:
        value = self.context.config.get(option)
        return bool(value) if value is not None else not self.context.sandbox

    def streams(self) -> list[Stream]:
        return [CONTACTS, DEALS]

    async def check(self) -> CheckResult:
        result = CheckResult()
        missing: list[str] = []
        probes: list[tuple[str, bool, str]] = []
        for object_type, params in (
            ("contacts", {"limit": 1, "properties": "email,lifecyclestage"}),
            ("deals", {"limit": 1, "properties": "amount,dealstage", "associations": "contacts"}),
        ):
            try:
                await self.http.get_json(f"crm/v3/objects/{object_type}", params=params)
            except ConnectorError as exc:
                if exc.needs_reauth:
                    result.add("credentials", False, exc.message)
                    return result
                missing.extend(exc.missing_scopes)
                probes.append((f"read {object_type}", False, exc.message))
            else:
                probes.append((f"read {object_type}", True, f"{object_type} readable"))
        result.add("credentials", True, "the token is accepted")
        for name, ok, detail in probes:
            result.add(name, ok, detail)
        result.missing_scopes = sorted(set(missing))
        return result

    def read(
        self, stream: Stream, state: dict[str, Any] | None, window: SyncWindow
    ) -> AsyncIterator[Message]:
        if stream.name not in MODIFIED:
            raise KeyError(stream.name)
        return self._read(stream.name, dict(state or {}), window)

    async def _read(
        self, object_type: str, state: dict[str, Any], window: SyncWindow
    ) -> AsyncIterator[Message]:
        if state.get("done"):
            return
        upper = _millis(datetime.combine(window.end_date, time(23, 59, 59, 999_000), tzinfo=UTC))
        lower = str(state.get("lower") or _millis(
            datetime.combine(window.start_date, time(0), tzinfo=UTC)))
        after: str | None = state.get("after")
        modified = MODIFIED[object_type]
        while True:
            body = await self.http.post_json(
                f"crm/v3/objects/{object_type}/search",
                json=search_body(object_type, lower, upper, after),
            )
            items = [normalise(object_type, item) for item in body.get("results") or []]
            if object_type == "deals" and items:
                await self._attach_contacts(items)
            for data in items:
                yield Record(stream=object_type, data=data)
            next_after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not next_after:
                yield StateCheckpoint(object_type, {"done": True})
                return
            if int(next_after) + SEARCH_LIMIT > SEARCH_WINDOW and items:
                # The 10,000-result ceiling: restart from the last modification time seen.
                lower = _time_ms(items[-1].get(modified)) or lower
                after = None
            else:
                after = str(next_after)
            yield StateCheckpoint(object_type, {"lower": lower, "after": after})

    async def _attach_contacts(self, deals: list[dict[str, Any]]) -> None:
        body = await self.http.post_json(
            "crm/v4/associations/deals/contacts/batch/read",
            json={"inputs": [{"id": deal["id"]} for deal in deals]},
        )
        first: dict[str, str] = {}
        for result in body.get("results") or []:
            targets = result.get("to") or []
            if targets:
                first[str((result.get("from") or {}).get("id"))] = str(targets[0]["toObjectId"])
        for deal in deals:
            deal["contact_id"] = first.get(deal["id"])

    async def write(
        self, session: AsyncSession, stream: Stream, records: Sequence[Record]
    ) -> int:
        """Customers / orders when imported (first, so the CRM rows can link to them), then
        every record into the lifecycle table."""
        written = 0
        if stream.name == "contacts":
            if self._enabled("import_contacts"):
                written += await self._loader.load_customers(
                    session, [customer_row(r.data) for r in records])
            return written + await self._crm.load(
                session, [hubspot_contact(r.data) for r in records])
        if self._enabled("import_won_deals"):
            written += await self._loader.load_orders(
                session, [deal_row(r.data) for r in records])
        return written + await self._crm.load(session, [hubspot_deal(r.data) for r in records])


register(HubSpotConnector, sandbox=hubspot_sandbox)
