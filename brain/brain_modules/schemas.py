"""Request and response bodies of the brain API (runs, MEMORY, ORACLE, CURIOSITY, FACE)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from brain.core.schemas import RequestModel, ResponseModel, UTCTimestamp

RunStatusName = Literal["queued", "running", "succeeded", "failed"]
ModuleStatusName = Literal["pending", "running", "succeeded", "failed", "skipped"]


# --------------------------------------------------------------------------- runs


class BrainRunCreated(ResponseModel):
    id: uuid.UUID
    status: RunStatusName


class ModuleState(BaseModel):
    status: ModuleStatusName
    progress: float = Field(ge=0, le=1)
    started_at: str | None = None
    finished_at: str | None = None
    seconds: float | None = None
    error: str | None = None
    model_version: str | None = None
    notes: list[str] = Field(default_factory=list)


class BrainRunRead(ResponseModel):
    """A run: its status, each module's progress, timings, model versions and errors."""

    id: uuid.UUID
    status: RunStatusName
    trigger: Literal["manual", "schedule", "sync"]
    modules: dict[str, ModuleState]
    started_at: UTCTimestamp | None
    finished_at: UTCTimestamp | None
    error: str | None
    data_as_of: str | None
    created_at: UTCTimestamp


class ModuleOutputRead(ResponseModel):
    module: Literal["features", "memory", "oracle", "curiosity", "face"]
    model_version: str
    created_at: UTCTimestamp
    output: dict[str, Any] = Field(description="The module's answer as it was stored.")


class RunOutputs(BaseModel):
    """What a run's modules answered, each with the model version that produced it."""

    run_id: uuid.UUID
    data: list[ModuleOutputRead]


# --------------------------------------------------------------------------- shared


class IntervalRead(BaseModel):
    estimate: float | None
    ci_low: float | None
    ci_high: float | None


class OutputSource(BaseModel):
    """Where an answer comes from: a stored run's output, or computed for this request."""

    run_id: uuid.UUID | None = Field(description="The run whose stored output this is.")
    computed: Literal["stored", "on_demand"]
    model_version: str | None
    data_as_of: str | None = None


# --------------------------------------------------------------------------- MEMORY


class ResponseCurveRead(BaseModel):
    decay: float | None
    half_saturation: float | None
    shape: float | None
    beta: float | None


class ChannelMemoryRead(BaseModel):
    channel_id: uuid.UUID
    name: str
    platform: str
    spend: float | None
    revenue: float | None
    roas: float | None
    ltv_roas: float | None
    status: Literal["winner", "loser", "neutral", "no_spend"]
    incremental_roi: IntervalRead | None = Field(
        description="Modelled revenue caused per $1 of spend (null: see the reason)."
    )
    incremental_roi_reason: str | None
    reported_over_modelled: float | None = None
    current_daily_spend: float | None = None
    response_curve: ResponseCurveRead | None = None


class MemoryChannels(BaseModel):
    period_start: date
    period_end: date
    revenue_source: str
    source: OutputSource
    data: list[ChannelMemoryRead]
    notes: list[str]


class MemorySummary(BaseModel):
    period_start: date
    period_end: date
    revenue_source: str
    totals: dict[str, float | None]
    ltv_factor: float | None
    mmm: dict[str, Any]
    source: OutputSource
    notes: list[str]


class CohortRead(BaseModel):
    month: date
    customers: int
    ltv30: float | None
    ltv90: float | None
    predicted_ltv90: float | None


class MemoryCohorts(BaseModel):
    ltv_factor: float | None
    source: OutputSource
    data: list[CohortRead]


class MemoryRows(BaseModel):
    """Campaign or creative rows (spend, revenue, ROAS, CPC, CTR, CVR, CPA, status…)."""

    period_start: date
    period_end: date
    source: OutputSource
    data: list[dict[str, Any]]


# --------------------------------------------------------------------------- ORACLE


class CreativeForecastRead(BaseModel):
    creative_id: uuid.UUID
    name: str
    fatigue_probability_7d: float | None
    fatigue_probability_14d: float | None
    predicted_drop: IntervalRead | None
    risk_factors: list[str]
    recommended_refresh_date: date | None
    method: Literal["model", "rules", "insufficient_data"]
    reason: str | None


class OracleCreatives(BaseModel):
    source: OutputSource
    total: int
    data: list[CreativeForecastRead]


