"""What the brain modules exchange: a tenant's data as column arrays (the input of every
module) and each module's answer (the input of the next one).

The pipeline runs features -> MEMORY -> ORACLE -> CURIOSITY -> FACE. Each module is a pure
function of `BrainData` and the answers before it, so it can be evaluated on simulator data
without a database, and its answer can be stored per run as JSON
(`brain/brain_modules/serialize.py` turns these dataclasses into JSON and back).

Fields may be added (with defaults); none is renamed or removed without changing every user.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

RevenueSource = Literal["orders", "analytics", "platforms"]
Severity = Literal["none", "low", "medium", "high"]
RiskLevel = Literal["green", "yellow", "red"]
ActionType = Literal[
    "shift_budget",
    "pause_creative",
    "refresh_creative",
    "increase_budget",
    "decrease_budget",
    "focus_retention",
]


# --------------------------------------------------------------------------- the input


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    id: uuid.UUID
    name: str
    platform: str


@dataclass(frozen=True, slots=True)
class CampaignInfo:
    id: uuid.UUID
    name: str
    channel: int  # index into BrainData.channels


@dataclass(frozen=True, slots=True)
class CreativeInfo:
    id: uuid.UUID
    name: str
    channel: int  # index into BrainData.channels
    campaign: int  # index into BrainData.campaigns
    format: str
    launched_on: date | None


@dataclass(slots=True)
class DailyRows:
    """Daily platform metrics, one row per (day, most specific entity reported).

    `creative`/`campaign` are -1 when a row is reported at a coarser level. `frequency` is
    NaN where the platform does not report it. `revenue` is what the platform attributes to
    itself (biased upwards, never the truth).
    """

    day: IntArray  # days since BrainData.start
    channel: IntArray
    campaign: IntArray
    creative: IntArray
    impressions: FloatArray
    clicks: FloatArray
    spend: FloatArray
    conversions: FloatArray
    revenue: FloatArray
    frequency: FloatArray

    def __len__(self) -> int:
        return int(self.day.size)


@dataclass(slots=True)
class OrderRows:
    """Orders (first and repeat), with the customer's acquisition day and channel."""

    customer: IntArray  # dense customer index
    day: IntArray  # days since BrainData.start (negative: before the metrics period)
    revenue: FloatArray
    customer_first_day: IntArray  # per customer (indexed by `customer`)
    customer_channel: IntArray  # per customer: index into channels, -1 unknown

    def __len__(self) -> int:
        return int(self.day.size)


@dataclass(slots=True)
class BrainData:
    """Everything the modules may read for one tenant, as of `end` (the last day with data)."""

    organization_id: uuid.UUID
    start: date
    end: date
    channels: list[ChannelInfo]
    campaigns: list[CampaignInfo]
    creatives: list[CreativeInfo]
    metrics: DailyRows
    orders: OrderRows | None
    # Total business revenue per day (length `days`), the dependent variable of the MMM.
    total_revenue: FloatArray | None
    revenue_source: RevenueSource
    # Orders may be a sample of the real customers (the demo keeps 1 in 20): multiply
    # order revenue by this to get the business's revenue.
    orders_scale: float = 1.0

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def date_at(self, day: int) -> date:
        return self.start + timedelta(days=int(day))


# --------------------------------------------------------------------------- MEMORY


@dataclass(frozen=True, slots=True)
class ResponseCurve:
    """A channel's modelled incremental revenue per day as a function of its daily spend at
    steady state: normalised geometric adstock (a steady spend s has adstock s) through a
    Hill saturation, `beta * s^shape / (s^shape + half_saturation^shape)`."""

    channel_id: uuid.UUID
    decay: float
    half_saturation: float
    shape: float
    beta: float  # incremental revenue per day at full saturation

    def revenue(self, daily_spend: float | FloatArray) -> Any:
        s = np.maximum(np.asarray(daily_spend, dtype=np.float64), 0.0)
        k = max(self.half_saturation, 1e-9)
        return self.beta * s**self.shape / (s**self.shape + k**self.shape)

    def marginal_roas(self, daily_spend: float) -> float:
        s = max(daily_spend, 1e-9)
        k = max(self.half_saturation, 1e-9)
        n = self.shape
        return float(self.beta * n * k**n * s ** (n - 1) / (s**n + k**n) ** 2)


