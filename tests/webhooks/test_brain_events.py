"""`oracle.alert.created` and `curiosity.action.created` from real pipeline runs (modules
replaced by the hand-built answers of `builders`), through the outbox to a loopback receiver:
the documented payloads, only new alerts, nothing from a failed or rolled-back run."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.brain_modules import pipeline, webhook_events
from brain.brain_modules.actions.service import FeedbackHistory, persist_proposals
from brain.brain_modules.contracts import BrainData, ChannelDecay, LtvDrift, OracleResult
from brain.brain_modules.pipeline import execute_run
from brain.brain_modules.runs.models import BrainAction, BrainRun
from brain.brain_modules.runs.repository import pipeline_context
from brain.brain_modules.runs.service import initial_modules
from brain.core.clock import FrozenClock
from brain.core.db import ORG_INFO_KEY
from brain.core.runtime import Runtime
from brain.webhooks.events import MAX_ORACLE_ALERTS_PER_RUN, payload_time
from brain.webhooks.models import WebhookEvent
from brain.webhooks.tasks import pump_once
from tests.brain_modules.pipeline.builders import (
    C12,
    META,
    TIKTOK,
    brain_data,
    curiosity_result,
    memory_result,
    oracle_result,
)
from tests.factories import Tenant
from tests.webhooks.helpers import create_endpoint
from tests.webhooks.receiver import Receiver

ALERT = "oracle.alert.created"
ACTION = "curiosity.action.created"


class Brain:
    """The pipeline's modules answering with hand-built results; `oracle` is what the next
    run's ORACLE answers."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, tenant: Tenant) -> None:
        import brain.brain_modules.curiosity as curiosity_module
        import brain.brain_modules.data as data_module
        import brain.brain_modules.memory as memory_module
        import brain.brain_modules.oracle as oracle_module
        import brain.brain_modules.runs.oracle_model as oracle_model_module

        self.data = brain_data(60, tenant.id)
        self.oracle = oracle_result()

        async def load(session: AsyncSession, organization_id: Any, **_: Any) -> BrainData:
            return self.data

        async def no_model(*args: Any, **kwargs: Any) -> None:
            return None

        monkeypatch.setattr(data_module, "load_brain_data", load)
        monkeypatch.setattr(memory_module, "run_memory",
                            lambda data, **_: memory_result(data))
        monkeypatch.setattr(oracle_model_module, "resolve_oracle_model", no_model)
        monkeypatch.setattr(oracle_module, "run_oracle", lambda *a, **k: self.oracle)
        monkeypatch.setattr(curiosity_module, "run_curiosity",
                            lambda *a, **k: curiosity_result())


@pytest.fixture
def brain(monkeypatch: pytest.MonkeyPatch, tenant: Tenant) -> Brain:
    return Brain(monkeypatch, tenant)


async def run_brain(db: AsyncSession, runtime: Runtime, tenant: Tenant,
                    clock: FrozenClock) -> tuple[uuid.UUID, str]:
    """Queue a run and execute it as the job does; the clock then moves on 10 minutes."""
    run = BrainRun(organization_id=tenant.id, status="queued", trigger="manual",
                   modules=initial_modules())
    db.add(run)
    await db.commit()
    status = await execute_run(runtime, organization_id=tenant.id, run_id=run.id)
    clock.advance(timedelta(minutes=10))
    return run.id, status


def received(receiver: Receiver, path: str) -> list[dict[str, Any]]:
    """The `data` of what `path` got, after checking each envelope's type."""
    expected = {"/alerts": ALERT, "/actions": ACTION}[path]
    out = []
    for message in receiver.received:
        if message.path == path:
            envelope = orjson.loads(message.body)
            assert envelope["type"] == expected
            out.append(envelope["data"])
    return out


async def outbox_count(db: AsyncSession, tenant: Tenant, event_type: str) -> int:
    return int(await db.scalar(select(func.count()).select_from(WebhookEvent).where(
        WebhookEvent.organization_id == tenant.id, WebhookEvent.event_type == event_type)) or 0)


def by_entity(alerts: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(a["kind"], a["entity_id"]): a for a in alerts}