class ChannelDecayRead(BaseModel):
    channel_id: uuid.UUID
    name: str
    decay_severity: Literal["none", "low", "medium", "high"]
    roas_trend: float | None
    spend_trend: float | None
    reasons: list[str]


class OracleChannels(BaseModel):
    risk_level: Literal["green", "yellow", "red"]
    risk_reasons: list[str]
    source: OutputSource
    data: list[ChannelDecayRead]


class LtvDriftRead(BaseModel):
    month: date
    ltv: float | None
    baseline: float | None
    drift: float | None
    severity: Literal["none", "low", "medium", "high"]
    horizon_days: int = Field(default=90, description="LTV horizon compared (30 or 90 days).")


class OracleLtvDrift(BaseModel):
    source: OutputSource
    data: list[LtvDriftRead]


# --------------------------------------------------------------------------- actions


class ActionTarget(BaseModel):
    kind: Literal["channel", "campaign", "creative", "cohort", "portfolio"]
    id: str
    name: str


class ActionAmount(BaseModel):
    current: float | None = Field(description="Daily budget before.")
    recommended: float | None = Field(description="Daily budget after.")


class ActionRead(ResponseModel):
    """An action CURIOSITY proposed, and what people decided."""

    id: uuid.UUID
    run_id: uuid.UUID
    type: str
    target: ActionTarget
    amount: ActionAmount
    estimated_impact_usd: float = Field(description="Modelled $ impact over the next 28 days.")
    estimated_impact_interval: IntervalRead
    estimated_impact_7d_usd: float
    rationale: str
    urgency: Literal["low", "medium", "high"]
    confidence: float
    needs_human: bool
    needs_human_reason: str | None
    rank: int
    status: Literal["proposed", "accepted", "rejected", "superseded"]
    details: dict[str, Any]
    created_at: UTCTimestamp
    decided_at: UTCTimestamp | None


class ActionDecision(RequestModel):
    reason: str | None = Field(default=None, max_length=1000,
                               description="Why (kept with the feedback).")


# --------------------------------------------------------------------------- CURIOSITY


class OptimizeRequest(RequestModel):
    """A budget what-if: reallocate a daily budget across channels."""

    total_budget: float | None = Field(
        default=None, gt=0, le=1e9,
        description="Daily budget to allocate (default: the current total daily spend).",
    )
    max_change: float = Field(
        default=0.3, ge=0, le=1,
        description="Largest relative change of any channel's budget (0.3 = ±30 %).",
    )
    keep_fixed: list[uuid.UUID] = Field(
        default_factory=list, max_length=500,
        description="Channels whose budget must not change.",
    )


class AllocationRow(BaseModel):
    channel_id: str
    name: str
    current: float
    recommended: float
    change: float | None


class OptimizeResult(BaseModel):
    total_budget: float
    allocation: list[AllocationRow]
    modelled_daily_revenue_current: float
    modelled_daily_revenue_recommended: float
    modelled_return_28d_usd: float = Field(
        description="Extra modelled revenue over 28 days vs keeping the current budgets."
    )
    source: OutputSource
    notes: list[str]


# --------------------------------------------------------------------------- FACE


class KpiRead(BaseModel):
    key: str
    label: str
    value: float | str | None
    previous: float | str | None
    change: float | str | None = Field(
        description="Relative change vs the previous period (risk: worse|better|same)."
    )
    unit: Literal["ratio", "usd", "level"]


class AlertRead(BaseModel):
    kind: str
    severity: Literal["low", "medium", "high"]
    entity_id: str | None
    entity_name: str | None
    message: str


class FaceSummary(BaseModel):
    """The one-screen summary: KPI bar, narrative, cards, top actions, leaderboard, alerts."""

    state: Literal["ready", "empty"]
    explanation: str | None
    persona: Literal["cmo", "vp_growth", "director"]
    period: Literal["7d", "28d", "90d"]
    run_id: uuid.UUID | None
    kpis: list[KpiRead]
    risk_level: Literal["green", "yellow", "red"] | None
    risk_reasons: list[str]
    narrative: str
    narrative_sentences: list[str]
    cards: dict[str, Any]
    actions: list[ActionRead]
    leaderboard: dict[str, Any]
    alerts: list[AlertRead]
    data_as_of: date | None
    notes: list[str]
