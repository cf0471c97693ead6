"""Actions: listed best first, accepted or rejected once (with a reason), audited, and the
feedback history that makes a rejected action disappear from later runs."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.audit.models import AuditEvent
from brain.brain_modules.actions.service import feedback_history
from brain.brain_modules.runs.models import BrainActionFeedback
from brain.brain_modules.runs.repository import pipeline_context
from tests.brain_modules.api.stored import store_finished_run
from tests.factories import Tenant
from tests.platform.helpers import assert_problem


async def _actions(client: httpx.AsyncClient, tenant: Tenant, query: str = "") -> list[dict]:  # type: ignore[type-arg]
    response = await client.get(tenant.path(f"/actions{query}"), headers=tenant.viewer)
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


async def test_actions_are_listed_best_first(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant
) -> None:
    await store_finished_run(db, tenant.id)
    actions = await _actions(client, tenant)
    assert [a["rank"] for a in actions] == [1, 2, 3, 4]
    top = actions[0]
    assert top["type"] == "shift_budget"
    assert top["target"] == {"kind": "channel", "id": top["target"]["id"],
                             "name": "TikTok"}
    assert top["amount"] == {"current": 500.0, "recommended": 450.0}
    assert top["estimated_impact_usd"] == 18_400.0
    assert top["estimated_impact_interval"]["ci_low"] == 9_200.0
    assert top["status"] == "proposed"
    assert top["needs_human"] is False
    assert top["details"]["nan"] is None
    assert {"id", "type", "target", "amount", "estimated_impact_usd", "rationale", "urgency",
            "confidence", "needs_human", "status"} <= set(top)


async def test_accept_and_reject_once_with_feedback_and_audit(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant
) -> None:
    await store_finished_run(db, tenant.id)
    first, second = (await _actions(client, tenant))[:2]
    accepted = await client.post(tenant.path(f"/actions/{first['id']}/accept"),
                                 headers=tenant.analyst)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["decided_at"] is not None
    rejected = await client.post(tenant.path(f"/actions/{second['id']}/reject"),
                                 headers=tenant.analyst,
                                 json={"reason": "Creative team is busy this week"})
    assert rejected.json()["status"] == "rejected"
    again = await client.post(tenant.path(f"/actions/{first['id']}/reject"),
                              headers=tenant.analyst)
    assert assert_problem(again, 409)["action_status"] == "accepted"
    # The open list no longer shows them; the status filter does.
    assert [a["rank"] for a in await _actions(client, tenant)] == [3, 4]
    assert [a["id"] for a in await _actions(client, tenant, "?status=rejected")] == [
        second["id"]
    ]

    feedback = (await db.scalars(select(BrainActionFeedback).where(
        BrainActionFeedback.organization_id == tenant.id))).all()
    assert {(f.decision, f.reason) for f in feedback} == {
        ("accepted", None), ("rejected", "Creative team is busy this week")}
    events = (await db.scalars(select(AuditEvent).where(
        AuditEvent.organization_id == tenant.id,
        AuditEvent.action.like("brain.action.%")))).all()
    assert sorted(e.action for e in events) == ["brain.action.accepted", "brain.action.rejected"]

    history = await feedback_history(db, pipeline_context(tenant.id, tenant.id),
                                     now=datetime.now(UTC))
    assert history.acceptance_rate("shift_budget") == 1.0
    assert history.acceptance_rate("refresh_creative") == 0.0
    assert history.acceptance_rate("focus_retention") is None
    assert set(history.rejected_fingerprints) == {"refresh:c12"}

    # The next run proposes the same four; the rejected one is not stored again, the
    # accepted one waits for its effect, and the still-open ones are superseded.
    await store_finished_run(db, tenant.id, history=history)
    open_now = await _actions(client, tenant)
    assert [a["type"] for a in open_now] == ["increase_budget", "focus_retention"]
    superseded = await _actions(client, tenant, "?status=superseded")
    assert len(superseded) == 2


async def test_viewer_cannot_decide_and_bad_input_is_4xx(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant
) -> None:
    await store_finished_run(db, tenant.id)
    action = (await _actions(client, tenant))[0]
    url = tenant.path(f"/actions/{action['id']}/reject")
    assert_problem(await client.post(url, headers=tenant.viewer), 403)
    assert_problem(await client.post(url, headers=tenant.analyst, json={"reason": "x" * 1001}),
                   422)
    assert_problem(await client.post(url, headers=tenant.analyst, json={"because": "no"}), 422)
    stale = await client.post(url, headers={**tenant.analyst, "If-Match": '"stale"'})
    assert_problem(stale, 412)
    fresh = await client.get(tenant.path("/actions"), headers=tenant.viewer)
    assert fresh.json()["data"][0]["status"] == "proposed"


async def test_actions_of_another_tenant_are_404(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, other_tenant: Tenant
) -> None:
    await store_finished_run(db, tenant.id)
    action = (await _actions(client, tenant))[0]
    response = await client.post(other_tenant.path(f"/actions/{action['id']}/accept"),
                                 headers=other_tenant.analyst)
    assert_problem(response, 404)
    assert await _actions(client, other_tenant) == []