async def test_new_alerts_are_sent_once_with_the_documented_payload(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, runtime: Runtime,
    receiver: Receiver, clock: FrozenClock, brain: Brain,
) -> None:
    await create_endpoint(client, tenant, receiver.url("/alerts"), [ALERT])
    finished_at = payload_time(clock.now())
    run_id, status = await run_brain(db, runtime, tenant, clock)
    assert status == "succeeded"
    await pump_once(runtime)
    alerts = by_entity(received(receiver, "/alerts"))
    common = {"run_id": str(run_id), "created_at": finished_at}
    assert alerts == {
        ("channel_decay", str(TIKTOK)): {
            **common, "kind": "channel_decay", "severity": "high", "probability": None,
            "entity_id": str(TIKTOK), "entity_name": "TikTok",
            "message": "TikTok is decaying: ROAS -32% per 28 days."},
        ("creative_fatigue", str(C12)): {
            **common, "kind": "creative_fatigue", "severity": "high", "probability": 0.91,
            "entity_id": str(C12), "entity_name": "C12",
            "message": "C12 has a 91% chance of fatiguing within 7 days."},
        ("ltv_drift", "2026-06-01"): {
            **common, "kind": "ltv_drift", "severity": "medium", "probability": None,
            "entity_id": "2026-06-01", "entity_name": "Jun 2026",
            "message": "The Jun 2026 cohort's LTV is 10% below its baseline."},
        ("ltv_drift", "2026-07-01"): {
            **common, "kind": "ltv_drift", "severity": "high", "probability": None,
            "entity_id": "2026-07-01", "entity_name": "Jul 2026",
            "message": "The Jul 2026 cohort's LTV is 12% below its baseline."},
    }
    # The same alerts as FACE shows, FACE's own data alerts (freshness, gaps) aside.
    face = (await client.get(tenant.path("/face"), headers=tenant.viewer)).json()
    assert {(a["kind"], a["entity_id"]) for a in face["alerts"]
            if a["kind"] in webhook_events.ORACLE_ALERT_KINDS} == set(alerts)

    # The next run raises the same alerts (TikTok now only medium): nothing is sent again.
    brain.oracle = replace(brain.oracle, channels=[
        ChannelDecay(TIKTOK, "TikTok", "medium", -0.2, 0.05, []),
        ChannelDecay(META, "Meta", "none", 0.01, 0.0, [])])
    assert (await run_brain(db, runtime, tenant, clock))[1] == "succeeded"
    await pump_once(runtime)
    assert len(received(receiver, "/alerts")) == 4

    # C12 recovers and Meta starts decaying: only Meta's alert is new.
    brain.oracle = replace(
        brain.oracle,
        creatives=[replace(c, fatigue_probability_7d=0.2) for c in brain.oracle.creatives],
        channels=[ChannelDecay(TIKTOK, "TikTok", "medium", -0.2, 0.05, []),
                  ChannelDecay(META, "Meta", "medium", -0.18, 0.1, [])])
    third, _ = await run_brain(db, runtime, tenant, clock)
    await pump_once(runtime)
    latest = received(receiver, "/alerts")[4:]
    assert [(a["kind"], a["entity_name"], a["run_id"]) for a in latest] == [
        ("channel_decay", "Meta", str(third))]

    # C12's fatigue comes back: it was not in the previous run, so it is new again (TikTok,
    # raised all along, is not).
    brain.oracle = oracle_result()
    await run_brain(db, runtime, tenant, clock)
    await pump_once(runtime)
    assert [(a["kind"], a["entity_name"]) for a in received(receiver, "/alerts")[5:]] == [
        ("creative_fatigue", "C12")]


async def test_every_stored_action_is_sent_with_the_documented_payload(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, runtime: Runtime,
    receiver: Receiver, clock: FrozenClock, brain: Brain,
) -> None:
    await create_endpoint(client, tenant, receiver.url("/actions"), [ACTION])
    await create_endpoint(client, tenant, receiver.url("/alerts"), [ALERT])
    run_id, status = await run_brain(db, runtime, tenant, clock)
    assert status == "succeeded"
    await pump_once(runtime)
    actions = (await db.scalars(select(BrainAction).where(
        BrainAction.organization_id == tenant.id).order_by(BrainAction.rank))).all()
    assert len(actions) == 4
    sent = {a["action_id"]: a for a in received(receiver, "/actions")}
    assert sent == {
        str(action.id): {
            "action_id": str(action.id), "run_id": str(run_id), "type": action.type,
            "rationale": "TikTok's marginal ROAS is below Meta's.",
            "target": {"kind": "channel", "id": str(TIKTOK), "name": "TikTok"},
            "estimated_impact_usd": action.impact_usd, "confidence": 0.72,
            "urgency": "high", "needs_human": False,
            "created_at": payload_time(action.created_at),
        }
        for action in actions
    }
    assert [sent[str(a.id)]["type"] for a in actions] == [
        "shift_budget", "refresh_creative", "increase_budget", "focus_retention"]
    assert sent[str(actions[0].id)]["estimated_impact_usd"] == 18_400.0
    # Each endpoint got only its own type.
    assert len(received(receiver, "/alerts")) == 4


