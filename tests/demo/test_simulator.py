"""The simulator alone (no database): determinism, the beauty story, the ground truth."""

from __future__ import annotations

import dataclasses
import json
import math
from collections import defaultdict
from datetime import date, timedelta

import numpy as np
import pytest

from brain.demo.simulator import MIN_DAYS, Simulation, simulate
from brain.demo.verticals import PROFILES
from brain.warehouse.models import CreativeFormat, Platform
from tests.demo.conftest import TODAY


def _columns(sim: Simulation) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for group in ("metrics", "customers", "orders"):
        value = getattr(sim, group)
        for field in dataclasses.fields(value):
            out[f"{group}.{field.name}"] = getattr(value, field.name)
    return out


def _channel_index(sim: Simulation, platform: str) -> int:
    return next(i for i, c in enumerate(sim.channels) if c.platform == platform)


def _roas(sim: Simulation, channel: int, first: int, last: int) -> float:
    m = sim.metrics
    mask = (m.channel == channel) & (m.day >= first) & (m.day <= last)
    return float(m.revenue[mask].sum() / m.spend[mask].sum())


def _fit_endpoints(values: list[float]) -> tuple[float, float]:
    x = np.arange(len(values), dtype=float)
    slope, intercept = np.polyfit(x, np.array(values), 1)
    return float(intercept), float(intercept + slope * x[-1])


# --------------------------------------------------------------------------- determinism


def test_same_seed_and_today_give_identical_data_and_truth() -> None:
    first = simulate("beauty", days=90, seed=3, today=TODAY)
    second = simulate("beauty", days=90, seed=3, today=TODAY)
    assert first.creatives == second.creatives
    assert first.channels == second.channels
    a, b = _columns(first), _columns(second)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert json.dumps(first.truth) == json.dumps(second.truth)
    assert first.segment_rows() == second.segment_rows()


def test_different_seed_gives_different_data() -> None:
    first = simulate("beauty", days=90, seed=3, today=TODAY)
    other = simulate("beauty", days=90, seed=4, today=TODAY)
    assert not np.array_equal(first.metrics.spend, other.metrics.spend)
    assert len(first.orders) != len(other.orders) or not np.array_equal(
        first.orders.revenue, other.orders.revenue
    )
    assert json.dumps(first.truth) != json.dumps(other.truth)


def test_too_short_or_unknown_vertical_is_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        simulate("beauty", days=MIN_DAYS - 1, seed=1, today=TODAY)
    with pytest.raises(ValueError, match="unknown vertical"):
        simulate("cosmetics", days=90, seed=1, today=TODAY)


# --------------------------------------------------------------------------- structure


def test_account_structure(beauty_year: Simulation) -> None:
    sim = beauty_year
    assert sim.end == TODAY - timedelta(days=1)
    assert sim.start == sim.end - timedelta(days=364)
    assert {c.platform for c in sim.channels} == {"meta", "google", "youtube", "tiktok"}
    assert all(c.platform in set(Platform) for c in sim.channels)
    meta = next(c for c in sim.channels if c.platform == "meta")
    assert meta.external_account_id.startswith("act_")
    names = {(sim.channels[c.channel].platform, c.name) for c in sim.campaigns}
    for expected in ("Brand Search", "Non-brand Search", "Shopping"):
        assert ("google", expected) in names
    assert any(p == "tiktok" and "Spark" in n for p, n in names)
    assert any(p == "youtube" and "Awareness" in n for p, n in names)
    assert any(p == "meta" and "Retargeting" in n for p, n in names)
    assert any(p == "meta" and "Prospecting" in n for p, n in names)

    assert 40 <= len(sim.creatives) <= 60
    assert [c.name for c in sim.creatives] == [f"C{i}" for i in range(1, len(sim.creatives) + 1)]
    c12 = sim.creatives[11]
    assert c12.name == "C12"
    assert sim.channels[sim.campaigns[c12.campaign].channel].platform == "meta"
    assert {c.format for c in sim.creatives} <= set(CreativeFormat)
    launches_in_period = [c.launched_on for c in sim.creatives if c.launched_on >= sim.start]
    assert len({d.month for d in launches_in_period}) >= 10  # spread over the year
    for creative in sim.creatives:
        assert sim.ad_sets[creative.ad_set].campaign == creative.campaign
        assert creative.copy_length > 0
        assert creative.cta


