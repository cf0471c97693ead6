"""Maps CRM objects (HubSpot contacts and deals, Salesforce leads and opportunities) into the
`crm_records` lifecycle table, with idempotent upserts keyed by (source, kind, external id).

Connectors turn provider records into `CrmRow`s (`hubspot_contact`, `hubspot_deal`,
`salesforce_lead`, `salesforce_opportunity`) and hand batches to `CrmLoader.load` inside the
sync engine's transaction. Each provider stage is kept as sent (`stage`) and mapped onto one
funnel (`funnel_stage`, see `FunnelStage`) so HubSpot and Salesforce can be charted together.

People are linked, never copied: the e-mail is stored only as a SHA-256 of its lower-cased
form, and the record points at the warehouse customer with that e-mail (or with the
provider's own customer id when contacts/leads are imported as customers). A deal or an
opportunity takes the customer of its contact or of the lead converted into its account.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.auth import AuthContext
from brain.core.models import utcnow, uuid7
from brain.core.tenancy import scope_to_tenant
from brain.integrations.crm_models import CrmKind, CrmRecord, CrmSource, FunnelStage
from brain.warehouse.models import Customer

# HubSpot's default lifecycle stages (internal values) on the funnel.
HUBSPOT_LIFECYCLE: dict[str, FunnelStage] = {
    "subscriber": FunnelStage.subscriber,
    "lead": FunnelStage.lead,
    "marketingqualifiedlead": FunnelStage.mql,
    "salesqualifiedlead": FunnelStage.sql,
    "opportunity": FunnelStage.opportunity,
    "customer": FunnelStage.customer,
    "evangelist": FunnelStage.customer,
    "other": FunnelStage.other,
}
# The contact properties saying when each lifecycle stage was entered.
HUBSPOT_STAGE_DATE_PROPERTIES: dict[str, FunnelStage] = {
    "hs_lifecyclestage_subscriber_date": FunnelStage.subscriber,
    "hs_lifecyclestage_lead_date": FunnelStage.lead,
    "hs_lifecyclestage_marketingqualifiedlead_date": FunnelStage.mql,
    "hs_lifecyclestage_salesqualifiedlead_date": FunnelStage.sql,
    "hs_lifecyclestage_opportunity_date": FunnelStage.opportunity,
    "hs_lifecyclestage_customer_date": FunnelStage.customer,
}


@dataclass(frozen=True)
class CrmRow:
    """One CRM object normalised for `crm_records` (`email` is hashed, never stored)."""

    source: CrmSource
    kind: CrmKind
    external_id: str
    stage: str
    funnel_stage: FunnelStage
    name: str | None = None
    email: str | None = None
    related_external_id: str | None = None
    amount: float | None = None
    currency: str | None = None
    source_created_at: datetime | None = None
    closed_at: datetime | None = None
    stage_dates: dict[str, str] = field(default_factory=dict)
    source_updated_at: datetime | None = None


def email_hash(email: str | None) -> str | None:
    """SHA-256 (hex) of the trimmed, lower-cased address; None without one."""
    if not email or not email.strip():
        return None
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def parse_moment(value: Any) -> datetime | None:
    """A provider timestamp (ISO 8601 with an offset, a date, or epoch milliseconds) in UTC."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        if text.isdigit():
            return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() == "true"


