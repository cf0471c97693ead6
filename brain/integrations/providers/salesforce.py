"""Salesforce REST connector: Leads, Opportunities and Campaigns through SOQL.

Documented behaviour this relies on:

* `GET {instance_url}/services/data/v{version}/query?q={SOQL}` answers
  `{"totalSize", "done", "records": [{"attributes": {"type", "url"}, …}], "nextRecordsUrl"}`;
  while `done` is false the next batch is `GET {instance_url}{nextRecordsUrl}` (no
  parameters); a query locator that expired answers 400 INVALID_QUERY_LOCATOR;
* incremental selection on `SystemModstamp` (datetime literals unquoted, in UTC);
* OAuth 2.0 (web server flow with PKCE); the token response carries `instance_url`, the org's
  API host. The connector takes it from the config or the credentials' `extra`; failing both
  it asks `GET https://login.salesforce.com/services/oauth2/userinfo`, whose `urls` hold the
  org's `custom_domain` and `rest` endpoint;
* errors are a JSON array `[{"message", "errorCode"}]`: INVALID_SESSION_ID (401, expired
  token), REQUEST_LIMIT_EXCEEDED (403; daily "TotalRequests" or concurrency limits),
  INSUFFICIENT_ACCESS_* / INVALID_TYPE / API_DISABLED_FOR_ORG (the user lacks access).

Every lead and opportunity lands in the CRM lifecycle table (`crm_records`: status or stage,
stage dates, amount). Won opportunities also become orders of their account
(`salesforce:account:{AccountId}`), leads become customers, campaigns become campaigns of a
"Salesforce" channel. A sandbox connection writes no customers, orders or campaigns unless
its config asks (`import_leads`, `import_won_opportunities`, `import_campaigns`): the
simulated shop already delivers the same customers and orders.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

import httpx

from brain.integrations.base import (
    AuthMethod,
    CheckResult,
    Connector,
    ConnectorContext,
    ConnectorError,
    ConnectorErrorKind,
    Message,
    OAuthSpec,
    Record,
    Spec,
    StateCheckpoint,
    Stream,
    SyncMode,
    SyncWindow,
)
from brain.integrations.crm import CrmLoader, salesforce_lead, salesforce_opportunity
from brain.integrations.http import classify_status, parse_retry_after
from brain.integrations.loaders import job_auth
from brain.integrations.providers.commerce import CommerceLoader, CustomerRow, OrderRow
from brain.integrations.registry import register
from brain.integrations.sandbox.salesforce import SANDBOX_INSTANCE, salesforce_sandbox
from brain.warehouse.models import Campaign, Channel, Platform
from brain.warehouse.repository import CampaignRepository, ChannelRepository

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

PROVIDER = "salesforce"
API_VERSION = "59.0"
SCOPES = ("api", "refresh_token")
INSTANCE_PATTERN = r"^https://[a-zA-Z0-9.-]+\.(salesforce|force|cloudforce)\.com$"
USERINFO_URL = "https://login.salesforce.com/services/oauth2/userinfo"

FIELDS: dict[str, tuple[str, ...]] = {
    "Lead": ("Id", "Email", "FirstName", "LastName", "Company", "Status", "LeadSource",
             "IsConverted", "ConvertedDate", "ConvertedAccountId", "CreatedDate",
             "SystemModstamp"),
    "Opportunity": ("Id", "Name", "AccountId", "Amount", "CloseDate", "StageName", "IsClosed",
                    "IsWon", "CampaignId", "LeadSource", "CreatedDate", "SystemModstamp"),
    "Campaign": ("Id", "Name", "Type", "Status", "StartDate", "EndDate", "IsActive",
                 "ActualCost", "CreatedDate", "SystemModstamp"),
}
OBJECT_OF_STREAM = {"leads": "Lead", "opportunities": "Opportunity", "campaigns": "Campaign"}
STREAMS = [
    Stream(name=name, primary_key=("Id",), cursor_field="SystemModstamp",
           modes=(SyncMode.full_refresh, SyncMode.incremental),
           description=f"{sobject} records (SOQL, by SystemModstamp)")
    for name, sobject in OBJECT_OF_STREAM.items()
]

_ACCESS_CODES = ("INSUFFICIENT_ACCESS", "INVALID_TYPE", "API_DISABLED_FOR_ORG",
                 "API_CURRENTLY_DISABLED", "FUNCTIONALITY_NOT_ENABLED")
_REQUEST_CODES = ("MALFORMED_QUERY", "INVALID_FIELD", "INVALID_QUERY_FILTER_OPERATOR",
                  "INVALID_QUERY_LOCATOR")


def classify_salesforce(response: httpx.Response) -> ConnectorError | None:
    """Salesforce's error array → `ConnectorError` (None for a success)."""
    status = response.status_code
    if status < 400:
        return None
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    first = body[0] if isinstance(body, list) and body and isinstance(body[0], dict) else {}
    code = str(first.get("errorCode") or "")
    message = str(first.get("message") or f"HTTP {status}").strip()
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    if code == "INVALID_SESSION_ID":
        kind = ConnectorErrorKind.expired_token
    elif code == "REQUEST_LIMIT_EXCEEDED":
        kind = ConnectorErrorKind.rate_limited
        if message.startswith("TotalRequests"):
            retry_after = 3600.0  # the org's 24-hour API budget: reschedule, don't wait
    elif code.startswith(_ACCESS_CODES):
        kind = ConnectorErrorKind.missing_scope
    elif code in _REQUEST_CODES:
        kind = ConnectorErrorKind.invalid_request
    elif code == "NOT_FOUND":
        kind = ConnectorErrorKind.not_found
    elif code == "SERVER_UNAVAILABLE":
        kind = ConnectorErrorKind.provider_unavailable
    else:
        kind = classify_status(status)
    return ConnectorError(
        kind, message, provider=PROVIDER, status_code=status, retry_after=retry_after,
        provider_code=code or None,
    )


