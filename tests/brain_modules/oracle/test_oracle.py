"""ORACLE on simulated tenants: the beauty demo story, short and degenerate data, the model
artifact's safety, no label leakage, and the AUC targets on the held-out seed."""

from __future__ import annotations

import dataclasses
import json
import struct
import uuid
from datetime import date, timedelta

import numpy as np
import pytest
import skops.io as sio

from brain.brain_modules.contracts import BrainData, ChannelInfo, DailyRows, MemoryResult
from brain.brain_modules.data import from_simulation, truncate
from brain.brain_modules.memory import run_memory
from brain.brain_modules.oracle import (
    HELD_OUT_SEED,
    FatigueModel,
    default_fatigue_model,
    run_oracle,
    train_fatigue_model,
)
from brain.brain_modules.oracle.evaluate import evaluate_oracle
from brain.brain_modules.oracle.features import FEATURE_NAMES, PanelFeatures, build_panel
from brain.brain_modules.oracle.seeds import DEV_SEEDS, SIM_TODAY
from brain.demo.simulator import Simulation, simulate

DEMO_SEED = 7  # the seed `brain demo seed` uses


@pytest.fixture(scope="module")
def model() -> FatigueModel:
    return default_fatigue_model()


@pytest.fixture(scope="module")
def beauty() -> Simulation:
    return simulate("beauty", seed=DEMO_SEED, days=365, today=SIM_TODAY)


@pytest.fixture(scope="module")
def beauty_data(beauty: Simulation) -> BrainData:
    return from_simulation(beauty, uuid.uuid4())


@pytest.fixture(scope="module")
def beauty_memory(beauty_data: BrainData) -> MemoryResult:
    return run_memory(beauty_data, period_start=beauty_data.end - timedelta(days=27),
                      period_end=beauty_data.end)


def test_beauty_story(beauty_data: BrainData, beauty_memory: MemoryResult,
                      model: FatigueModel) -> None:
    result = run_oracle(beauty_data, beauty_memory, model=model)
    c12 = next(f for f in result.creatives if f.name == "C12")
    assert c12.method == "model"
    assert c12.fatigue_probability_7d is not None
    assert c12.fatigue_probability_7d >= 0.8
    assert c12.fatigue_probability_14d is not None
    assert c12.fatigue_probability_14d >= c12.fatigue_probability_7d
    assert c12.predicted_drop is not None
    assert c12.predicted_drop.ci_low <= c12.predicted_drop.estimate <= c12.predicted_drop.ci_high
    assert c12.risk_factors
    assert any("CTR" in f for f in c12.risk_factors)
    assert c12.recommended_refresh_date is not None
    assert c12.recommended_refresh_date > beauty_data.end
    tiktok = next(c for c in result.channels if c.name == "TikTok Ads")
    assert tiktok.decay_severity in ("medium", "high")
    assert tiktok.roas_trend < -0.15
    meta = next(c for c in result.channels if c.name == "Meta Ads")
    assert meta.decay_severity == "none"
    drifting = [d for d in result.ltv_drift if d.horizon_days == 90
                and d.severity in ("medium", "high")]
    assert drifting
    assert drifting[-1].drift < -0.05
    assert result.risk_level == "red"
    assert any("TikTok" in r for r in result.risk_reasons)
    assert result.model_version == model.version


def test_rules_fallback_without_model(beauty_data: BrainData) -> None:
    result = run_oracle(beauty_data, None)
    scored = [f for f in result.creatives if f.method != "insufficient_data"]
    assert scored
    assert all(f.method == "rules" for f in scored)
    c12 = next(f for f in result.creatives if f.name == "C12")
    assert c12.fatigue_probability_7d is not None
    assert c12.fatigue_probability_7d >= 0.5
    assert any("rule-based" in n for n in result.notes)
    # Without MEMORY the cohorts come from the orders.
    assert result.ltv_drift