def _amount(value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        return round(float(value), 4)
    except (TypeError, ValueError):
        return None


def _dates(pairs: Sequence[tuple[FunnelStage, Any]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for stage, value in pairs:
        moment = parse_moment(value)
        if moment is not None:
            out[stage.value] = moment.isoformat()
    return out


def _text(value: Any, limit: int) -> str | None:
    return str(value)[:limit] if value not in (None, "") else None


# --- provider records -------------------------------------------------------------------


def hubspot_contact(data: dict[str, Any]) -> CrmRow:
    """A normalised HubSpot contact (properties flattened, see the HubSpot connector)."""
    stage = str(data.get("lifecyclestage") or "").strip().lower()
    return CrmRow(
        source=CrmSource.hubspot,
        kind=CrmKind.contact,
        external_id=str(data["id"]),
        stage=stage[:100] or "none",
        funnel_stage=HUBSPOT_LIFECYCLE.get(stage, FunnelStage.other),
        email=data.get("email"),
        source_created_at=parse_moment(data.get("createdate")),
        stage_dates=_dates([(funnel, data.get(prop))
                            for prop, funnel in HUBSPOT_STAGE_DATE_PROPERTIES.items()]),
        source_updated_at=parse_moment(data.get("lastmodifieddate")),
    )


def hubspot_deal(data: dict[str, Any]) -> CrmRow:
    """A HubSpot deal: won → customer, closed otherwise (or `closedlost`) → lost, else an
    open opportunity."""
    stage = str(data.get("dealstage") or "").strip()
    won = _truthy(data.get("hs_is_closed_won")) or (
        data.get("hs_is_closed_won") is None and stage == "closedwon")
    closed = won or _truthy(data.get("hs_is_closed")) or stage == "closedlost"
    funnel = (FunnelStage.customer if won
              else FunnelStage.lost if closed else FunnelStage.opportunity)
    closed_at = parse_moment(data.get("closedate")) if closed else None
    dates = [(FunnelStage.opportunity, data.get("createdate"))]
    if closed:
        dates.append((funnel, data.get("closedate")))
    return CrmRow(
        source=CrmSource.hubspot,
        kind=CrmKind.deal,
        external_id=str(data["id"]),
        stage=stage[:100] or "none",
        funnel_stage=funnel,
        name=_text(data.get("dealname"), 200),
        related_external_id=_text(data.get("contact_id"), 100),
        amount=_amount(data.get("amount")),
        currency=_text(data.get("deal_currency_code"), 3),
        source_created_at=parse_moment(data.get("createdate")),
        closed_at=closed_at,
        stage_dates=_dates(dates),
        source_updated_at=parse_moment(data.get("hs_lastmodifieddate")),
    )


def salesforce_lead(data: dict[str, Any]) -> CrmRow:
    """A Salesforce lead: converted → sql (it became an opportunity's contact), closed
    without conversion → lost, else a lead."""
    status = str(data.get("Status") or "").strip()
    converted = _truthy(data.get("IsConverted"))
    funnel = (FunnelStage.sql if converted
              else FunnelStage.lost if status.lower().startswith("closed") else FunnelStage.lead)
    dates: list[tuple[FunnelStage, Any]] = [(FunnelStage.lead, data.get("CreatedDate"))]
    if converted:
        dates.append((FunnelStage.sql, data.get("ConvertedDate")))
    return CrmRow(
        source=CrmSource.salesforce,
        kind=CrmKind.lead,
        external_id=str(data["Id"]),
        stage=status[:100] or "none",
        funnel_stage=funnel,
        email=data.get("Email"),
        related_external_id=_text(data.get("ConvertedAccountId"), 100),
        source_created_at=parse_moment(data.get("CreatedDate")),
        closed_at=parse_moment(data.get("ConvertedDate")) if converted else None,
        stage_dates=_dates(dates),
        source_updated_at=parse_moment(data.get("SystemModstamp")),
    )


def salesforce_opportunity(data: dict[str, Any]) -> CrmRow:
    """A Salesforce opportunity: won → customer, closed → lost, else open."""
    won = _truthy(data.get("IsWon"))
    closed = won or _truthy(data.get("IsClosed"))
    funnel = (FunnelStage.customer if won
              else FunnelStage.lost if closed else FunnelStage.opportunity)
    dates: list[tuple[FunnelStage, Any]] = [(FunnelStage.opportunity, data.get("CreatedDate"))]
    if closed:
        dates.append((funnel, data.get("CloseDate")))
    return CrmRow(
        source=CrmSource.salesforce,
        kind=CrmKind.opportunity,
        external_id=str(data["Id"]),
        stage=str(data.get("StageName") or "none")[:100],
        funnel_stage=funnel,
        name=_text(data.get("Name"), 200),
        related_external_id=_text(data.get("AccountId"), 100),
        amount=_amount(data.get("Amount")),
        source_created_at=parse_moment(data.get("CreatedDate")),
        closed_at=parse_moment(data.get("CloseDate")) if closed else None,
        stage_dates=_dates(dates),
        source_updated_at=parse_moment(data.get("SystemModstamp")),
    )


# --- the loader -------------------------------------------------------------------------

# Where the warehouse keeps the customer a CRM person was imported as (when imported).
_IMPORTED_CUSTOMER = {
    (CrmSource.hubspot, CrmKind.contact): "hubspot:contact:{}",
    (CrmSource.salesforce, CrmKind.lead): "salesforce:lead:{}",
}
# The kind whose records a deal/opportunity's `related_external_id` points at, and the
# column of that kind holding the same id.
_PARENT = {
    (CrmSource.hubspot, CrmKind.deal): (CrmKind.contact, "external_id"),
    (CrmSource.salesforce, CrmKind.opportunity): (CrmKind.lead, "related_external_id"),
}
_CHUNK = 500


class CrmLoader:
    """Upserts one connection's CRM records (inside the caller's transaction)."""

    def __init__(self, auth: AuthContext, connection_id: uuid.UUID | None) -> None:
        self.auth = auth
        self.connection_id = connection_id

    async def load(self, session: AsyncSession, rows: Sequence[CrmRow]) -> int:
        """Upsert the rows (the last of duplicates wins); returns how many records."""
        latest: dict[tuple[str, str, str], CrmRow] = {}
        for row in rows:
            latest[(row.source.value, row.kind.value, row.external_id)] = row
        if not latest:
            return 0
        unique = list(latest.values())
        customers = await self._customers(session, unique)
        now = utcnow()
        values = [{
            "id": uuid7(),
            "organization_id": self.auth.organization_id,
            "connection_id": self.connection_id,
            "source": row.source.value,
            "kind": row.kind.value,
            "external_id": row.external_id[:100],
            "name": row.name,
            "email_hash": email_hash(row.email),
            "customer_id": customers.get(row.external_id),
            "related_external_id": row.related_external_id,
            "stage": row.stage,
            "funnel_stage": row.funnel_stage.value,
            "amount": row.amount,
            "currency": row.currency,
            "source_created_at": row.source_created_at,
            "closed_at": row.closed_at,
            "stage_dates": row.stage_dates,
            "source_updated_at": row.source_updated_at,
            "property_changed_at": None,  # a read supersedes the changes webhooks applied
            "created_at": now,
            "updated_at": now,
        } for row in unique]
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
        kept = ("id", "organization_id", "source", "kind", "external_id", "created_at")
        stmt = insert(CrmRecord)
        stmt = stmt.on_conflict_do_update(
            index_elements=["organization_id", "source", "kind", "external_id"],
            set_={name: stmt.excluded[name] for name in values[0] if name not in kept},
        )
        # One cached statement, executed for many rows (batched into multi-row INSERTs by
        # the driver layer), not a statement compiled per batch.
        for start in range(0, len(values), _CHUNK):
            await session.execute(stmt, values[start : start + _CHUNK])
        return len(values)

    async def _customers(
        self, session: AsyncSession, rows: Sequence[CrmRow]
    ) -> dict[str, uuid.UUID]:
        """{external id: warehouse customer id} for the rows whose person is known."""
        found: dict[str, uuid.UUID] = {}
        imported = {
            _IMPORTED_CUSTOMER[(r.source, r.kind)].format(r.external_id): r.external_id
            for r in rows if (r.source, r.kind) in _IMPORTED_CUSTOMER
        }
        for chunk in _chunks(list(imported)):
            result = await session.execute(_scoped(
                select(Customer.external_id, Customer.id), Customer, self.auth,
            ).where(Customer.external_id.in_(chunk)))
            for external, customer_id in result:
                found[imported[external]] = customer_id
        by_email: dict[str, list[str]] = {}
        for row in rows:
            if row.external_id not in found and row.email and row.email.strip():
                by_email.setdefault(row.email.strip().lower(), []).append(row.external_id)
        for chunk in _chunks(list(by_email)):
            lowered = func.lower(Customer.email)
            result = await session.execute(_scoped(
                select(lowered, Customer.id), Customer, self.auth,
            ).where(lowered.in_(chunk)).order_by(Customer.created_at, Customer.id))
            for address, customer_id in result:
                for external in by_email.get(address, []):
                    found.setdefault(external, customer_id)
        await self._parents(session, rows, found)
        return found

    async def _parents(
        self, session: AsyncSession, rows: Sequence[CrmRow], found: dict[str, uuid.UUID]
    ) -> None:
        """Deals and opportunities take the customer of their contact / converted lead."""
        wanted: dict[tuple[CrmSource, CrmKind, str], list[str]] = {}
        for row in rows:
            parent = _PARENT.get((row.source, row.kind))
            if parent is None or not row.related_external_id or row.external_id in found:
                continue
            key = (row.source, parent[0], parent[1])
            wanted.setdefault(key, []).append(row.related_external_id)
        for (source, kind, column_name), related in wanted.items():
            column = getattr(CrmRecord, column_name)
            owners: dict[str, uuid.UUID] = {}
            for chunk in _chunks(sorted(set(related))):
                result = await session.execute(_scoped(
                    select(column, CrmRecord.customer_id), CrmRecord, self.auth,
                ).where(CrmRecord.source == source.value, CrmRecord.kind == kind.value,
                        column.in_(chunk), CrmRecord.customer_id.is_not(None)))
                for key, customer_id in result:
                    owners.setdefault(str(key), customer_id)
            for row in rows:
                if (row.source == source and row.related_external_id in owners
                        and _PARENT.get((row.source, row.kind), (None,))[0] == kind):
                    found.setdefault(row.external_id, owners[row.related_external_id])


def _scoped(stmt: Any, model: type[Customer] | type[CrmRecord], auth: AuthContext) -> Select[Any]:
    return scope_to_tenant(cast("Select[Any]", stmt), model, auth)


def _chunks(items: list[str], size: int = _CHUNK) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]