def _literal(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def soql(sobject: str, window: SyncWindow) -> str:
    """The query of one object's records modified within the window, oldest first."""
    lower = _literal(datetime.combine(window.start_date, time(0), tzinfo=UTC))
    upper = _literal(datetime.combine(window.end_date, time(23, 59, 59), tzinfo=UTC))
    return (
        f"SELECT {', '.join(FIELDS[sobject])} FROM {sobject} "
        f"WHERE SystemModstamp >= {lower} AND SystemModstamp <= {upper} "
        "ORDER BY SystemModstamp ASC"
    )


def normalise(sobject: str, record: dict[str, Any]) -> dict[str, Any]:
    """A record's queried fields (the `attributes` block dropped)."""
    return {name: record.get(name) for name in FIELDS[sobject]}


def lead_row(data: dict[str, Any]) -> CustomerRow:
    return CustomerRow(external_id=f"{PROVIDER}:lead:{data['Id']}", email=data.get("Email"))


def opportunity_row(data: dict[str, Any]) -> OrderRow:
    """A won opportunity as an order of its account; any other opportunity is a removal."""
    account = data.get("AccountId")
    customer = (f"{PROVIDER}:account:{account}" if account
                else f"{PROVIDER}:opportunity-customer:{data['Id']}")
    external_id = f"{PROVIDER}:opportunity:{data['Id']}"
    close = data.get("CloseDate")
    if not data.get("IsWon") or not close:
        return OrderRow(external_id, customer, date.today(), 0.0, deleted=True)
    return OrderRow(
        external_id=external_id,
        customer_external_id=customer,
        order_date=date.fromisoformat(str(close)[:10]),
        revenue=float(data.get("Amount") or 0.0),
    )


class SalesforceConnector(Connector):
    """Leads, opportunities and campaigns of one Salesforce org."""

    spec: ClassVar[Spec] = Spec(
        id=PROVIDER,
        name="Salesforce",
        auth=AuthMethod.oauth2,
        scopes=SCOPES,
        config_schema={
            "type": "object",
            "properties": {
                "instance_url": {"type": "string", "pattern": INSTANCE_PATTERN,
                                 "description": "The org's My Domain URL (from the token "
                                                "response's instance_url)"},
                "api_version": {"type": "string", "default": API_VERSION},
                "import_leads": {"type": "boolean", "default": True},
                "import_won_opportunities": {"type": "boolean", "default": True},
                "import_campaigns": {"type": "boolean", "default": True},
            },
        },
        oauth=OAuthSpec(
            authorize_url="https://login.salesforce.com/services/oauth2/authorize",
            token_url="https://login.salesforce.com/services/oauth2/token",  # noqa: S106
            revoke_url="https://login.salesforce.com/services/oauth2/revoke",
        ),
        docs_url="https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/",
    )
    # Salesforce counts API calls per 24 hours per org; stay gentle on shared orgs.
    rate_per_second: ClassVar[float] = 5.0
    burst: ClassVar[int] = 10
    max_chunk_days: ClassVar[int] = 31

    def __init__(self, context: ConnectorContext) -> None:
        super().__init__(context)
        self._auth = job_auth(context.organization_id, context.connection_id)
        self._loader = CommerceLoader(self._auth)
        self._crm = CrmLoader(self._auth, context.connection_id)
        self._channel_id: uuid.UUID | None = None
        self._instance: str | None = None

    @classmethod
    def classify(cls, response: httpx.Response) -> ConnectorError | None:
        return classify_salesforce(response)

    @classmethod
    def base_url(cls, config: dict[str, Any]) -> str:
        # Requests use absolute URLs on the validated instance (`instance_url`), which may
        # only be known after asking userinfo.
        return ""

    async def instance_url(self) -> str:
        """The org's API host: config, the token response kept in the credentials, userinfo."""
        if self._instance is not None:
            return self._instance
        value = str(self.context.config.get("instance_url")
                    or self.context.credentials.extra.get("instance_url") or "").rstrip("/")
        if not value and self.context.sandbox:
            value = SANDBOX_INSTANCE
        if not value:
            value = await self._instance_from_userinfo()
        if not re.fullmatch(INSTANCE_PATTERN, value):
            raise ConnectorError(
                ConnectorErrorKind.invalid_request,
                "the connection has no valid Salesforce instance_url",
                provider=PROVIDER,
            )
        self._instance = value
        return value

    async def _instance_from_userinfo(self) -> str:
        body = await self.http.get_json(USERINFO_URL)
        urls = (body.get("urls") or {}) if isinstance(body, dict) else {}
        for candidate in (urls.get("custom_domain"), urls.get("rest")):
            if candidate:
                parts = urlsplit(str(candidate))
                return f"{parts.scheme}://{parts.netloc}"
        return ""

    async def data_root(self) -> str:
        version = str(self.context.config.get("api_version") or API_VERSION)
        return f"{await self.instance_url()}/services/data/v{version}"

    def _enabled(self, option: str) -> bool:
        value = self.context.config.get(option)
        return bool(value) if value is not None else not self.context.sandbox

    def streams(self) -> list[Stream]:
        return list(STREAMS)

    async def _query(self, q: str) -> dict[str, Any]:
        root = await self.data_root()
        return dict(await self.http.get_json(f"{root}/query", params={"q": q}))

    async def check(self) -> CheckResult:
        result = CheckResult()
        probes: list[tuple[str, bool, str]] = []
        for sobject in OBJECT_OF_STREAM.values():
            try:
                body = await self._query(f"SELECT Id FROM {sobject} LIMIT 1")
            except ConnectorError as exc:
                if exc.needs_reauth:
                    result.add("credentials", False, exc.message)
                    return result
                probes.append((f"read {sobject}", False, exc.message))
            else:
                probes.append((f"read {sobject}", True,
                               f"{body.get('totalSize', 0)} sample row(s)"))
        result.add("credentials", True, "the session is valid")
        for name, ok, detail in probes:
            result.add(name, ok, detail)
        return result

    def read(
        self, stream: Stream, state: dict[str, Any] | None, window: SyncWindow
    ) -> AsyncIterator[Message]:
        if stream.name not in OBJECT_OF_STREAM:
            raise KeyError(stream.name)
        return self._read(stream.name, dict(state or {}), window)

    async def _read(
        self, name: str, state: dict[str, Any], window: SyncWindow
    ) -> AsyncIterator[Message]:
        if state.get("done"):
            return
        sobject = OBJECT_OF_STREAM[name]
        next_url: str | None = state.get("next")
        while True:
            try:
                if next_url:
                    instance = await self.instance_url()
                    body = dict(await self.http.get_json(f"{instance}{next_url}"))
                else:
                    body = await self._query(soql(sobject, window))
            except ConnectorError as exc:
                if next_url and exc.provider_code == "INVALID_QUERY_LOCATOR":
                    next_url = None  # the locator expired: run the window's query again
                    continue
                raise
            for record in body.get("records") or []:
                yield Record(stream=name, data=normalise(sobject, record))
            next_url = body.get("nextRecordsUrl")
            if body.get("done", True) or not next_url:
                yield StateCheckpoint(name, {"done": True})
                return
            yield StateCheckpoint(name, {"next": _path_only(str(next_url))})

    async def write(
        self, session: AsyncSession, stream: Stream, records: Sequence[Record]
    ) -> int:
        """Customers / orders / campaigns when imported (first, so the CRM rows can link to
        them); leads and opportunities also into the lifecycle table."""
        written = 0
        if stream.name == "leads":
            if self._enabled("import_leads"):
                written += await self._loader.load_customers(
                    session, [lead_row(r.data) for r in records])
            return written + await self._crm.load(
                session, [salesforce_lead(r.data) for r in records])
        if stream.name == "opportunities":
            if self._enabled("import_won_opportunities"):
                written += await self._loader.load_orders(
                    session, [opportunity_row(r.data) for r in records])
            return written + await self._crm.load(
                session, [salesforce_opportunity(r.data) for r in records])
        if not self._enabled("import_campaigns"):
            return 0
        return await self._load_campaigns(session, records)

    async def _load_campaigns(self, session: AsyncSession, records: Sequence[Record]) -> int:
        """Campaigns of the org's "Salesforce" channel, matched by name."""
        channel_id = await self._channel(session)
        repo = CampaignRepository(session, self._auth)
        written = 0
        for record in records:
            name = str(record.data.get("Name") or f"Campaign {record.data['Id']}")[:200]
            kind = record.data.get("Type")
            existing = await repo.find_by_name(channel_id, name)
            if existing is None:
                repo.add(Campaign(channel_id=channel_id, name=name,
                                  objective=str(kind)[:100] if kind else None))
                await session.flush()
            elif kind and existing.objective != str(kind)[:100]:
                existing.objective = str(kind)[:100]
            written += 1
        return written

    async def _channel(self, session: AsyncSession) -> uuid.UUID:
        if self._channel_id is not None:
            return self._channel_id
        instance = await self.instance_url()
        account = urlsplit(instance).hostname or instance
        repo = ChannelRepository(session, self._auth)
        channel = await session.scalar(repo.select().where(
            Channel.platform == Platform.salesforce.value, Channel.external_account_id == account))
        if channel is None:
            name = "Salesforce"
            if await repo.find_by_name(name) is not None:
                name = f"Salesforce ({account})"[:200]
            channel = repo.add(Channel(name=name, platform=Platform.salesforce.value,
                                       external_account_id=account))
            await session.flush()
        self._channel_id = channel.id
        return channel.id


def _path_only(url: str) -> str:
    """`nextRecordsUrl` is a path; keep it one even if a proxy made it absolute."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


register(SalesforceConnector, sandbox=salesforce_sandbox)