@pytest.mark.parametrize("days", [0, 1, 13, 20])
def test_short_history_explains(beauty_data: BrainData, model: FatigueModel, days: int) -> None:
    data = truncate(beauty_data, days)
    result = run_oracle(data, None, model=model)
    assert result.risk_level in ("green", "yellow", "red")
    for f in result.creatives:
        if f.method == "insufficient_data":
            assert f.fatigue_probability_7d is None
            assert f.predicted_drop is None
            assert f.reason is not None
            assert f"ORACLE needs 14 days of history for creative {f.name} (has " in f.reason
    if days < 14:
        assert all(f.method == "insufficient_data" for f in result.creatives)
        assert all(c.decay_severity == "none" for c in result.channels)
        assert any("14 days" in n for n in result.notes)


def _one_channel(data: BrainData, *, spend_factor: float, revenue_factor: float) -> BrainData:
    """Only the first channel's rows (other channels' creatives simply never deliver)."""
    m = data.metrics
    keep = m.channel == 0
    rows = DailyRows(*(getattr(m, f)[keep] for f in DailyRows.__slots__))
    rows.spend = rows.spend * spend_factor
    rows.revenue = rows.revenue * revenue_factor
    return dataclasses.replace(data, channels=data.channels[:1], metrics=rows, orders=None,
                               total_revenue=None, revenue_source="platforms")


@pytest.mark.parametrize(("spend", "revenue"), [(1.0, 1.0), (0.0, 1.0), (1.0, 0.0), (0.0, 0.0)])
def test_one_channel_zero_spend_zero_revenue(beauty_data: BrainData, model: FatigueModel,
                                             spend: float, revenue: float) -> None:
    data = _one_channel(truncate(beauty_data, 60), spend_factor=spend, revenue_factor=revenue)
    result = run_oracle(data, None, model=model)
    assert len(result.channels) == 1
    channel = result.channels[0]
    assert np.isfinite(channel.roas_trend)
    assert np.isfinite(channel.spend_trend)
    if spend == 0.0:
        assert channel.decay_severity == "none"
        assert channel.reasons == ["no spend in the last 28 days"]
    for f in result.creatives:
        for p in (f.fatigue_probability_7d, f.fatigue_probability_14d):
            assert p is None or 0.0 <= p <= 1.0
    assert any("cohorts" in n for n in result.notes)


def test_empty_tenant(beauty_data: BrainData, model: FatigueModel) -> None:
    empty = dataclasses.replace(
        truncate(beauty_data, 0), channels=[], campaigns=[], creatives=[], orders=None,
    )
    result = run_oracle(empty, None, model=model)
    assert result.creatives == []
    assert result.channels == []
    assert result.ltv_drift == []
    assert result.risk_level == "green"


def test_features_never_see_the_future(beauty_data: BrainData) -> None:
    full = PanelFeatures(build_panel(beauty_data))
    rng = np.random.default_rng(0)
    for t in (30, 120, 300):
        cut = truncate(beauty_data, t + 1)
        past = PanelFeatures(build_panel(cut))
        m = beauty_data.metrics
        live = np.unique(m.creative[(m.day == t) & (m.creative >= 0)])
        k = rng.choice(live, size=min(10, live.size), replace=False).astype(np.int64)
        day = np.full(k.size, t, dtype=np.int64)
        np.testing.assert_allclose(full.matrix(k, day), past.matrix(k, day), equal_nan=True)


class _Untrusted:
    """Stands for any type outside scikit-learn/NumPy an attacker could smuggle in."""


