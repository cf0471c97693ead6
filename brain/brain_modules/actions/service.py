"""CURIOSITY's proposals as rows: stored per run, accepted or rejected by people, and the
feedback history the next CURIOSITY run learns from.

Rules:
* a new run's proposals supersede the previous run's still-open ones (one live list);
* a proposal whose fingerprint (type, target, rounded amount) was rejected before is not
  stored again unchanged, nor one accepted in the last `ACCEPTED_COOLDOWN` (the change is
  being made; its effect is not in the data yet);
* accept/reject works once, on a proposed action (409 otherwise), records who and why in
  `brain_action_feedback` and in the audit trail;
* every stored proposal is announced to webhook subscribers (`curiosity.action.created`,
  written to the outbox in the same transaction).
"""

from __future__ import annotations

import math
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from brain.audit.service import record_audit
from brain.brain_modules.contracts import ActionProposal, CuriosityResult
from brain.brain_modules.runs.models import (
    ActionStatus,
    BrainAction,
    BrainActionFeedback,
    Decision,
)
from brain.brain_modules.serialize import to_json
from brain.brain_modules.webhook_events import emit_actions_created
from brain.core.auth import AuthContext
from brain.core.clock import Clock
from brain.core.errors import ProblemError
from brain.core.tenancy import TenantRepository, scope_to_tenant

ACCEPTED_COOLDOWN = timedelta(days=14)


class ActionRepository(TenantRepository[BrainAction]):
    model = BrainAction
    label = "Action"

    def listing(self, status: str | None = None) -> Any:
        stmt = self.select()
        if status is not None:
            stmt = stmt.where(BrainAction.status == status)
        return stmt

    async def top_proposed(self, limit: int) -> list[BrainAction]:
        stmt = (
            self.select()
            .where(BrainAction.status == ActionStatus.proposed.value)
            .order_by(BrainAction.rank, BrainAction.id)
            .limit(limit)
        )
        return list((await self.session.scalars(stmt)).all())


class FeedbackRepository(TenantRepository[BrainActionFeedback]):
    model = BrainActionFeedback
    label = "Feedback"


@dataclass(slots=True)
class FeedbackHistory:
    """What people decided on this tenant's past actions."""

    accepted_by_type: Counter[str] = field(default_factory=Counter)
    rejected_by_type: Counter[str] = field(default_factory=Counter)
    rejected_fingerprints: dict[str, datetime] = field(default_factory=dict)  # -> latest
    recently_accepted_fingerprints: set[str] = field(default_factory=set)

    def acceptance_rate(self, action_type: str) -> float | None:
        total = self.accepted_by_type[action_type] + self.rejected_by_type[action_type]
        return None if total == 0 else self.accepted_by_type[action_type] / total


async def feedback_history(
    session: AsyncSession, auth: AuthContext, *, now: datetime
) -> FeedbackHistory:
    """Aggregate the tenant's accept/reject history (small: one row per decision)."""
    wanted: list[Any] = [
        BrainActionFeedback.action_type,
        BrainActionFeedback.fingerprint,
        BrainActionFeedback.decision,
        BrainActionFeedback.created_at,
    ]
    columns: Select[Any] = select(*wanted)
    stmt = scope_to_tenant(columns, BrainActionFeedback, auth)
    history = FeedbackHistory()
    for action_type, fingerprint, decision, created_at in await session.execute(stmt):
        if decision == Decision.accepted.value:
            history.accepted_by_type[action_type] += 1
            if now - created_at <= ACCEPTED_COOLDOWN:
                history.recently_accepted_fingerprints.add(fingerprint)
        else:
            history.rejected_by_type[action_type] += 1
            seen = history.rejected_fingerprints.get(fingerprint)
            if seen is None or created_at > seen:
                history.rejected_fingerprints[fingerprint] = created_at
    return history


def _finite(value: float | None, default: float = 0.0) -> float:
    return default if value is None or not math.isfinite(value) else float(value)


