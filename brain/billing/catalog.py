"""The plan catalog: every plan as data (PRODUCT.md's pricing table), in one place.

| plan | $/month | modules | seats incl./max | integrations | events/mo | runs/day | actions/day |
|---|---|---|---|---|---|---|---|
| trial (14 days) | 0 | Growth's | 5 / 25 | 4 | 100k | 10 | 10 |
| starter | 499 | MEMORY, ORACLE, CURIOSITY (basic), FACE | 3 / 10 | 2 | 100k | 24 | 3 |
| growth | 799 | + EYES | 10 / 25 | 4 | 500k | 48 | 10 |
| scale | 1,499 | all seven | 25 / 100 | unlimited | 2M | 200 | unlimited |
| enterprise | custom | all + SSO enforced, own retention | 50 / none | unlimited | 10M* | - | - |

(*) Enterprise volumes are negotiated: the catalog holds a default that admin overrides raise.
`None` means unlimited everywhere. This module has no imports from the rest of Brain so every
domain (organizations, billing, jobs, the CLI) can read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal


class Module(StrEnum):
    """The seven brain modules a plan may include."""

    eyes = "eyes"
    memory = "memory"
    oracle = "oracle"
    curiosity = "curiosity"
    reflexes = "reflexes"
    voice = "voice"
    face = "face"


class Feature(StrEnum):
    """Capabilities gated by plan besides the modules."""

    curiosity_full = "curiosity_full"  # bandit budget experiments (Starter gets the basic tier)
    sso_enforcement = "sso_enforcement"
    custom_retention = "custom_retention"


class Quota(StrEnum):
    """Metered limits; each has one period."""

    api_requests_per_minute = "api_requests_per_minute"
    events_per_month = "events_per_month"
    brain_runs_per_day = "brain_runs_per_day"
    actions_per_day = "actions_per_day"
    llm_tokens_per_day = "llm_tokens_per_day"
    syncs_per_day = "syncs_per_day"


Period = Literal["minute", "day", "month"]
QUOTA_PERIODS: dict[Quota, Period] = {
    Quota.api_requests_per_minute: "minute",
    Quota.events_per_month: "month",
    Quota.brain_runs_per_day: "day",
    Quota.actions_per_day: "day",
    Quota.llm_tokens_per_day: "day",
    Quota.syncs_per_day: "day",
}

TRIAL_DAYS = 14
DEFAULT_RETENTION_DAYS = 730


@dataclass(frozen=True)
class PlanSpec:
    """One plan: what it costs, which modules and features it has, and its limits."""

    name: str
    title: str
    monthly_price_usd: int | None  # None: custom (Enterprise) or free (trial)
    modules: frozenset[Module]
    features: frozenset[Feature]
    included_seats: int
    max_seats: int | None
    max_integrations: int | None
    quotas: dict[Quota, int | None] = field(default_factory=dict)
    retention_days: int = DEFAULT_RETENTION_DAYS
    purchasable: bool = True
    # FinOps: a tenant whose platform cost passes this share of the plan's price alerts the
    # operators (cheaper plans have less room).
    cost_alert_share: float = 0.4

    @property
    def sso_enforcement(self) -> bool:
        return Feature.sso_enforcement in self.features

    @property
    def custom_retention(self) -> bool:
        return Feature.custom_retention in self.features

    def quota(self, quota: Quota) -> int | None:
        return self.quotas.get(quota)


_CORE = frozenset({Module.memory, Module.oracle, Module.curiosity, Module.face})
_GROWTH = _CORE | {Module.eyes}
_ALL = frozenset(Module)


def _quotas(
    rpm: int, events: int | None, runs: int | None, actions: int | None, tokens: int | None,
    syncs: int | None,
) -> dict[Quota, int | None]:
    return {
        Quota.api_requests_per_minute: rpm,
        Quota.events_per_month: events,
        Quota.brain_runs_per_day: runs,
        Quota.actions_per_day: actions,
        Quota.llm_tokens_per_day: tokens,
        Quota.syncs_per_day: syncs,
    }


PLANS: dict[str, PlanSpec] = {
    plan.name: plan
    for plan in (
        PlanSpec("trial", "Trial", None, _GROWTH, frozenset(), 5, 25, 4,
                 _quotas(600, 100_000, 10, 10, 50_000, 48), purchasable=False),
        PlanSpec("starter", "Starter", 499, _CORE, frozenset(), 3, 10, 2,
                 _quotas(600, 100_000, 24, 3, 50_000, 48), cost_alert_share=0.3),
        PlanSpec("growth", "Growth", 799, _GROWTH, frozenset({Feature.curiosity_full}),
                 10, 25, 4, _quotas(1_200, 500_000, 48, 10, 200_000, 96)),
        PlanSpec("scale", "Scale", 1_499, _ALL, frozenset({Feature.curiosity_full}),
                 25, 100, None, _quotas(3_000, 2_000_000, 200, None, 1_000_000, 288)),
        PlanSpec("enterprise", "Enterprise", None, _ALL, frozenset(Feature), 50, None, None,
                 _quotas(6_000, 10_000_000, None, None, 5_000_000, None)),
    )
}
# Cheapest first: the order in which a locked module is offered ("available on Growth").
PLAN_ORDER = ("starter", "growth", "scale", "enterprise")
PURCHASABLE_PLANS = tuple(name for name in PLAN_ORDER if PLANS[name].purchasable)


def plan_spec(name: str) -> PlanSpec:
    """The plan called `name`; an unknown name reads as the trial (the most limited default)."""
    return PLANS.get(name, PLANS["trial"])


def cheapest_plan_with(entitlement: Module | Feature) -> str:
    """The first plan (by price) that includes the module or feature."""
    for name in PLAN_ORDER:
        spec = PLANS[name]
        if entitlement in spec.modules or entitlement in spec.features:
            return name
    return "enterprise"
