"""HubSpot webhook events (Webhooks API v3: a JSON array of events with objectId,
subscriptionType, propertyName/propertyValue, occurredAt, eventId) applied to the CRM
lifecycle table, the warehouse rows the connector imports, and coalesced delta syncs."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.clock import FrozenClock
from brain.core.db import BYPASS_INFO_KEY
from brain.core.models import utcnow
from brain.core.runtime import Runtime
from brain.integrations import inbound
from brain.integrations.crm import CrmLoader, hubspot_contact, hubspot_deal
from brain.integrations.engine import SyncEngine
from brain.integrations.inbound import set_secret
from brain.integrations.inbound_models import InboundWebhookEvent
from brain.integrations.loaders import job_auth
from brain.integrations.models import Connection, SyncRun
from brain.integrations.providers.commerce import CommerceLoader
from brain.integrations.providers.hubspot import deal_row
from brain.integrations.tasks import RUN_SYNC_JOB, schedule_due_syncs
from brain.integrations.webhook_syncs import WEBHOOK_SYNC_DELAY
from brain.warehouse.models import Customer, Order
from tests.factories import Tenant
from tests.integrations.helpers import RecordingDispatcher, sandbox_connection
from tests.integrations.inbound.conftest import Hooked, hooked_connection
from tests.integrations.inbound.signers import hubspot_headers

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # when the last sync read the records


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def hs_event(event_id: int, subscription: str, object_id: int, occurred: datetime,
             **extra: Any) -> dict[str, Any]:
    """An event shaped as HubSpot's webhook documentation shows it."""
    body: dict[str, Any] = {
        "eventId": event_id, "subscriptionId": 234567, "portalId": 12345678, "appId": 987654,
        "occurredAt": ms(occurred), "subscriptionType": subscription, "attemptNumber": 0,
        "objectId": object_id, "changeSource": "CRM_UI", "sourceId": "userId:45678",
    }
    if subscription.endswith(".creation"):
        body["changeFlag"] = "CREATED"
    if subscription.endswith(".deletion"):
        body["changeFlag"] = "DELETED"
    body.update(extra)
    return body


def change(event_id: int, subscription: str, object_id: int, occurred: datetime, name: str,
           value: str) -> dict[str, Any]:
    return hs_event(event_id, subscription, object_id, occurred, propertyName=name,
                    propertyValue=value)


async def post_events(client: httpx.AsyncClient, runtime: Runtime, hooked: Hooked,
                      clock: FrozenClock, events: list[dict[str, Any]]) -> httpx.Response:
    body = orjson.dumps(events)
    uri = runtime.settings.public_url.rstrip("/") + hooked.url()
    headers = hubspot_headers(hooked.secret, method="POST", uri=uri, body=body,
                              timestamp_ms=ms(clock.now()))
    response = await client.post(hooked.url(), content=body, headers=headers)
    assert response.status_code == 200, response.text
    return response


async def seed_crm(runtime: Runtime, connection: Connection, *, contacts: list[dict[str, Any]],
                   deals: list[dict[str, Any]]) -> None:
    """Records as a sync would have left them."""
    auth = job_auth(connection.organization_id, connection.id)
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        await CrmLoader(auth, connection.id).load(
            session, [*(hubspot_contact(c) for c in contacts), *(hubspot_deal(d) for d in deals)])
        await session.commit()


def contact(contact_id: str, stage: str = "lead", **extra: Any) -> dict[str, Any]:
    return {"id": contact_id, "email": f"c{contact_id}@example.com", "lifecyclestage": stage,
            "createdate": "2026-10-01T10:00:00Z", "lastmodifieddate": T0.isoformat(),
            "hs_lifecyclestage_lead_date": "2026-10-01T10:00:00Z", **extra}


def deal(deal_id: str, stage: str = "appointmentscheduled", **extra: Any) -> dict[str, Any]:
    return {"id": deal_id, "dealname": f"Deal {deal_id}", "amount": "100", "dealstage": stage,
            "createdate": "2026-10-02T10:00:00Z", "hs_lastmodifieddate": T0.isoformat(),
            "hs_is_closed_won": "false", "hs_is_closed": "false", "contact_id": None, **extra}