@dataclass(slots=True)
class Interval:
    estimate: float
    ci_low: float
    ci_high: float


@dataclass(slots=True)
class ChannelMemory:
    channel_id: uuid.UUID
    name: str
    platform: str
    spend: float
    revenue: float  # platform-reported
    roas: float | None
    ltv_roas: float | None
    status: Literal["winner", "loser", "neutral", "no_spend"]
    incremental_roi: Interval | None
    incremental_roi_reason: str | None  # why it is None (too little data, ...)
    curve: ResponseCurve | None
    current_daily_spend: float  # mean over the last 28 days
    # Platform-reported ROAS / modelled incremental ROAS (2.0 = the platform claims twice
    # what the model finds); None without a modelled estimate.
    reported_over_modelled: float | None = None
    conversions: float = 0.0
    clicks: float = 0.0
    impressions: float = 0.0


@dataclass(slots=True)
class CohortLtv:
    month: date  # first day of the acquisition month
    customers: int
    ltv30: float
    ltv90: float | None  # None when the cohort is younger than 90 days
    predicted_ltv90: float | None


@dataclass(slots=True)
class MemoryResult:
    period_start: date
    period_end: date
    totals: dict[str, float | None]  # spend, revenue, roas, mer, cpc, ctr, cvr, cpa, ...
    channels: list[ChannelMemory]
    campaigns: list[dict[str, Any]]
    creatives: list[dict[str, Any]]
    cohorts: list[CohortLtv]
    ltv_factor: float | None  # LTV90 / LTV30 across mature cohorts
    model_version: str
    notes: list[str] = field(default_factory=list)  # what could not be computed and why
    # Creatives ranked by ROAS (spend above a floor), best first, with their status.
    leaderboard: list[dict[str, Any]] = field(default_factory=list)
    revenue_source: str = "orders"
    # MMM diagnostics: r2, sigma, calibrated (bool), days fitted.
    mmm: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- ORACLE


@dataclass(slots=True)
class CreativeForecast:
    creative_id: uuid.UUID
    name: str
    fatigue_probability_7d: float | None
    fatigue_probability_14d: float | None
    predicted_drop: Interval | None  # relative CTR/CVR drop over the next 14 days
    risk_factors: list[str]
    recommended_refresh_date: date | None
    method: Literal["model", "rules", "insufficient_data"]
    reason: str | None = None  # e.g. "ORACLE needs 14 days of history for creative C7"


@dataclass(slots=True)
class ChannelDecay:
    channel_id: uuid.UUID
    name: str
    decay_severity: Severity
    roas_trend: float  # relative change of ROAS per 28 days (e.g. -0.3 = down 30 %)
    spend_trend: float  # relative change of spend per 28 days
    reasons: list[str]


@dataclass(slots=True)
class LtvDrift:
    month: date
    ltv: float
    baseline: float
    drift: float  # relative, e.g. -0.12 = 12 % below baseline
    severity: Severity
    horizon_days: int = 90  # LTV horizon compared (30 for cohorts younger than 90 days)
    source: Literal["ltv90", "ltv30"] = "ltv90"  # which observed LTV was compared


@dataclass(slots=True)
class OracleResult:
    creatives: list[CreativeForecast]
    channels: list[ChannelDecay]
    ltv_drift: list[LtvDrift]
    risk_level: RiskLevel
    risk_reasons: list[str]
    model_version: str
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- CURIOSITY


@dataclass(slots=True)
class ActionProposal:
    type: ActionType
    target_kind: Literal["channel", "campaign", "creative", "cohort", "portfolio"]
    target_id: str
    target_name: str
    amount_current: float | None  # daily budget before
    amount_recommended: float | None  # daily budget after
    estimated_impact_usd: Interval  # over the next 28 days
    estimated_impact_7d_usd: float
    rationale: str
    urgency: Literal["low", "medium", "high"]
    confidence: float  # 0..1
    needs_human: bool
    needs_human_reason: str | None
    expected_value: float  # what the ranking sorts by
    # Stable identity of "the same proposal" (type, target, rounded amount) so a rejected
    # action is not proposed again unchanged.
    fingerprint: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class CuriosityResult:
    actions: list[ActionProposal]  # ranked, best first
    allocation: dict[str, float]  # channel id -> recommended daily budget
    model_version: str
    notes: list[str] = field(default_factory=list)
