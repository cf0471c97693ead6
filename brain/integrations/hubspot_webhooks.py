"""HubSpot webhook events applied to what the HubSpot connector maps: the CRM lifecycle table
(`crm_records`) and, when the connection imports them, the warehouse customers and won-deal
orders.

HubSpot (Webhooks API v3) POSTs a JSON array of events; the receiver stores each as one inbox
row (`inbound.verify_hubspot`), whose type is the event's `subscriptionType`. Each event has
`objectId` (the contact or deal), `eventId`, `subscriptionId`, `portalId`, `appId`,
`occurredAt` (epoch milliseconds), `attemptNumber`, `changeSource`, and for property changes
`propertyName` / `propertyValue` (the new value); merges carry `primaryObjectId` and
`mergedObjectIds`.

What an event does:

* `contact.propertyChange` / `deal.propertyChange` of a property the connector maps
  (lifecycle stage and its dates, e-mail, deal stage, amount, name, close date, …) is applied
  to the record at once; a property Brain does not keep changes nothing;
* `contact.deletion` / `deal.deletion` / `contact.privacyDeletion` remove the record (and a
  deleted deal's order);
* `*.merge` removes the merged-away records; the surviving one is re-read;
* a change Brain already holds is not applied again: one from before the object's
  modification time as of the last read (`source_updated_at`, which only reads set), or from
  before a change of the same property a webhook already applied (`property_changed_at`;
  HubSpot does not promise order);
* where the event lacks the data — a creation, a restore, a deal's association change, a
  change to a record Brain has not read yet, a deal stage of a custom pipeline — the affected
  stream is marked for a delta sync of the connection (`webhook_syncs.request_webhook_sync`):
  the streams asked for are gathered on the connection for a few minutes and then read by ONE
  run, however many events asked.

A malformed event (no `objectId`, an unknown object) raises, so it is retried and ends in the
dead letters; subscription types not listed here have no handler and are marked `ignored`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.auth import AuthContext
from brain.core.models import utcnow
from brain.integrations.crm import (
    HUBSPOT_LIFECYCLE,
    HUBSPOT_STAGE_DATE_PROPERTIES,
    email_hash,
    parse_moment,
)
from brain.integrations.crm_models import CrmKind, CrmRecord, CrmSource, FunnelStage
from brain.integrations.inbound import handles, handles_batches
from brain.integrations.models import Connection
from brain.integrations.repository import ConnectionRepository
from brain.integrations.webhook_syncs import request_webhook_sync
from brain.warehouse.models import Customer

PROVIDER = "hubspot"

OBJECTS: dict[str, tuple[CrmKind, str]] = {
    "contact": (CrmKind.contact, "contacts"),
    "deal": (CrmKind.deal, "deals"),
}
PROPERTY_CHANGES = ("contact.propertyChange", "deal.propertyChange")
DELETIONS = ("contact.deletion", "deal.deletion", "contact.privacyDeletion")
MERGES = ("contact.merge", "deal.merge")
# Events that name an object without its data: the stream is read again.
RESYNCS = ("contact.creation", "deal.creation", "contact.restore", "deal.restore",
           "deal.associationChange")
HANDLED = (*PROPERTY_CHANGES, *DELETIONS, *MERGES, *RESYNCS)

# The open stages of HubSpot's default sales pipeline (closed: `closedwon`, `closedlost`);
# another pipeline's stage ids say nothing about being open or closed without a read.
DEFAULT_OPEN_DEAL_STAGES = frozenset({
    "appointmentscheduled", "qualifiedtobuy", "presentationscheduled",
    "decisionmakerboughtin", "contractsent",
})
CLOSED = (FunnelStage.customer.value, FunnelStage.lost.value)


@dataclass(frozen=True)
class HubSpotEvent:
    """One webhook event, validated."""

    subscription_type: str
    object_type: str  # contact | deal
    action: str  # creation | propertyChange | deletion | privacyDeletion | merge | …
    object_id: str
    occurred_at: datetime | None
    event_id: str
    property_name: str | None = None
    property_value: str | None = None
    merged_ids: tuple[str, ...] = ()


def _object_id(value: Any, what: str) -> str:
    if isinstance(value, bool) or value is None or not str(value).strip().isdigit():
        raise ValueError(f"a HubSpot event needs a numeric {what}, got {value!r}")
    return str(value).strip()


def parse_event(payload: Any) -> HubSpotEvent:
    """A HubSpot event from its JSON object (ValueError when it is not one)."""
    if not isinstance(payload, dict):
        raise ValueError("a HubSpot event is not a JSON object")
    subscription = str(payload.get("subscriptionType") or "")
    object_type, _, action = subscription.partition(".")
    if object_type not in OBJECTS or not action:
        raise ValueError(f"not a contact or deal event: {subscription!r}")
    merged: tuple[str, ...] = ()
    if action == "merge":
        object_id = _object_id(payload.get("primaryObjectId", payload.get("objectId")),
                               "primaryObjectId")
        merged = tuple(_object_id(v, "mergedObjectIds")
                       for v in payload.get("mergedObjectIds") or [])
    else:
        object_id = _object_id(payload.get("objectId"), "objectId")
    name = payload.get("propertyName")
    if action == "propertyChange" and not isinstance(name, str):
        raise ValueError("a propertyChange event needs its propertyName")
    value = payload.get("propertyValue")
    return HubSpotEvent(
        subscription_type=subscription,
        object_type=object_type,
        action=action,
        object_id=object_id,
        occurred_at=parse_moment(payload.get("occurredAt")),
        event_id=str(payload.get("eventId") or ""),
        property_name=name if isinstance(name, str) else None,
        property_value=None if value is None else str(value),
        merged_ids=merged,
    )


def _imports(connection: Connection, option: str) -> bool:
    """Whether the connection imports contacts / won deals (as the connector decides)."""
    value = (connection.config or {}).get(option)
    return bool(value) if value is not None else not connection.sandbox


@dataclass
class _Batch:
    """What applying a batch of events changed, and what it still needs."""

    records: dict[tuple[str, str], CrmRecord]
    resync: set[str] = field(default_factory=set)
    deals_for_orders: set[str] = field(default_factory=set)
    relinked_contacts: dict[str, str | None] = field(default_factory=dict)  # id → new email
    deleted: dict[str, set[str]] = field(default_factory=dict)  # kind → ids


async def apply_events(session: AsyncSession, auth: AuthContext, payloads: list[Any]) -> None:
    """Apply HubSpot events of one connection (the inbox job's identity names it)."""
    events = sorted((parse_event(p) for p in payloads),
                    key=lambda e: (e.occurred_at is None, e.occurred_at or utcnow(),
                                   e.event_id))
    # The inbox job acts as `job_auth(organization, connection)`: the subject is the
    # connection the events came for. A connection deleted since keeps nothing up to date.
    connection = await ConnectionRepository(session, auth).get(auth.subject_id)
    if connection is None:
        return
    org = auth.organization_id
    batch = _Batch(records=await _records(session, org, events))
    for event in events:
        kind, stream = OBJECTS[event.object_type]
        if event.action in ("deletion", "privacyDeletion"):
            _forget(batch, kind, event.object_id)
        elif event.action == "merge":
            for merged in event.merged_ids:
                if merged != event.object_id:
                    _forget(batch, kind, merged)
            batch.resync.add(stream)
        elif event.action == "propertyChange":
            record = batch.records.get((kind.value, event.object_id))
            if record is None or not _apply(batch, record, event):
                batch.resync.add(stream)
        else:  # creation, restore, association change: only a read has the data
            batch.resync.add(stream)
    await _write(session, auth, connection, batch)
    if batch.resync:
        request_webhook_sync(connection, batch.resync, now=utcnow())
    await session.flush()


async def _records(
    session: AsyncSession, org: uuid.UUID, events: list[HubSpotEvent]
) -> dict[tuple[str, str], CrmRecord]:
    wanted: dict[str, set[str]] = {}
    for event in events:
        kind = OBJECTS[event.object_type][0].value
        wanted.setdefault(kind, set()).add(event.object_id)
    found: dict[tuple[str, str], CrmRecord] = {}
    for kind, ids in wanted.items():
        rows = await session.scalars(select(CrmRecord).where(
            CrmRecord.organization_id == org, CrmRecord.source == CrmSource.hubspot.value,
            CrmRecord.kind == kind, CrmRecord.external_id.in_(sorted(ids))))
        for row in rows:
            found[(kind, row.external_id)] = row
    return found


def _forget(batch: _Batch, kind: CrmKind, object_id: str) -> None:
    batch.deleted.setdefault(kind.value, set()).add(object_id)
    batch.records.pop((kind.value, object_id), None)
    if kind is CrmKind.deal:
        batch.deals_for_orders.discard(object_id)
    else:
        batch.relinked_contacts.pop(object_id, None)


def _outdated(record: CrmRecord, event: HubSpotEvent) -> bool:
    """Whether Brain already holds this property as of the event or later: the last read saw
    the object modified at or after it (`source_updated_at`, the read's modification time),
    or a later change of the same property was applied (HubSpot does not promise order)."""
    moment = event.occurred_at
    if moment is None:
        return False
    if record.source_updated_at is not None and moment <= record.source_updated_at:
        return True
    applied = (record.property_changed_at or {}).get(event.property_name or "")
    return applied is not None and moment < datetime.fromisoformat(applied)


def _apply(batch: _Batch, record: CrmRecord, event: HubSpotEvent) -> bool:
    """Apply a property change to the record; False when it cannot be applied from the event
    alone (the stream is read again instead). An outdated change, and a property Brain keeps
    nothing of, are done with (True)."""
    if _outdated(record, event):
        return True
    name, value = event.property_name or "", event.property_value
    if record.kind == CrmKind.contact.value:
        applied = _apply_contact(batch, record, name, value, event.occurred_at)
    else:
        applied = _apply_deal(batch, record, name, value, event.occurred_at)
    if applied is None:
        return True  # not a property the connector maps
    if applied and event.occurred_at is not None:
        record.property_changed_at = {**(record.property_changed_at or {}),
                                      name: event.occurred_at.isoformat()}
    return applied


def _set_date(record: CrmRecord, stage: FunnelStage | str, moment: datetime | None) -> None:
    dates = dict(record.stage_dates or {})
    key = stage.value if isinstance(stage, FunnelStage) else stage
    if moment is None:
        dates.pop(key, None)
    else:
        dates[key] = moment.isoformat()
    record.stage_dates = dates


def _apply_contact(batch: _Batch, record: CrmRecord, name: str, value: str | None,
                   occurred_at: datetime | None) -> bool | None:
    if name == "lifecyclestage":
        stage = (value or "").strip().lower()
        funnel = HUBSPOT_LIFECYCLE.get(stage, FunnelStage.other)
        record.stage = stage[:100] or "none"
        record.funnel_stage = funnel.value
        if (funnel in HUBSPOT_STAGE_DATE_PROPERTIES.values() and occurred_at is not None
                and funnel.value not in (record.stage_dates or {})):
            _set_date(record, funnel, occurred_at)  # HubSpot's own date property follows
        return True
    if name in HUBSPOT_STAGE_DATE_PROPERTIES:
        _set_date(record, HUBSPOT_STAGE_DATE_PROPERTIES[name], parse_moment(value))
        return True
    if name == "createdate":
        record.source_created_at = parse_moment(value)
        return True
    if name == "email":
        record.email_hash = email_hash(value)
        batch.relinked_contacts[record.external_id] = value
        return True
    return None


def _apply_deal(batch: _Batch, record: CrmRecord, name: str, value: str | None,
                occurred_at: datetime | None) -> bool | None:
    text = (value or "").strip()
    if name == "dealname":
        record.name = text[:200] or None
        return True
    if name == "amount":
        try:
            record.amount = round(float(text), 4) if text else None
        except ValueError:
            record.amount = None
        batch.deals_for_orders.add(record.external_id)
        return True
    if name == "deal_currency_code":
        record.currency = text[:3] or None
        return True
    if name == "createdate":
        record.source_created_at = parse_moment(value)
        _set_date(record, FunnelStage.opportunity, record.source_created_at)
        return True
    if name == "closedate":
        if record.funnel_stage in CLOSED:
            record.closed_at = parse_moment(value)
            _set_date(record, record.funnel_stage, record.closed_at)
            batch.deals_for_orders.add(record.external_id)
        return True
    if name == "dealstage":
        if text == "closedwon":
            funnel = FunnelStage.customer
        elif text == "closedlost":
            funnel = FunnelStage.lost
        elif text in DEFAULT_OPEN_DEAL_STAGES:
            funnel = FunnelStage.opportunity
        else:
            return False  # another pipeline's stage: open or closed only a read tells
        _set_deal_funnel(record, funnel, occurred_at)
        record.stage = text[:100]
        batch.deals_for_orders.add(record.external_id)
        return True
    if name == "hs_is_closed_won":
        won = text.lower() == "true"
        # Agreeing with what Brain holds: nothing to do; otherwise won, lost or open again
        # depends on the other closing properties — read the deal.
        return won == (record.funnel_stage == FunnelStage.customer.value)
    if name == "hs_is_closed":
        return (text.lower() == "true") == (record.funnel_stage in CLOSED)
    return None


def _set_deal_funnel(record: CrmRecord, funnel: FunnelStage, occurred_at: datetime | None) -> None:
    """A deal's funnel stage with its close date and stage dates (as `crm.hubspot_deal`)."""
    dates = {k: v for k, v in (record.stage_dates or {}).items()
             if k == FunnelStage.opportunity.value}
    if funnel.value in CLOSED:
        record.closed_at = record.closed_at if record.funnel_stage in CLOSED else None
        record.closed_at = record.closed_at or occurred_at
        if record.closed_at is not None:
            dates[funnel.value] = record.closed_at.isoformat()
    else:
        record.closed_at = None
    record.funnel_stage = funnel.value
    record.stage_dates = dates


async def _write(session: AsyncSession, auth: AuthContext, connection: Connection,
                 batch: _Batch) -> None:
    """Deletions, e-mail relinks and won-deal orders (the record changes are on the ORM rows,
    flushed with the session)."""
    from brain.integrations.providers.commerce import CommerceLoader, CustomerRow
    from brain.integrations.providers.hubspot import deal_row

    org = auth.organization_id
    loader = CommerceLoader(auth)
    for kind, ids in batch.deleted.items():
        await session.execute(delete(CrmRecord).where(
            CrmRecord.organization_id == org, CrmRecord.source == CrmSource.hubspot.value,
            CrmRecord.kind == kind, CrmRecord.external_id.in_(sorted(ids)))
            .execution_options(synchronize_session="fetch"))
    if _imports(connection, "import_won_deals"):
        gone = sorted(batch.deleted.get(CrmKind.deal.value, set()))
        rows = [deal_row({"id": deal_id, "hs_is_closed_won": "false"}) for deal_id in gone]
        for deal_id in sorted(batch.deals_for_orders):
            record = batch.records.get((CrmKind.deal.value, deal_id))
            if record is not None:
                rows.append(deal_row({
                    "id": deal_id,
                    "hs_is_closed_won": "true" if record.funnel_stage == "customer" else "false",
                    "dealstage": record.stage,
                    "contact_id": record.related_external_id,
                    "closedate": record.closed_at.isoformat() if record.closed_at else None,
                    "amount": record.amount,
                }))
        if rows:
            await loader.load_orders(session, rows)
    imported = _imports(connection, "import_contacts")
    for contact_id, email in sorted(batch.relinked_contacts.items()):
        record = batch.records.get((CrmKind.contact.value, contact_id))
        if record is None:
            continue
        if imported:  # the contact's customer is its own: it takes the new address
            await loader.load_customers(
                session, [CustomerRow(external_id=f"{PROVIDER}:contact:{contact_id}",
                                      email=email)])
            continue
        record.customer_id = await _customer_by_email(session, org, email)
        # A deal's person is its contact's.
        await session.execute(update(CrmRecord).where(
            CrmRecord.organization_id == org, CrmRecord.source == CrmSource.hubspot.value,
            CrmRecord.kind == CrmKind.deal.value,
            CrmRecord.related_external_id == contact_id,
        ).values(customer_id=record.customer_id).execution_options(synchronize_session="fetch"))


async def _customer_by_email(
    session: AsyncSession, org: uuid.UUID, email: str | None
) -> uuid.UUID | None:
    """The warehouse customer with this address (the oldest), as the CRM loader links."""
    if not email or not email.strip():
        return None
    found: uuid.UUID | None = await session.scalar(
        select(Customer.id).where(
            Customer.organization_id == org, Customer.deleted_at.is_(None),
            func.lower(Customer.email) == email.strip().lower(),
        ).order_by(Customer.created_at, Customer.id).limit(1))
    return found


async def _one(session: AsyncSession, auth: AuthContext, payload: Any) -> None:
    await apply_events(session, auth, [payload])


handles(PROVIDER, *HANDLED)(_one)
handles_batches(PROVIDER, *HANDLED)(apply_events)