async def records(db: AsyncSession, tenant: Tenant) -> dict[tuple[str, str], Any]:
    from brain.integrations.crm_models import CrmRecord

    rows = (await db.scalars(select(CrmRecord).where(CrmRecord.organization_id == tenant.id)
                             .execution_options(populate_existing=True))).all()
    return {(r.kind, r.external_id): r for r in rows}


async def statuses(db: AsyncSession, tenant: Tenant) -> dict[str, str]:
    """Each stored event's status by its HubSpot `eventId` (the first part of the key)."""
    rows = (await db.scalars(select(InboundWebhookEvent).where(
        InboundWebhookEvent.organization_id == tenant.id)
        .execution_options(populate_existing=True))).all()
    return {r.provider_event_id.split("/", 1)[0]: r.status for r in rows}


async def connection_of(db: AsyncSession, hooked: Hooked) -> Connection:
    found = await db.scalar(select(Connection).where(Connection.id == hooked.connection.id)
                            .execution_options(populate_existing=True))
    assert found is not None
    return found


async def test_a_batch_of_events_is_applied_to_the_crm_records(
    client: httpx.AsyncClient, tenant: Tenant, hubspot: Hooked, runtime: Runtime,
    db: AsyncSession, clock: FrozenClock,
) -> None:
    await seed_crm(runtime, hubspot.connection, contacts=[contact("101")], deals=[deal("201")])
    t1 = T0 + timedelta(hours=2)
    batch = [
        change(1, "contact.propertyChange", 101, t1, "lifecyclestage", "marketingqualifiedlead"),
        change(2, "contact.propertyChange", 101, t1, "firstname", "Jane"),
        change(3, "deal.propertyChange", 201, t1, "dealstage", "closedwon"),
        change(4, "deal.propertyChange", 201, t1 + timedelta(seconds=1), "amount", "2500.50"),
        change(5, "deal.propertyChange", 201, t1, "dealname", "Annual plan"),
        hs_event(6, "contact.creation", 102, t1),
    ]
    response = await post_events(client, runtime, hubspot, clock, batch)
    assert response.json() == {"received": 6, "stored": 6}
    assert await statuses(db, tenant) == {str(i): "processed" for i in range(1, 7)}

    found = await records(db, tenant)
    person = found[("contact", "101")]
    assert (person.stage, person.funnel_stage) == ("marketingqualifiedlead", "mql")
    assert person.stage_dates["mql"] == t1.isoformat()
    assert person.stage_dates["lead"] == "2026-10-01T10:00:00+00:00"  # kept
    assert person.source_updated_at == T0  # as of the last read
    assert person.property_changed_at == {"lifecyclestage": t1.isoformat()}
    won = found[("deal", "201")]
    assert (won.stage, won.funnel_stage) == ("closedwon", "customer")
    assert won.closed_at == t1
    assert won.amount == 2500.5
    assert won.name == "Annual plan"
    assert won.stage_dates == {"opportunity": "2026-10-02T10:00:00+00:00",
                               "customer": t1.isoformat()}
    assert ("contact", "102") not in found  # a creation carries no data: read it
    hooked = await connection_of(db, hubspot)
    assert hooked.webhook_sync_streams == ["contacts"]
    assert hooked.webhook_sync_at is not None