async def test_a_failed_run_sends_no_alert_and_keeps_them_new(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, runtime: Runtime,
    receiver: Receiver, clock: FrozenClock, brain: Brain, monkeypatch: pytest.MonkeyPatch,
) -> None:
    await create_endpoint(client, tenant, receiver.url("/alerts"), [ALERT])
    await create_endpoint(client, tenant, receiver.url("/actions"), [ACTION])

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("FACE could not render")

    real_face = pipeline.face_output
    monkeypatch.setattr(pipeline, "face_output", broken)
    assert (await run_brain(db, runtime, tenant, clock))[1] == "failed"
    await pump_once(runtime)
    assert received(receiver, "/alerts") == []
    assert await outbox_count(db, tenant, ALERT) == 0
    # The actions were stored (CURIOSITY's step committed before FACE failed): announced.
    assert len(received(receiver, "/actions")) == 4

    # The run's success is one transaction with its alerts: when it rolls back, none exist.
    monkeypatch.setattr(pipeline, "face_output", real_face)
    real = webhook_events.emit_new_oracle_alerts

    async def then_fail(*args: Any, **kwargs: Any) -> int:
        await real(*args, **kwargs)
        raise RuntimeError("the commit failed")

    monkeypatch.setattr(pipeline, "emit_new_oracle_alerts", then_fail)
    failed, status = await run_brain(db, runtime, tenant, clock)
    assert status == "failed"
    stored = await db.get(BrainRun, failed, populate_existing=True)
    assert stored is not None
    assert stored.status == "failed"
    assert await outbox_count(db, tenant, ALERT) == 0

    # Failed runs do not count as having raised their alerts: the next success sends all.
    monkeypatch.setattr(pipeline, "emit_new_oracle_alerts", real)
    assert (await run_brain(db, runtime, tenant, clock))[1] == "succeeded"
    await pump_once(runtime)
    assert len(received(receiver, "/alerts")) == 4


async def test_rolled_back_actions_send_nothing(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, runtime: Runtime,
    receiver: Receiver, clock: FrozenClock,
) -> None:
    await create_endpoint(client, tenant, receiver.url("/actions"), [ACTION])
    run = BrainRun(organization_id=tenant.id, status="running", trigger="manual",
                   modules=initial_modules())
    db.add(run)
    await db.commit()
    async with runtime.session_factory() as session:
        session.info[ORG_INFO_KEY] = tenant.id
        stored = await persist_proposals(
            session, pipeline_context(tenant.id, run.id), run_id=run.id,
            curiosity=curiosity_result(), history=FeedbackHistory(), now=clock.now())
        assert len(stored) == 4
        await session.rollback()
    assert (await pump_once(runtime)).events_fanned_out == 0
    assert received(receiver, "/actions") == []


async def test_alerts_of_one_run_are_capped_most_severe_first(
    db: AsyncSession, tenant: Tenant, clock: FrozenClock,
) -> None:
    drifts = [LtvDrift(date(2020 + n // 12, n % 12 + 1, 1), 90.0, 120.0, -0.25,
                       "high" if n % 2 else "medium") for n in range(70)]
    oracle = OracleResult(creatives=[], channels=[], ltv_drift=drifts, risk_level="red",
                          risk_reasons=[], model_version="oracle-test-1")
    run_id = uuid.uuid4()
    written = await webhook_events.emit_new_oracle_alerts(
        db, pipeline_context(tenant.id, run_id), run_id=run_id, oracle=oracle,
        now=clock.now())
    assert written == MAX_ORACLE_ALERTS_PER_RUN == 50
    rows = (await db.scalars(select(WebhookEvent).where(
        WebhookEvent.organization_id == tenant.id, WebhookEvent.event_type == ALERT))).all()
    severities = [row.payload["severity"] for row in rows]
    assert severities.count("high") == 35
    assert severities.count("medium") == 15
