"""Stored actions as API objects."""

from __future__ import annotations

from brain.brain_modules.runs.models import BrainAction
from brain.brain_modules.schemas import ActionAmount, ActionRead, ActionTarget, IntervalRead


def action_read(action: BrainAction) -> ActionRead:
    return ActionRead(
        id=action.id,
        run_id=action.run_id,
        type=action.type,
        target=ActionTarget(kind=action.target_kind,
                            id=action.target_id, name=action.target_name),
        amount=ActionAmount(current=action.amount_current,
                            recommended=action.amount_recommended),
        estimated_impact_usd=action.impact_usd,
        estimated_impact_interval=IntervalRead(
            estimate=action.impact_usd, ci_low=action.impact_low_usd,
            ci_high=action.impact_high_usd,
        ),
        estimated_impact_7d_usd=action.impact_7d_usd,
        rationale=action.rationale,
        urgency=action.urgency,
        confidence=action.confidence,
        needs_human=action.needs_human,
        needs_human_reason=action.needs_human_reason,
        rank=action.rank,
        status=action.status,
        details=action.details or {},
        created_at=action.created_at,
        decided_at=action.decided_at,
    )
