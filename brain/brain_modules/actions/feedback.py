"""The tenant's decision history in the form CURIOSITY learns from (`FeedbackStats`)."""

from __future__ import annotations

from brain.brain_modules.actions.service import FeedbackHistory
from brain.brain_modules.curiosity import FeedbackStats


def feedback_stats(history: FeedbackHistory) -> FeedbackStats:
    """Acceptance counts per action type and the rejected fingerprints (with when)."""
    return FeedbackStats(
        accepted=dict(history.accepted_by_type),
        rejected=dict(history.rejected_by_type),
        rejected_fingerprints=dict(history.rejected_fingerprints),
    )