def _row(proposal: ActionProposal, run_id: uuid.UUID, rank: int) -> BrainAction:
    impact = proposal.estimated_impact_usd
    return BrainAction(
        run_id=run_id,
        type=proposal.type,
        target_kind=proposal.target_kind,
        target_id=proposal.target_id[:100],
        target_name=proposal.target_name[:300],
        amount_current=None if proposal.amount_current is None
        else _finite(proposal.amount_current),
        amount_recommended=None if proposal.amount_recommended is None
        else _finite(proposal.amount_recommended),
        impact_usd=_finite(impact.estimate),
        impact_low_usd=_finite(impact.ci_low),
        impact_high_usd=_finite(impact.ci_high),
        impact_7d_usd=_finite(proposal.estimated_impact_7d_usd),
        rationale=proposal.rationale[:2000],
        urgency=proposal.urgency,
        confidence=min(max(_finite(proposal.confidence), 0.0), 1.0),
        needs_human=proposal.needs_human,
        needs_human_reason=proposal.needs_human_reason[:1000]
        if proposal.needs_human_reason else None,
        expected_value=_finite(proposal.expected_value),
        rank=rank,
        fingerprint=proposal.fingerprint[:200],
        status=ActionStatus.proposed.value,
        details=to_json(proposal.details),
    )


async def persist_proposals(
    session: AsyncSession,
    auth: AuthContext,
    *,
    run_id: uuid.UUID,
    curiosity: CuriosityResult,
    history: FeedbackHistory,
    now: datetime | None = None,
) -> list[BrainAction]:
    """Store a run's ranked proposals (the previous open ones become `superseded`) and write
    a `curiosity.action.created` event for each, in the caller's transaction."""
    repo = ActionRepository(session, auth)
    open_ids = scope_to_tenant(select(BrainAction.id), BrainAction, auth).where(
        BrainAction.status == ActionStatus.proposed.value
    )
    await session.execute(
        update(BrainAction)
        .where(BrainAction.id.in_(open_ids))
        .values(status=ActionStatus.superseded.value)
        .execution_options(synchronize_session=False)
    )
    stored: list[BrainAction] = []
    skip = set(history.rejected_fingerprints) | history.recently_accepted_fingerprints
    for proposal in curiosity.actions:
        if proposal.fingerprint in skip:
            continue
        stored.append(repo.add(_row(proposal, run_id, len(stored) + 1)))
    await session.flush()
    await emit_actions_created(session, auth.organization_id, stored, now=now)
    return stored


async def decide(
    session: AsyncSession,
    auth: AuthContext,
    *,
    action_id: uuid.UUID,
    decision: Decision,
    reason: str | None,
    clock: Clock,
    request: Request | None = None,
    check: Any = None,
) -> BrainAction:
    """Accept or reject a proposed action once; record the feedback and an audit event.

    `check(action)` runs before the change (the route's If-Match precondition).
    """
    repo = ActionRepository(session, auth)
    action = await repo.get_or_404(action_id)
    if check is not None:
        check(action)
    if action.status != ActionStatus.proposed.value:
        raise ProblemError(
            409,
            f"The action is already {action.status}; only proposed actions can be decided.",
            extra={"action_status": action.status},
        )
    now = clock.now()
    action.status = (
        ActionStatus.accepted.value if decision is Decision.accepted
        else ActionStatus.rejected.value
    )
    action.decided_at = now
    FeedbackRepository(session, auth).add(
        BrainActionFeedback(
            action_id=action.id,
            action_type=action.type,
            fingerprint=action.fingerprint,
            decision=decision.value,
            reason=reason,
            user_id=auth.user_id,
            actor_type=auth.subject_type.value,
            created_at=now,
        )
    )
    await session.flush()
    await record_audit(
        session,
        clock=clock,
        action=f"brain.action.{decision.value}",
        actor=auth,
        target_type="brain_action",
        target_id=action.id,
        request=request,
        details={"type": action.type, "target": action.target_name, "reason": reason},
    )
    return action