def test_daily_metrics_are_consistent(beauty_year: Simulation) -> None:
    m = beauty_year.metrics
    keys = set(zip(m.day.tolist(), m.creative.tolist(), strict=True))
    assert len(keys) == len(m)  # one row per creative and day
    assert set(range(beauty_year.days)) == set(m.day.tolist())  # every day has delivery
    assert (m.impressions >= m.clicks).all()
    assert (m.clicks >= m.conversions).all()
    assert (m.spend > 0).all()
    assert (m.revenue >= 0).all()
    assert (m.frequency >= 1.0).all()
    video = np.array([beauty_year.creatives[k].format == "video" for k in m.creative.tolist()])
    assert (m.video_views[video] >= 0).all()
    assert (m.video_views[~video] == -1).all()
    # Roughly $1-2M a month of ad spend for a $65M brand.
    monthly_spend = m.spend.sum() / 12
    assert 1.0e6 <= monthly_spend <= 2.0e6
    assert 55e6 <= beauty_year.truth["totals"]["annualized_revenue_full_scale"] <= 75e6


def test_customers_and_orders(beauty_year: Simulation) -> None:
    sim = beauty_year
    cust, orders = sim.customers, sim.orders
    assert 20_000 <= len(cust) <= 40_000
    assert 60_000 <= len(orders) <= 120_000
    assert sim.customer_external_id(122) == "cus_000123"
    assert sim.customer_email(122) == "customer123@example.com"
    assert sim.order_external_id(0) == "ord_0000001"
    # Every customer's first order is on their first_order_on, in the customer's channel.
    first_index = np.unique(orders.customer, return_index=True)[1]
    assert len(first_index) == len(cust)
    np.testing.assert_array_equal(orders.day[first_index], cust.first_day[orders.customer[
        first_index]])
    np.testing.assert_array_equal(orders.channel[first_index],
                                  cust.channel[orders.customer[first_index]])
    assert (orders.day <= sim.days - 1).all()
    assert (np.diff(orders.day) >= 0).all()
    assert (orders.revenue > 0).all()
    truth = sim.truth
    assert truth["scale"]["customer_sample_fraction"] == sim.profile.customer_sample_fraction
    assert sum(s["count"] for s in truth["segments"].values()) == len(cust)
    rows = sim.segment_rows()
    by_segment: dict[str, int] = defaultdict(int)
    for row in rows:
        by_segment[row[1]] += 1
    assert by_segment == {k: v["count"] for k, v in truth["segments"].items()}
    # Segments differ the way their parameters say: subscribers order far more often.
    orders_per = {k: [] for k in truth["segments"]}  # type: dict[str, list[int]]
    for row in rows:
        orders_per[row[1]].append(row[4])
    assert np.mean(orders_per["loyal_subscribers"]) > 2 * np.mean(orders_per["one_and_done"])


# --------------------------------------------------------------------------- the beauty story


@pytest.mark.parametrize(
    ("seed", "today"), [(7, TODAY), (1, date(2026, 3, 3)), (11, date(2025, 7, 14))]
)
def test_beauty_story_holds_for_any_seed_and_date(seed: int, today: date) -> None:
    sim = simulate("beauty", days=365, seed=seed, today=today)
    days = sim.days
    meta, google, tiktok = (_channel_index(sim, p) for p in ("meta", "google", "tiktok"))
    assert _roas(sim, meta, days - 28, days - 1) == pytest.approx(3.6, abs=0.3)
    assert _roas(sim, google, days - 28, days - 1) == pytest.approx(2.3, abs=0.3)
    four_weeks_ago = _roas(sim, tiktok, days - 28, days - 22)
    last_week = _roas(sim, tiktok, days - 7, days - 1)
    assert four_weeks_ago == pytest.approx(2.8, abs=0.3)
    assert last_week == pytest.approx(1.9, abs=0.3)
    assert 0.6 <= four_weeks_ago - last_week <= 1.2

    m = sim.metrics
    c12 = m.creative == 11
    week_before = c12 & (m.day >= days - 21) & (m.day < days - 14)
    assert m.conversions[week_before].sum() / m.clicks[week_before].sum() == pytest.approx(
        0.08, abs=0.005
    )
    cvr = []
    for t in range(days - 14, days):
        mask = c12 & (m.day == t)
        cvr.append(float(m.conversions[mask].sum() / m.clicks[mask].sum()))
    start, end = _fit_endpoints(cvr)
    assert start == pytest.approx(0.08, abs=0.01)
    assert end == pytest.approx(0.05, abs=0.008)

    recent = [c["ltv_90"] for c in sim.truth["story"]["ltv_90_recent_cohorts"]][-4:]
    assert recent == pytest.approx([128.0, 119.0, 115.0, 112.0], abs=0.01)