def test_artifact_round_trip_and_safety(beauty_data: BrainData, model: FatigueModel) -> None:
    blob = model.to_bytes()
    loaded = FatigueModel.from_bytes(blob)
    assert loaded.version == model.version
    assert loaded.metadata["feature_names"] == list(FEATURE_NAMES)
    assert set(DEV_SEEDS)
    assert HELD_OUT_SEED not in DEV_SEEDS
    assert all(f"seed={HELD_OUT_SEED}" not in s
               for s in loaded.metadata["training_window"]["simulations"])
    x = build_panel(beauty_data)
    feats = PanelFeatures(x)
    k = np.arange(5, dtype=np.int64)
    day = np.full(5, 200, dtype=np.int64)
    rows = feats.matrix(k, day)
    np.testing.assert_allclose(loaded.predict(rows)["p7"], model.predict(rows)["p7"])
    with pytest.raises(ValueError, match="not a Brain"):
        FatigueModel.from_bytes(b"\x80\x04pickle")
    meta = json.dumps(model.metadata).encode()
    header = b"BRAINFM1" + struct.pack(">I", len(meta)) + meta
    evil = sio.dumps({"p7": _Untrusted(), "p14": _Untrusted()})
    with pytest.raises(ValueError, match="untrusted types"):
        FatigueModel.from_bytes(header + evil)


def test_auc_targets_on_held_out_seed(model: FatigueModel) -> None:
    sim = simulate("supplements", seed=HELD_OUT_SEED, days=365, today=SIM_TODAY)
    report = evaluate_oracle([sim], model=model)
    assert report["headline_on"] == "held_out_seed"
    metrics = report["metrics"]
    assert metrics["auc_7d"] >= 0.85
    assert metrics["auc_14d"] >= 0.75
    assert metrics["auc_7d_rules"] is not None
    assert report["meets_targets"] == {"auc_7d": True, "auc_14d": True}


def test_default_model_is_deterministic(model: FatigueModel) -> None:
    assert default_fatigue_model() is model
    assert model.metadata["training_rows"] > 1000
    assert model.version.startswith("oracle-fatigue-")
    assert date.fromisoformat(model.metadata["training_window"]["end"]) < SIM_TODAY


def test_training_is_deterministic() -> None:
    sim = simulate("wellness", seed=DEV_SEEDS[0], days=150, today=SIM_TODAY)
    first = train_fatigue_model([sim])
    second = train_fatigue_model([sim])
    assert first.version == second.version
    assert first.metadata["training_window"]["simulations"] == [f"wellness/seed={DEV_SEEDS[0]}"]


def _channel_days(spend: np.ndarray, revenue: np.ndarray) -> BrainData:
    days = spend.size
    zeros = np.zeros(days)
    rows = DailyRows(
        day=np.arange(days, dtype=np.int64), channel=np.zeros(days, dtype=np.int64),
        campaign=np.full(days, -1, dtype=np.int64), creative=np.full(days, -1, dtype=np.int64),
        impressions=spend * 100, clicks=spend, spend=spend, conversions=zeros, revenue=revenue,
        frequency=np.full(days, np.nan),
    )
    start = date(2025, 1, 1)
    return BrainData(
        organization_id=uuid.uuid4(), start=start, end=start + timedelta(days=days - 1),
        channels=[ChannelInfo(uuid.uuid4(), "Solo", "meta")], campaigns=[], creatives=[],
        metrics=rows, orders=None, total_revenue=None, revenue_source="platforms",
    )


def test_channel_decay_rules() -> None:
    t = np.arange(42, dtype=np.float64)
    flat = run_oracle(_channel_days(1000 + 0 * t, 3000 + 0 * t), None).channels[0]
    assert flat.decay_severity == "none"
    rising = run_oracle(_channel_days(1000 * 1.01**t, 3000 + 0 * t), None).channels[0]
    assert rising.spend_trend > 0.1
    assert rising.decay_severity in ("medium", "high")
    assert any("spend is rising" in r for r in rising.reasons)
    falling = 1000 + 0 * t
    collapse = run_oracle(_channel_days(falling, falling * np.linspace(3.0, 1.5, 42)), None)
    assert collapse.channels[0].decay_severity == "high"
    assert collapse.risk_level == "red"
    assert "fell from" in collapse.channels[0].reasons[0]