async def test_a_replayed_delivery_is_processed_once(
    client: httpx.AsyncClient, tenant: Tenant, hubspot: Hooked, runtime: Runtime,
    db: AsyncSession, clock: FrozenClock, monkeypatch: Any,
) -> None:
    await seed_crm(runtime, hubspot.connection, contacts=[contact("101")], deals=[])
    calls: list[int] = []
    handler = inbound.INBOUND_HANDLERS[("hubspot", "contact.propertyChange")]

    async def counting(session: AsyncSession, auth: Any, payload: Any) -> None:
        calls.append(1)
        await handler(session, auth, payload)

    monkeypatch.setitem(inbound.INBOUND_HANDLERS, ("hubspot", "contact.propertyChange"),
                        counting)
    event = change(7, "contact.propertyChange", 101, T0 + timedelta(hours=1),
                   "lifecyclestage", "customer")
    first = await post_events(client, runtime, hubspot, clock, [event])
    assert first.json() == {"received": 1, "stored": 1}
    # HubSpot retries a delivery it did not see acknowledged: the same eventId again.
    retried = await post_events(client, runtime, hubspot, clock, [{**event, "attemptNumber": 1}])
    assert retried.json() == {"received": 1, "stored": 0}
    assert calls == [1]
    assert await statuses(db, tenant) == {"7": "processed"}
    assert (await records(db, tenant))[("contact", "101")].funnel_stage == "customer"


async def test_events_sharing_an_event_id_are_both_kept(
    client: httpx.AsyncClient, tenant: Tenant, hubspot: Hooked, runtime: Runtime,
    db: AsyncSession, clock: FrozenClock,
) -> None:
    # HubSpot documents eventId as not guaranteed unique: two different changes that happen
    # to share one are two events, while a retry of either (attemptNumber + 1) is not.
    await seed_crm(runtime, hubspot.connection, contacts=[contact("101"), contact("102")],
                   deals=[])
    first = change(9, "contact.propertyChange", 101, T0 + timedelta(hours=1),
                   "lifecyclestage", "customer")
    second = change(9, "contact.propertyChange", 102, T0 + timedelta(hours=1),
                    "lifecyclestage", "opportunity")
    stored = await post_events(client, runtime, hubspot, clock, [first, second])
    assert stored.json() == {"received": 2, "stored": 2}
    retried = await post_events(client, runtime, hubspot, clock,
                                [{**second, "attemptNumber": 1}])
    assert retried.json() == {"received": 1, "stored": 0}
    crm = await records(db, tenant)
    assert crm[("contact", "101")].funnel_stage == "customer"
    assert crm[("contact", "102")].funnel_stage == "opportunity"


async def test_a_late_older_change_does_not_undo_a_newer_one(
    client: httpx.AsyncClient, tenant: Tenant, hubspot: Hooked, runtime: Runtime,
    db: AsyncSession, clock: FrozenClock,
) -> None:
    await seed_crm(runtime, hubspot.connection, contacts=[contact("101")], deals=[])
    t1, t2 = T0 + timedelta(hours=1), T0 + timedelta(hours=2)
    await post_events(client, runtime, hubspot, clock, [
        change(101, "contact.propertyChange", 101, t2, "lifecyclestage", "opportunity")])
    # HubSpot redelivers an earlier change late (another delivery, a retry).
    await post_events(client, runtime, hubspot, clock, [
        change(100, "contact.propertyChange", 101, t1, "lifecyclestage", "salesqualifiedlead"),
        change(102, "contact.propertyChange", 101, t1, "hs_lifecyclestage_salesqualifiedlead_date",
               str(ms(t1))),
    ])
    assert set((await statuses(db, tenant)).values()) == {"processed"}
    person = (await records(db, tenant))[("contact", "101")]
    assert (person.stage, person.funnel_stage) == ("opportunity", "opportunity")
    assert person.stage_dates["sql"] == t1.isoformat()  # another property: applied
    assert (await connection_of(db, hubspot)).webhook_sync_streams is None
    # The next read supersedes what webhooks applied.
    await seed_crm(runtime, hubspot.connection, contacts=[contact("101", "customer")], deals=[])
    reread = (await records(db, tenant))[("contact", "101")]
    assert (reread.funnel_stage, reread.property_changed_at) == ("customer", None)


