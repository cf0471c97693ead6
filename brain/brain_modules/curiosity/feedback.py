"""What a tenant's past decisions teach CURIOSITY: acceptance rates and rejected proposals.

The acceptance rate per action type is a Beta-binomial posterior mean,
`(accepted + prior_rate * prior_weight) / (accepted + rejected + prior_weight)`, so a new
tenant starts at the prior and a handful of decisions moves it only a little. A proposal whose
fingerprint was rejected is not proposed again unchanged (a changed amount or target makes a
new fingerprint); `forget_after_days` optionally lets an old rejection lapse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(slots=True)
class FeedbackStats:
    accepted: dict[str, int] = field(default_factory=dict)  # action type -> count
    rejected: dict[str, int] = field(default_factory=dict)
    rejected_fingerprints: dict[str, datetime] = field(default_factory=dict)  # -> rejected at
    prior_rate: float = 0.5
    prior_weight: float = 4.0
    forget_after_days: int | None = None

    def acceptance_rate(self, action_type: str) -> float:
        a = max(self.accepted.get(action_type, 0), 0)
        r = max(self.rejected.get(action_type, 0), 0)
        weight = max(self.prior_weight, 1e-9)
        return (a + self.prior_rate * weight) / (a + r + weight)

    def is_rejected(self, fingerprint: str, now: datetime | None = None) -> bool:
        when = self.rejected_fingerprints.get(fingerprint)
        if when is None:
            return False
        if self.forget_after_days is None or now is None:
            return True
        return now - when < timedelta(days=self.forget_after_days)