def test_story_block_matches_the_data(beauty_year: Simulation) -> None:
    sim, story = beauty_year, beauty_year.truth["story"]
    days = sim.days
    for c, channel in enumerate(sim.channels):
        assert story["reported_roas_last_28d"][channel.name] == pytest.approx(
            _roas(sim, c, days - 28, days - 1), abs=1e-3
        )
    assert story["hero_channel"] == "Meta Ads"
    roas = story["reported_roas_last_28d"]
    assert max(roas, key=lambda name: roas[name]) == "Meta Ads"
    assert story["story_creative"]["name"] == "C12"
    assert story["story_creative"]["channel"] == "Meta Ads"
    # The fatigue truth of C12 is its window start.
    c12 = sim.truth["creatives"]["C12"]
    assert c12["fatigue_onset"] == story["story_creative"]["window_start"]
    assert c12["fatigue_multiplier_last_live_day"] == pytest.approx(0.625, abs=1e-3)


# --------------------------------------------------------------------------- ground truth


def _adstock(spend: list[float], decay: float, initial: float) -> list[float]:
    level, out = initial, []
    for x in spend:
        level = decay * level + (1 - decay) * x
        out.append(level)
    return out


def test_true_incremental_roas_recomputes_from_the_components(beauty_year: Simulation) -> None:
    sim, truth = beauty_year, beauty_year.truth
    m = sim.metrics
    for c, channel in enumerate(sim.channels):
        entry = truth["channels"][channel.name]
        spend = np.bincount(m.day[m.channel == c], weights=m.spend[m.channel == c],
                            minlength=sim.days)
        assert entry["spend"] == pytest.approx(spend.sum(), abs=0.01)
        adstock = _adstock(spend.tolist(), entry["adstock"]["decay"], entry["adstock"]["initial"])
        sat = entry["saturation"]
        effectiveness = truth["daily"]["channels"][channel.name]["effectiveness"]
        incremental = [
            sat["max_daily_revenue"] * e * a ** sat["shape"]
            / (a ** sat["shape"] + sat["half_saturation"] ** sat["shape"])
            for a, e in zip(adstock, effectiveness, strict=True)
        ]
        assert sum(incremental) / spend.sum() == pytest.approx(
            entry["true_incremental_roas"], rel=1e-5
        )
        assert incremental == pytest.approx(
            truth["daily"]["channels"][channel.name]["incremental_revenue"], abs=0.02
        )
        # And the target the profile asked for.
        spec = next(s for s in sim.profile.channels if s.name == channel.name)
        assert entry["true_incremental_roas"] == pytest.approx(spec.true_incremental_roas)
    # Platforms over-report TikTok the most; YouTube under-reports.
    ratio = {n: v["reported_over_true"] for n, v in truth["channels"].items()}
    assert max(ratio, key=lambda name: ratio[name]) == "TikTok Ads"
    assert ratio["YouTube"] < 1.0


def test_realized_acquisition_follows_the_true_response(beauty_year: Simulation) -> None:
    for entry in beauty_year.truth["channels"].values():
        assert entry["realized_incremental_roas"] == pytest.approx(
            entry["true_incremental_roas"], rel=0.15
        )
        assert entry["incremental_roas_with_repeat_orders"] > entry["true_incremental_roas"]