async def test_deletions_remove_records_and_a_deleted_deals_order(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime, db: AsyncSession,
    clock: FrozenClock,
) -> None:
    hooked = await hooked_connection(runtime, tenant, "hubspot", "hubspot-client-secret-5678")
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        stored = await session.get(Connection, hooked.connection.id)
        assert stored is not None
        stored.config = {"import_won_deals": True}
        won = deal("301", "closedwon", hs_is_closed_won="true", hs_is_closed="true",
                   closedate="2026-11-01T12:00:00Z", amount="900", contact_id="101")
        await CommerceLoader(job_auth(tenant.id, stored.id)).load_orders(
            session, [deal_row(won)])
        await session.commit()
    await seed_crm(runtime, hooked.connection, contacts=[contact("101"), contact("102")],
                   deals=[won, deal("302")])
    assert await db.scalar(select(func.count()).select_from(Order).where(
        Order.organization_id == tenant.id, Order.deleted_at.is_(None))) == 1
    t1 = T0 + timedelta(hours=1)
    await post_events(client, runtime, hooked, clock, [
        hs_event(11, "deal.deletion", 301, t1),
        hs_event(12, "contact.deletion", 101, t1),
        hs_event(13, "contact.privacyDeletion", 102, t1),
    ])
    assert await statuses(db, tenant) == {"11": "processed", "12": "processed",
                                          "13": "processed"}
    assert set(await records(db, tenant)) == {("deal", "302")}
    assert await db.scalar(select(func.count()).select_from(Order).where(
        Order.organization_id == tenant.id, Order.deleted_at.is_(None))) == 0


async def test_a_deal_won_by_webhook_becomes_an_order_when_the_connection_imports_them(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime, db: AsyncSession,
    clock: FrozenClock,
) -> None:
    hooked = await hooked_connection(runtime, tenant, "hubspot", "hubspot-client-secret-5678")
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        stored = await session.get(Connection, hooked.connection.id)
        assert stored is not None
        stored.config = {"import_won_deals": True}
        await session.commit()
    await seed_crm(runtime, hooked.connection, contacts=[],
                   deals=[deal("401", amount="750", contact_id="101")])
    closed = T0 + timedelta(days=1)
    await post_events(client, runtime, hooked, clock, [
        change(21, "deal.propertyChange", 401, closed, "dealstage", "closedwon")])
    [order] = (await db.scalars(select(Order).where(Order.organization_id == tenant.id))).all()
    assert order.external_id == "hubspot:deal:401"
    assert (order.revenue, order.order_date) == (750.0, closed.date())
    customer = await db.get(Customer, order.customer_id)
    assert customer is not None
    assert customer.external_id == "hubspot:contact:101"
    await post_events(client, runtime, hooked, clock, [
        change(22, "deal.propertyChange", 401, closed + timedelta(hours=1), "dealstage",
               "contractsent")])  # re-opened: no longer revenue
    assert await db.scalar(select(func.count()).select_from(Order).where(
        Order.organization_id == tenant.id, Order.deleted_at.is_(None))) == 0
    reopened = (await records(db, tenant))[("deal", "401")]
    assert (reopened.funnel_stage, reopened.closed_at) == ("opportunity", None)


async def test_an_email_change_relinks_the_contact_and_its_deals(
    client: httpx.AsyncClient, tenant: Tenant, hubspot: Hooked, runtime: Runtime,
    db: AsyncSession, clock: FrozenClock,
) -> None:
    shopper = Customer(organization_id=tenant.id, external_id="shopify:77",
                       email="Jane.Doe@Example.com")
    db.add(shopper)
    await db.commit()
    await seed_crm(runtime, hubspot.connection, contacts=[contact("101")],
                   deals=[deal("201", contact_id="101")])
    await post_events(client, runtime, hubspot, clock, [
        change(31, "contact.propertyChange", 101, T0 + timedelta(hours=1), "email",
               "jane.doe@example.com")])
    found = await records(db, tenant)
    person = found[("contact", "101")]
    assert person.customer_id == shopper.id
    assert person.email_hash == hashlib.sha256(b"jane.doe@example.com").hexdigest()
    assert found[("deal", "201")].customer_id == shopper.id


