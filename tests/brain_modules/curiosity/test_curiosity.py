"""CURIOSITY: the budget optimizer against a brute-force optimum, feedback learning, the beauty
demo story, degenerate inputs, and regret vs the simulator's true response curves."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from brain.brain_modules.contracts import (
    ActionProposal,
    BrainData,
    MemoryResult,
    OracleResult,
    ResponseCurve,
)
from brain.brain_modules.curiosity import (
    FeedbackStats,
    allocation_revenue,
    optimize_budget,
    run_curiosity,
)
from brain.brain_modules.curiosity.evaluate import evaluate_curiosity, true_optimum
from brain.brain_modules.data import from_simulation, truncate
from brain.brain_modules.memory import run_memory
from brain.brain_modules.oracle import HELD_OUT_SEED, default_fatigue_model, run_oracle
from brain.brain_modules.oracle.seeds import SIM_TODAY
from brain.demo.simulator import Simulation, simulate

NOW = datetime(2026, 1, 15, 12, tzinfo=UTC)


def _curve(beta: float, half: float, shape: float = 1.0) -> ResponseCurve:
    return ResponseCurve(uuid.uuid4(), 0.3, half, shape, beta)


def test_optimizer_respects_limits_and_matches_the_optimum() -> None:
    curves = [_curve(50_000, 30_000, 1.2), _curve(20_000, 10_000), _curve(8_000, 9_000, 1.1),
              _curve(9_000, 6_000)]
    current = {c.channel_id: v for c, v in zip(curves, [20_000.0, 10_000.0, 7_000.0, 4_000.0],
                                               strict=True)}
    total = sum(current.values())
    plan = optimize_budget(curves, current, total, max_change=0.3)
    assert sum(plan.values()) == pytest.approx(total, rel=1e-6)
    for cid, value in plan.items():
        assert current[cid] * 0.7 - 1e-6 <= value <= current[cid] * 1.3 + 1e-6
    best = true_optimum(curves, current, total)
    assert allocation_revenue(curves, plan) >= allocation_revenue(curves, current)
    assert allocation_revenue(curves, plan) >= allocation_revenue(curves, best) * 0.999


def test_optimizer_edge_cases() -> None:
    a, b = _curve(10_000, 5_000), _curve(10_000, 5_000)
    unknown = uuid.uuid4()
    plan = optimize_budget([a, b], {a.channel_id: 1000, b.channel_id: 1000, unknown: 500}, 2500)
    assert plan[unknown] == 500  # no curve: kept as is
    assert plan[a.channel_id] + plan[b.channel_id] == pytest.approx(2000)
    assert optimize_budget([], {}, 100) == {}
    zero = optimize_budget([a, b], {a.channel_id: 0.0, b.channel_id: 0.0}, 0.0)
    assert all(v == 0 for v in zero.values())
    # A total far below today's spend is met by widening the limits.
    small = optimize_budget([a, b], {a.channel_id: 1000, b.channel_id: 1000}, 200)
    assert sum(small.values()) == pytest.approx(200)
    new_channel = optimize_budget([a, b], {a.channel_id: 1000, b.channel_id: 0.0}, 1000)
    assert new_channel[b.channel_id] > 0


def test_feedback_prior_and_rejections() -> None:
    stats = FeedbackStats()
    assert stats.acceptance_rate("shift_budget") == pytest.approx(0.5)
    stats.accepted["shift_budget"] = 6
    stats.rejected["pause_creative"] = 6
    assert stats.acceptance_rate("shift_budget") == pytest.approx(0.8)
    assert stats.acceptance_rate("pause_creative") == pytest.approx(0.2)
    stats.rejected_fingerprints["abc"] = NOW - timedelta(days=100)
    assert stats.is_rejected("abc", NOW)
    stats.forget_after_days = 90
    assert not stats.is_rejected("abc", NOW)


@pytest.fixture(scope="module")
def beauty() -> Simulation:
    return simulate("beauty", seed=7, days=365, today=SIM_TODAY)


@pytest.fixture(scope="module")
def beauty_data(beauty: Simulation) -> BrainData:
    return from_simulation(beauty, uuid.uuid4())


@pytest.fixture(scope="module")
def beauty_memory(beauty_data: BrainData) -> MemoryResult:
    return run_memory(beauty_data, period_start=beauty_data.end - timedelta(days=27),
                      period_end=beauty_data.end)


@pytest.fixture(scope="module")
def beauty_oracle(beauty_data: BrainData, beauty_memory: MemoryResult) -> OracleResult:
    return run_oracle(beauty_data, beauty_memory, model=default_fatigue_model())


def _is_c12(action: ActionProposal) -> bool:
    return action.type in ("pause_creative", "refresh_creative") and action.target_name == "C12"


def test_beauty_story(beauty_data: BrainData, beauty_memory: MemoryResult,
                      beauty_oracle: OracleResult) -> None:
    result = run_curiosity(beauty_data, beauty_memory, beauty_oracle, now=NOW)
    top = result.actions[:5]
    shifts = [a for a in top if a.type == "shift_budget"]
    assert any(a.details["from_channel"] == "TikTok Ads" and a.details["to_channel"] == "Meta Ads"
               for a in shifts)
    assert any(_is_c12(a) for a in top)
    assert any(a.type == "focus_retention" for a in result.actions)
    meta = next(c for c in beauty_memory.channels if c.name == "Meta Ads")
    tiktok = next(c for c in beauty_memory.channels if c.name == "TikTok Ads")
    assert result.allocation[str(meta.channel_id)] > meta.current_daily_spend
    assert result.allocation[str(tiktok.channel_id)] < tiktok.current_daily_spend
    assert sum(result.allocation.values()) == pytest.approx(
        sum(c.current_daily_spend for c in beauty_memory.channels), rel=1e-3)
    scores = [a.expected_value * a.details["acceptance_rate"] for a in result.actions]
    assert scores == sorted(scores, reverse=True)
    for a in result.actions:
        interval = a.estimated_impact_usd
        assert interval.ci_low <= interval.estimate <= interval.ci_high
        assert 0 < a.confidence <= 1
        assert a.rationale
        assert a.needs_human == (a.needs_human_reason is not None)
        assert "$" in a.rationale
    assert len({a.fingerprint for a in result.actions}) == len(result.actions)
    # Deterministic: the same inputs give the same fingerprints.
    again = run_curiosity(beauty_data, beauty_memory, beauty_oracle, now=NOW)
    assert [a.fingerprint for a in again.actions] == [a.fingerprint for a in result.actions]


def test_feedback_changes_ranking(beauty_data: BrainData, beauty_memory: MemoryResult,
                                  beauty_oracle: OracleResult) -> None:
    first = run_curiosity(beauty_data, beauty_memory, beauty_oracle, now=NOW)
    rejected = first.actions[0]
    stats = FeedbackStats(rejected_fingerprints={rejected.fingerprint: NOW})
    second = run_curiosity(beauty_data, beauty_memory, beauty_oracle, feedback=stats, now=NOW)
    assert rejected.fingerprint not in {a.fingerprint for a in second.actions}
    assert any("rejected before" in n for n in second.notes)
    # A tenant who always accepts creative actions and rejects the rest sees them first.
    likes = FeedbackStats(accepted={"pause_creative": 40, "refresh_creative": 40},
                          rejected={"shift_budget": 40, "focus_retention": 40})
    ranked = run_curiosity(beauty_data, beauty_memory, beauty_oracle, feedback=likes, now=NOW)
    assert ranked.actions[0].type in ("pause_creative", "refresh_creative")


def test_total_budget_changes_become_budget_actions(
    beauty_data: BrainData, beauty_memory: MemoryResult, beauty_oracle: OracleResult
) -> None:
    current = sum(c.current_daily_spend for c in beauty_memory.channels)
    result = run_curiosity(beauty_data, beauty_memory, beauty_oracle,
                           total_budget=current * 1.2, now=NOW)
    assert sum(result.allocation.values()) == pytest.approx(current * 1.2, rel=1e-3)
    lower = run_curiosity(beauty_data, beauty_memory, beauty_oracle,
                          total_budget=current * 0.8, now=NOW)
    assert sum(lower.allocation.values()) == pytest.approx(current * 0.8, rel=1e-3)


def test_without_curves(beauty_data: BrainData, beauty_memory: MemoryResult,
                        beauty_oracle: OracleResult) -> None:
    memory = dataclasses.replace(beauty_memory, channels=[
        dataclasses.replace(c, curve=None, incremental_roi=None,
                            incremental_roi_reason="fewer than 56 days of data")
        for c in beauty_memory.channels
    ])
    result = run_curiosity(beauty_data, memory, beauty_oracle, now=NOW)
    assert result.allocation == {}
    assert not [a for a in result.actions if a.type in
                ("shift_budget", "increase_budget", "decrease_budget")]
    assert any("No response curves" in n and "56 days" in n for n in result.notes)
    creative = [a for a in result.actions if a.type in ("pause_creative", "refresh_creative")]
    assert creative
    assert all("platform-reported" in a.rationale for a in creative)


@pytest.mark.parametrize("days", [0, 1, 13])
def test_short_history(beauty_data: BrainData, days: int) -> None:
    data = truncate(beauty_data, days)
    memory = run_memory(data, period_start=data.start, period_end=data.end)
    oracle = run_oracle(data, memory)
    result = run_curiosity(data, memory, oracle, now=NOW)
    for a in result.actions:
        assert np.isfinite(a.expected_value)
    assert all(a.type not in ("pause_creative", "refresh_creative") for a in result.actions)


def test_zero_spend_and_revenue(beauty_data: BrainData) -> None:
    data = truncate(beauty_data, 90)
    m = data.metrics
    m.spend = np.zeros_like(m.spend)
    m.revenue = np.zeros_like(m.revenue)
    data = dataclasses.replace(data, orders=None, total_revenue=None,
                               revenue_source="platforms")
    memory = run_memory(data, period_start=data.start, period_end=data.end)
    oracle = run_oracle(data, memory)
    result = run_curiosity(data, memory, oracle, now=NOW)
    assert all(np.isfinite(a.expected_value) for a in result.actions)
    assert not [a for a in result.actions if a.type == "shift_budget"]


def test_regret_on_held_out_seed() -> None:
    sim = simulate("beauty", seed=HELD_OUT_SEED, days=365, today=SIM_TODAY)
    report = evaluate_curiosity([sim])
    assert report["headline_on"] == "held_out_seed"
    assert report["metrics"]["regret"] is not None
    assert report["metrics"]["regret"] <= 0.05
    assert report["metrics"]["latency_calls"] > 0
