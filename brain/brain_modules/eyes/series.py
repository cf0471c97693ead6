"""Dense daily series from `BrainData.metrics` and the trends modules compare.

Dense matrices (entities x days) because every consumer works on whole windows: for 10,000
creatives x 365 days one float field is 29 MB, built with one `np.add.at` pass, while per
entity Python loops would take minutes.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from brain.brain_modules.contracts import BrainData, FloatArray

MetricField = Literal["impressions", "clicks", "spend", "conversions", "revenue"]


def _daily(data: BrainData, key: np.ndarray, size: int, field: MetricField) -> FloatArray:
    out = np.zeros((size, data.days))
    m = data.metrics
    ok = (key >= 0) & (m.day >= 0) & (m.day < data.days)
    np.add.at(out, (key[ok], m.day[ok]), getattr(m, field)[ok])
    return out


def channel_daily(data: BrainData, field: MetricField) -> FloatArray:
    """channels x days sums of `field` (rows at every grain count once; see data.py)."""
    return _daily(data, data.metrics.channel, len(data.channels), field)


def creative_daily(data: BrainData, field: MetricField) -> FloatArray:
    """creatives x days sums of `field` (rows reported above creative level are left out)."""
    return _daily(data, data.metrics.creative, len(data.creatives), field)


def rolling_sum(series: FloatArray, window: int) -> FloatArray:
    """Trailing sums over `window` days along the last axis (shorter at the start)."""
    cumulative = np.cumsum(series, axis=-1)
    out = cumulative.copy()
    if window < series.shape[-1]:
        out[..., window:] = cumulative[..., window:] - cumulative[..., :-window]
    return out


def ratio_series(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """numerator / denominator with NaN where the denominator is zero (no fake zeros)."""
    out = np.full(np.broadcast(numerator, denominator).shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def relative_trend(series: FloatArray, window: int = 28, horizon: int = 28) -> FloatArray:
    """Least-squares slope over the last `window` days, as the relative change over
    `horizon` days against the window's mean (e.g. -0.3 = falling 30 % per 28 days).

    NaN days are ignored; NaN when fewer than half the window's days have values or the
    mean is not positive. Works on one series or a matrix (one trend per row).
    """
    values = np.atleast_2d(series)[:, -window:]
    x = np.arange(values.shape[1], dtype=np.float64)
    valid = np.isfinite(values)
    count = valid.sum(axis=1)
    filled = np.where(valid, values, 0.0)
    mean_x = np.where(count > 0, (x * valid).sum(axis=1) / np.maximum(count, 1), 0.0)
    mean_y = np.where(count > 0, filled.sum(axis=1) / np.maximum(count, 1), np.nan)
    dx = np.where(valid, x[None, :] - mean_x[:, None], 0.0)
    slope = (dx * (filled - mean_y[:, None] * valid)).sum(axis=1) / np.maximum(
        (dx * dx).sum(axis=1), 1e-12)
    ok = (count >= max(2, values.shape[1] // 2)) & (mean_y > 0)
    trend = np.where(ok, slope * horizon / np.where(ok, mean_y, 1.0), np.nan)
    return trend if np.ndim(series) > 1 else trend.reshape(-1)[:1].reshape(())