async def test_what_an_event_cannot_settle_is_read_again_and_old_news_is_skipped(
    client: httpx.AsyncClient, tenant: Tenant, hubspot: Hooked, runtime: Runtime,
    db: AsyncSession, clock: FrozenClock,
) -> None:
    await seed_crm(runtime, hubspot.connection,
                   contacts=[contact("101", "customer"), contact("103")], deals=[deal("201")])
    await post_events(client, runtime, hubspot, clock, [
        # From before the last read: the read already holds it (or something newer).
        change(41, "contact.propertyChange", 101, T0 - timedelta(hours=1), "lifecyclestage",
               "lead"),
        # A record Brain has not read yet.
        change(42, "contact.propertyChange", 999, T0, "lifecyclestage", "lead"),
        # A custom pipeline's stage: open or closed?
        change(43, "deal.propertyChange", 201, T0 + timedelta(hours=1), "dealstage",
               "9876543"),
        # A merge: the merged-away contact goes, the survivor is read again.
        hs_event(44, "contact.merge", 101, T0 + timedelta(hours=1), primaryObjectId=101,
                 mergedObjectIds=[103]),
    ])
    assert set((await statuses(db, tenant)).values()) == {"processed"}
    found = await records(db, tenant)
    assert found[("contact", "101")].funnel_stage == "customer"  # not rolled back
    assert found[("deal", "201")].stage == "appointmentscheduled"
    assert ("contact", "103") not in found
    hooked = await connection_of(db, hubspot)
    assert hooked.webhook_sync_streams == ["contacts", "deals"]


async def test_events_without_data_ask_for_one_coalesced_sync_of_their_streams(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime, db: AsyncSession,
    clock: FrozenClock,
) -> None:
    connection = await sandbox_connection(runtime, tenant.id, "hubspot", days=30)
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        stored = await session.get(Connection, connection.id)
        assert stored is not None
        await set_secret(session, runtime.keys, stored, "hubspot-client-secret-5678")
        await session.commit()
    hooked = Hooked(connection=connection, secret="hubspot-client-secret-5678")
    before = utcnow()
    await post_events(client, runtime, hooked, clock, [
        hs_event(51 + i, "contact.creation", 500 + i, T0) for i in range(5)])
    first = await connection_of(db, hooked)
    assert first.webhook_sync_streams == ["contacts"]
    due = first.webhook_sync_at
    assert due is not None
    assert before + WEBHOOK_SYNC_DELAY <= due <= utcnow() + WEBHOOK_SYNC_DELAY
    await post_events(client, runtime, hooked, clock, [
        hs_event(60, "deal.creation", 600, T0), hs_event(61, "contact.restore", 501, T0)])
    second = await connection_of(db, hooked)
    assert second.webhook_sync_streams == ["contacts", "deals"]
    assert second.webhook_sync_at == due  # later events join the round, not delay it

    recorder = RecordingDispatcher()
    assert await schedule_due_syncs(runtime, recorder) == 0  # not due yet
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        stored = await session.get(Connection, connection.id)
        assert stored is not None
        stored.webhook_sync_at = utcnow() - timedelta(seconds=1)
        stored.schedule_minutes = None  # only the webhook round is due
        await session.commit()
    assert await schedule_due_syncs(runtime, recorder) == 1
    assert await schedule_due_syncs(runtime, recorder) == 0  # one run for the round
    [run] = (await db.scalars(select(SyncRun).where(SyncRun.connection_id == connection.id)
                              .execution_options(populate_existing=True))).all()
    assert (run.trigger, run.mode, run.status) == ("webhook", "delta", "queued")
    assert run.only_streams == ["contacts", "deals"]
    assert run.end_date == utcnow().date()
    assert recorder.sent == [(RUN_SYNC_JOB, {"sync_run_id": str(run.id),
                                             "organization_id": str(tenant.id)})]
    cleared = await connection_of(db, hooked)
    assert (cleared.webhook_sync_streams, cleared.webhook_sync_at) == (None, None)

    # While a run is in flight a new round waits for it.
    await post_events(client, runtime, hooked, clock, [hs_event(70, "deal.creation", 700, T0)])
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        stored = await session.get(Connection, connection.id)
        assert stored is not None
        stored.webhook_sync_at = utcnow() - timedelta(seconds=1)
        await session.commit()
    assert await schedule_due_syncs(runtime, recorder) == 0
    result = await SyncEngine(runtime, dispatcher=RecordingDispatcher(),
                              request_brain_run=False).run(
        sync_run_id=run.id, organization_id=tenant.id)
    assert result.status == "succeeded", result.error
    finished = await db.get(SyncRun, run.id, populate_existing=True)
    assert finished is not None
    assert set(finished.streams) == {"contacts", "deals"}
    assert await schedule_due_syncs(runtime, recorder) == 1
    latest = await db.scalar(select(SyncRun).where(
        SyncRun.connection_id == connection.id, SyncRun.id != run.id))
    assert latest is not None
    assert latest.only_streams == ["deals"]


