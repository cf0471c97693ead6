"""The brain's outbound webhook events, written to the outbox in the producer's transaction.

* `oracle.alert.created`: the FACE alerts that come from ORACLE (`ORACLE_ALERT_KINDS`) which
  the tenant's previous succeeded run did not show. An alert is identified by its kind and
  entity (a creative, a channel, a cohort month): one still raised, even at another
  severity, is not sent again; one that went away and came back is. Written in the
  transaction that marks the run succeeded, so a run that fails sends none; at most
  `MAX_ORACLE_ALERTS_PER_RUN` per run, the most severe first (the rest show in FACE only).
* `curiosity.action.created`: one per action `persist_proposals` stores, in its transaction.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from brain.brain_modules.contracts import OracleResult
from brain.brain_modules.face.summary import build_alerts
from brain.brain_modules.runs.models import BrainAction
from brain.brain_modules.runs.repository import BrainRunRepository, ModuleOutputRepository
from brain.core.auth import AuthContext
from brain.webhooks.events import MAX_ORACLE_ALERTS_PER_RUN, payload_time
from brain.webhooks.outbox import enqueue_event

ORACLE_ALERT_CREATED = "oracle.alert.created"
CURIOSITY_ACTION_CREATED = "curiosity.action.created"
# The kinds of FACE alert ORACLE raises (FACE adds data freshness and data gaps of its own).
ORACLE_ALERT_KINDS = frozenset({"creative_fatigue", "channel_decay", "ltv_drift"})

AlertKey = tuple[str, str | None]


def oracle_alerts(oracle: OracleResult) -> list[dict[str, Any]]:
    """ORACLE's alerts as FACE shows them (most severe first)."""
    # Without MEMORY and a data date, `build_alerts` returns only the ORACLE kinds.
    alerts = build_alerts(oracle, None, None, date.min)
    return [alert for alert in alerts if alert["kind"] in ORACLE_ALERT_KINDS]


def alert_key(alert: dict[str, Any]) -> AlertKey:
    entity = alert.get("entity_id")
    return str(alert.get("kind")), None if entity is None else str(entity)


async def previous_alert_keys(session: AsyncSession, auth: AuthContext) -> set[AlertKey]:
    """The ORACLE alerts of the tenant's latest succeeded run (its stored FACE document)."""
    last = await BrainRunRepository(session, auth).latest_succeeded()
    if last is None:
        return set()
    face = await ModuleOutputRepository(session, auth).for_run(last.id, "face")
    stored = face.output.get("alerts") if face is not None and isinstance(face.output, dict) \
        else None
    if not isinstance(stored, list):
        return set()
    return {alert_key(alert) for alert in stored
            if isinstance(alert, dict) and alert.get("kind") in ORACLE_ALERT_KINDS}


def _finite(value: float | None) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def alert_payload(
    alert: dict[str, Any], *, run_id: uuid.UUID, probability: float | None, now: datetime
) -> dict[str, Any]:
    return {
        "run_id": str(run_id),
        "kind": alert["kind"],
        "severity": alert["severity"],
        "probability": probability,
        "entity_id": alert["entity_id"],
        "entity_name": alert["entity_name"],
        "message": alert["message"],
        "created_at": payload_time(now),
    }


async def emit_new_oracle_alerts(
    session: AsyncSession, auth: AuthContext, *, run_id: uuid.UUID, oracle: OracleResult,
    now: datetime,
) -> int:
    """Write `oracle.alert.created` for each alert the previous succeeded run did not have
    (call before this run is marked succeeded); returns how many were written."""
    seen = await previous_alert_keys(session, auth)
    fresh = [alert for alert in oracle_alerts(oracle) if alert_key(alert) not in seen]
    # The 7-day fatigue probability of a creative's alert (the other kinds have none).
    probability = {str(c.creative_id): _finite(c.fatigue_probability_7d)
                   for c in oracle.creatives}
    sent = fresh[:MAX_ORACLE_ALERTS_PER_RUN]
    for alert in sent:
        chance = probability.get(alert_key(alert)[1] or "") \
            if alert["kind"] == "creative_fatigue" else None
        await enqueue_event(
            session, auth.organization_id, ORACLE_ALERT_CREATED,
            alert_payload(alert, run_id=run_id, probability=chance, now=now), now=now,
        )
    return len(sent)


def action_payload(action: BrainAction) -> dict[str, Any]:
    return {
        "action_id": str(action.id),
        "run_id": str(action.run_id),
        "type": action.type,
        "rationale": action.rationale,
        "target": {"kind": action.target_kind, "id": action.target_id,
                   "name": action.target_name},
        "estimated_impact_usd": action.impact_usd,
        "confidence": action.confidence,
        "urgency": action.urgency,
        "needs_human": action.needs_human,
        "created_at": payload_time(action.created_at),
    }


async def emit_actions_created(
    session: AsyncSession, organization_id: uuid.UUID, actions: Iterable[BrainAction],
    *, now: datetime | None = None,
) -> None:
    """Write `curiosity.action.created` for each stored (flushed) action."""
    for action in actions:
        await enqueue_event(session, organization_id, CURIOSITY_ACTION_CREATED,
                            action_payload(action), now=now)