def test_fatigued_creatives_lose_click_through(beauty_year: Simulation) -> None:
    sim, m = beauty_year, beauty_year.metrics
    checked = 0
    for k, creative in enumerate(sim.creatives):
        info = sim.truth["creatives"][creative.name]
        if info["fatigue_onset"] is None or info["fatigue_multiplier_last_live_day"] > 0.6:
            continue
        onset = (date.fromisoformat(info["fatigue_onset"]) - sim.start).days
        rows = m.creative == k
        before = rows & (m.day < onset) & (m.day >= onset - 7)
        live_days = np.sort(m.day[rows])
        after = rows & (m.day >= live_days[-7])
        if before.sum() < 5 or live_days[-7] <= onset:
            continue
        ctr_before = m.clicks[before].sum() / m.impressions[before].sum()
        ctr_after = m.clicks[after].sum() / m.impressions[after].sum()
        assert ctr_after < 0.85 * ctr_before, creative.name
        checked += 1
    assert checked >= 5


def test_anomalies_are_visible_in_the_metrics(beauty_year: Simulation) -> None:
    sim, m = beauty_year, beauty_year.metrics
    anomalies = sim.truth["anomalies"]
    assert {a["kind"] for a in anomalies} >= {"spend_spike", "ctr_collapse", "tracking_break"}
    names = [c.name for c in sim.channels]
    for anomaly in anomalies:
        first = (date.fromisoformat(anomaly["start"]) - sim.start).days
        last = (date.fromisoformat(anomaly["end"]) - sim.start).days
        assert 0 <= first <= last < sim.days
        if anomaly["entity_type"] == "creative":
            rows = m.creative == next(
                i for i, c in enumerate(sim.creatives) if c.name == anomaly["entity"]
            )
        else:
            rows = m.channel == names.index(anomaly["entity"])
        inside = rows & (m.day >= first) & (m.day <= last)
        around = rows & (abs(m.day - first) <= 10) & ~((m.day >= first) & (m.day <= last))

        def daily(values: np.ndarray, mask: np.ndarray) -> float:
            return float(values[mask].sum()) / len(set(m.day[mask].tolist()))

        if anomaly["kind"] == "spend_spike":
            assert daily(m.spend, inside) > 2 * daily(m.spend, around)
        elif anomaly["kind"] == "spend_drop":
            assert daily(m.spend, inside) < 0.3 * daily(m.spend, around)
        elif anomaly["kind"] == "tracking_break":
            assert daily(m.conversions, inside) < 0.1 * daily(m.conversions, around)
        elif anomaly["kind"] == "ctr_collapse":
            ctr_in = m.clicks[inside].sum() / m.impressions[inside].sum()
            ctr_out = m.clicks[around].sum() / m.impressions[around].sum()
            assert ctr_in < 0.5 * ctr_out


def test_cohort_truth_recomputes_from_orders(beauty_year: Simulation) -> None:
    sim = beauty_year
    cust, orders = sim.customers, sim.orders
    revenue_90: dict[int, float] = defaultdict(float)
    for c, day, value in zip(orders.customer.tolist(), orders.day.tolist(),
                             orders.revenue.tolist(), strict=True):
        if day - cust.first_day[c] < 90:
            revenue_90[c] += value
    by_month: dict[str, list[float]] = defaultdict(list)
    for c, day in enumerate(cust.first_day.tolist()):
        on = sim.date_at(day)
        by_month[f"{on.year:04d}-{on.month:02d}"].append(revenue_90[c])
    for key, entry in sim.truth["cohorts"].items():
        if entry["ltv_90"] is not None:
            assert entry["ltv_90"] == pytest.approx(float(np.mean(by_month[key])), abs=0.01)
            assert entry["customers"] == len(by_month[key])


@pytest.mark.parametrize("vertical", sorted(PROFILES))
def test_every_vertical_simulates_short_and_long_periods(vertical: str) -> None:
    short = simulate(vertical, days=MIN_DAYS, seed=5, today=TODAY)
    assert short.days == MIN_DAYS
    assert len(short.metrics) > 0
    assert len(short.orders) > 0
    sim = simulate(vertical, days=365, seed=5, today=TODAY)
    assert 40 <= len(sim.creatives) <= 60
    story = sim.truth["story"]
    roas = story["reported_roas_last_28d"]
    assert max(roas, key=lambda name: roas[name]) == sim.profile.hero_channel
    assert all(
        not math.isnan(v["true_incremental_roas"]) for v in sim.truth["channels"].values()
    )
    description_revenue = float(sim.profile.description.split("$")[1].split("M")[0]) * 1e6
    assert sim.truth["totals"]["annualized_revenue_full_scale"] == pytest.approx(
        description_revenue, rel=0.15
    )
