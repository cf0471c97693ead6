"""EYES' dense series and trends."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from brain.brain_modules.data import from_simulation
from brain.brain_modules.eyes import (
    channel_daily,
    creative_daily,
    ratio_series,
    relative_trend,
    rolling_sum,
)
from brain.demo.simulator import simulate


def test_series_sum_to_the_metrics() -> None:
    data = from_simulation(simulate("supplements", seed=11, days=45, today=date(2026, 1, 15)))
    spend = channel_daily(data, "spend")
    assert spend.shape == (len(data.channels), data.days)
    assert spend.sum() == pytest.approx(data.metrics.spend.sum())
    clicks = creative_daily(data, "clicks")
    assert clicks.shape == (len(data.creatives), data.days)
    assert clicks.sum() == pytest.approx(data.metrics.clicks.sum())


def test_trend_ratio_and_rolling() -> None:
    falling = np.linspace(100.0, 70.0, 28)
    assert float(relative_trend(falling)) == pytest.approx(-30.0 / 27 * 28 / 85.0)
    both = relative_trend(np.vstack([falling, np.full(28, np.nan)]))
    assert np.isnan(both[1])
    assert both[0] < 0
    assert np.isnan(ratio_series(np.array([1.0]), np.array([0.0]))[0])
    assert rolling_sum(np.arange(5.0), 2).tolist() == [0.0, 1.0, 3.0, 5.0, 7.0]