async def test_a_switched_off_stream_is_not_read_for_webhooks(
    client: httpx.AsyncClient, tenant: Tenant, hubspot: Hooked, runtime: Runtime,
    db: AsyncSession, clock: FrozenClock,
) -> None:
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        stored = await session.get(Connection, hubspot.connection.id)
        assert stored is not None
        stored.disabled_streams = ["deals"]
        await session.commit()
    await post_events(client, runtime, hubspot, clock, [hs_event(80, "deal.creation", 1, T0)])
    hooked = await connection_of(db, hubspot)
    assert (hooked.webhook_sync_streams, hooked.webhook_sync_at) == (None, None)


async def test_a_poison_event_in_a_batch_ends_in_the_dead_letters_alone(
    client: httpx.AsyncClient, tenant: Tenant, hubspot: Hooked, runtime: Runtime,
    db: AsyncSession, clock: FrozenClock,
) -> None:
    await seed_crm(runtime, hubspot.connection, contacts=[contact("101"), contact("102")],
                   deals=[])
    t1 = T0 + timedelta(hours=1)
    poison = change(92, "contact.propertyChange", 0, t1, "lifecyclestage", "customer")
    del poison["objectId"]
    await post_events(client, runtime, hubspot, clock, [
        change(91, "contact.propertyChange", 101, t1, "lifecyclestage", "salesqualifiedlead"),
        poison,
        change(93, "contact.propertyChange", 102, t1, "lifecyclestage", "opportunity"),
    ])
    # The batch failed as a whole, then each event went alone: the good ones are applied.
    assert await statuses(db, tenant) == {"91": "processed", "92": "pending",
                                          "93": "processed"}
    found = await records(db, tenant)
    assert found[("contact", "101")].funnel_stage == "sql"
    assert found[("contact", "102")].funnel_stage == "opportunity"
    for _ in range(8):
        clock.advance(timedelta(hours=2))
        await inbound.process_due(runtime)
    assert (await statuses(db, tenant))["92"] == "dead"
    listed = await client.get(tenant.path("/webhooks/dead-letters"), headers=tenant.admin,
                              params={"connection_id": str(hubspot.connection.id)})
    assert listed.status_code == 200, listed.text
    [letter] = listed.json()["data"]
    assert letter["event_type"] == "contact.propertyChange"
    assert letter["attempts"] == inbound.MAX_PROCESSING_ATTEMPTS
    assert "objectId" in letter["error"]


def test_events_are_parsed_as_documented() -> None:
    from brain.integrations.hubspot_webhooks import parse_event

    parsed = parse_event(change(1, "deal.propertyChange", 42, T0, "amount", "10"))
    assert (parsed.object_type, parsed.action, parsed.object_id) == ("deal", "propertyChange",
                                                                     "42")
    assert (parsed.property_name, parsed.property_value, parsed.occurred_at) == (
        "amount", "10", T0)
    merge = parse_event(hs_event(2, "contact.merge", 7, T0, primaryObjectId=7,
                                 mergedObjectIds=[8, 9]))
    assert (merge.object_id, merge.merged_ids) == ("7", ("8", "9"))
    for bad in ({"subscriptionType": "contact.creation"}, [],
                {"subscriptionType": "contact.propertyChange", "objectId": 1},
                {"subscriptionType": "company.creation", "objectId": 1}):
        try:
            parse_event(bad)
        except ValueError:
            continue
        raise AssertionError(f"accepted {bad!r}")
