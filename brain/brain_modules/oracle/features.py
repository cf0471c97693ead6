"""Features of a creative's own history as of a day, for the fatigue classifier.

Everything for (creative k, day t) is computed from metric rows dated on or before t only
(windowed sums over cumulative arrays), so a feature can never see the future it is asked to
predict. The panel may start later than the data (`first_day`): whatever happened before it is
kept as per-creative totals, which lets a forecast "as of the last day" look only at the
recent weeks and stay cheap for tens of thousands of creatives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from brain.brain_modules.contracts import BrainData, FloatArray, IntArray

MIN_HISTORY_DAYS = 14

FORMATS: tuple[str, ...] = ("video", "image", "carousel", "text")
PLATFORMS: tuple[str, ...] = ("meta", "google", "tiktok", "youtube")

NUMERIC_FEATURES: tuple[str, ...] = (
    "age_days",
    "live_days",
    "ctr_7d",
    "ctr_vs_peak",
    "ctr_vs_lifetime",
    "ctr_wow",
    "ctr_14d_trend",
    "cvr_14d_trend",
    "cpa_14d_trend",
    "frequency",
    "cumulative_frequency",
    "exposure_age_days",
    "log_impressions_7d",
    "spend_wow",
    "spend_share_in_campaign",
    "days_since_ctr_peak",
)
FEATURE_NAMES: tuple[str, ...] = (
    NUMERIC_FEATURES
    + tuple(f"format_{f}" for f in FORMATS)
    + tuple(f"platform_{p}" for p in PLATFORMS)
)

# Features grouped by the plain-language risk factor they stand for.
RISK_GROUPS: dict[str, tuple[str, ...]] = {
    "ctr_decline": ("ctr_vs_peak", "ctr_vs_lifetime", "ctr_wow", "ctr_14d_trend",
                    "days_since_ctr_peak"),
    "cvr_cpa": ("cvr_14d_trend", "cpa_14d_trend"),
    "frequency": ("frequency", "cumulative_frequency"),
    "age": ("age_days", "live_days", "exposure_age_days"),
    "spend": ("log_impressions_7d", "spend_wow", "spend_share_in_campaign"),
}


@dataclass(slots=True)
class CreativePanel:
    """Creatives x days matrices from `first_day` to the last day, plus totals before it."""

    first_day: int
    impressions: FloatArray
    clicks: FloatArray
    spend: FloatArray
    conversions: FloatArray
    frequency: FloatArray  # NaN where not reported
    prior_impressions: FloatArray
    prior_clicks: FloatArray
    prior_live_days: FloatArray
    launch_day: IntArray  # days since data start (negative: launched before it)
    campaign: IntArray
    channel: IntArray
    format_index: IntArray  # index into FORMATS, -1 other
    platform_index: IntArray  # index into PLATFORMS, -1 other


def build_panel(data: BrainData, first_day: int = 0) -> CreativePanel:
    m = data.metrics
    n, days = len(data.creatives), data.days
    first_day = max(0, min(first_day, days))
    width = days - first_day
    rows = (m.creative >= 0) & (m.creative < n) & (m.day >= 0) & (m.day < days)
    k, d = m.creative[rows], m.day[rows]
    inside = d >= first_day
    shape = (n, width)

    def matrix(values: FloatArray) -> FloatArray:
        out = np.zeros(shape)
        np.add.at(out, (k[inside], d[inside] - first_day), np.nan_to_num(values[rows][inside]))
        return out

    def prior(values: FloatArray) -> FloatArray:
        return np.bincount(k[~inside], weights=np.nan_to_num(values[rows][~inside]),
                           minlength=n).astype(np.float64)

    frequency = np.full(shape, np.nan)
    freq = m.frequency[rows][inside]
    ok = np.isfinite(freq)
    frequency[k[inside][ok], d[inside][ok] - first_day] = freq[ok]
    impressions = m.impressions[rows]
    live_before = np.zeros(n)
    if (~inside).any():
        pairs = np.unique(np.stack([k[~inside], d[~inside]]), axis=1)
        live_before = np.bincount(pairs[0], minlength=n).astype(np.float64)
    first_seen = np.full(n, days, dtype=np.int64)
    np.minimum.at(first_seen, k, d)
    launch = np.array(
        [
            (c.launched_on - data.start).days if c.launched_on is not None else int(first_seen[i])
            for i, c in enumerate(data.creatives)
        ],
        dtype=np.int64,
    )
    launch = np.minimum(launch, first_seen)
    fmt = {f: i for i, f in enumerate(FORMATS)}
    plat = {p: i for i, p in enumerate(PLATFORMS)}
    return CreativePanel(
        first_day=first_day,
        impressions=matrix(impressions),
        clicks=matrix(m.clicks),
        spend=matrix(m.spend),
        conversions=matrix(m.conversions),
        frequency=frequency,
        prior_impressions=prior(impressions),
        prior_clicks=prior(m.clicks),
        prior_live_days=live_before,
        launch_day=launch,
        campaign=np.array([c.campaign for c in data.creatives], dtype=np.int64),
        channel=np.array([c.channel for c in data.creatives], dtype=np.int64),
        format_index=np.array([fmt.get(c.format.lower(), -1) for c in data.creatives],
                              dtype=np.int64),
        platform_index=np.array(
            [plat.get(data.channels[c.channel].platform.lower(), -1)
             if 0 <= c.channel < len(data.channels) else -1 for c in data.creatives],
            dtype=np.int64,
        ),
    )


def _cum(x: FloatArray) -> FloatArray:
    out = np.zeros((x.shape[0], x.shape[1] + 1))
    np.cumsum(x, axis=1, out=out[:, 1:])
    return out


def _ratio(a: FloatArray, b: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan), dtype=np.float64)


def _solve_exposure(freq: FloatArray) -> FloatArray:
    """Invert the platforms' frequency f = x / (1 - exp(-x)) for x (impressions / audience)."""
    f = np.where(np.isfinite(freq) & (freq > 1.0), freq, np.nan)
    x = np.where(f < 2.0, 2.0 * (f - 1.0), f)
    for _ in range(30):
        e = np.exp(-x)
        g = x / (1.0 - e) - f
        dg = (1.0 - e - x * e) / (1.0 - e) ** 2
        x = np.maximum(x - g / np.where(dg > 1e-12, dg, 1e-12), 1e-6)
    return np.asarray(x, dtype=np.float64)


class PanelFeatures:
    """Windowed statistics of one panel, computed once and read for any (creative, day)."""

    def __init__(self, panel: CreativePanel) -> None:
        self.p = panel
        self.ci = _cum(panel.impressions)
        self.cc = _cum(panel.clicks)
        self.cs = _cum(panel.spend)
        self.cv = _cum(panel.conversions)
        self.cl = _cum((panel.impressions > 0).astype(np.float64))
        width = panel.impressions.shape[1]
        # Running peak of the 7-day CTR (windows with at least 5 live days count).
        idx = np.arange(width)
        lo = np.maximum(idx - 6, 0)
        imps7 = self.ci[:, idx + 1] - self.ci[:, lo]
        clicks7 = self.cc[:, idx + 1] - self.cc[:, lo]
        live7 = self.cl[:, idx + 1] - self.cl[:, lo]
        ctr7 = np.where((live7 >= 5) & (imps7 > 0), clicks7 / np.where(imps7 > 0, imps7, 1), -1.0)
        self.peak = np.maximum.accumulate(ctr7, axis=1)
        peak_day = np.where(ctr7 >= self.peak - 1e-15, idx[None, :], 0)
        self.peak_day = np.maximum.accumulate(peak_day, axis=1)
        # Campaign spend per day, for the creative's share.
        n_campaigns = int(panel.campaign.max()) + 1 if panel.campaign.size else 0
        camp = np.zeros((max(n_campaigns, 1), width))
        np.add.at(camp, np.maximum(panel.campaign, 0), panel.spend)
        self.camp_cum = _cum(camp)
        # Last reported frequency on or before each day (carried forward up to 7 days).
        freq = panel.frequency.copy()
        for shift in range(1, 7):
            prev = np.full_like(freq, np.nan)
            prev[:, shift:] = panel.frequency[:, :-shift]
            freq = np.where(np.isfinite(freq), freq, prev)
        self.freq = freq

    def window(self, cum: FloatArray, k: IntArray, t: IntArray, n: int, lag: int = 0) -> FloatArray:
        """Sum over panel columns (t - lag - n, t - lag] (t is a panel column index)."""
        hi = np.clip(t - lag + 1, 0, cum.shape[1] - 1)
        lo = np.clip(t - lag - n + 1, 0, cum.shape[1] - 1)
        return np.asarray(cum[k, hi] - cum[k, lo], dtype=np.float64)

    def matrix(self, k: IntArray, day: IntArray) -> FloatArray:
        """Feature rows (len(k) x len(FEATURE_NAMES)) for creatives `k` as of data days `day`."""
        p = self.p
        t = day - p.first_day
        big = int(t.max()) + 2 if t.size else 1
        w = self.window
        imps7, imps7p = w(self.ci, k, t, 7), w(self.ci, k, t, 7, 7)
        clicks7, clicks7p = w(self.cc, k, t, 7), w(self.cc, k, t, 7, 7)
        imps14, imps14p = w(self.ci, k, t, 14), w(self.ci, k, t, 14, 14)
        clicks14, clicks14p = w(self.cc, k, t, 14), w(self.cc, k, t, 14, 14)
        conv14, conv14p = w(self.cv, k, t, 14), w(self.cv, k, t, 14, 14)
        spend14, spend14p = w(self.cs, k, t, 14), w(self.cs, k, t, 14, 14)
        spend7, spend7p = w(self.cs, k, t, 7), w(self.cs, k, t, 7, 7)
        cum_imps = p.prior_impressions[k] + w(self.ci, k, t, big)
        cum_clicks = p.prior_clicks[k] + w(self.cc, k, t, big)
        live = p.prior_live_days[k] + w(self.cl, k, t, big)
        ctr7 = _ratio(clicks7, imps7)
        ctr7p = _ratio(clicks7p, imps7p)
        peak = np.where(self.peak[k, t] > 0, self.peak[k, t], np.nan)
        age = (day - p.launch_day[k]).astype(np.float64)
        # Impressions before the data starts for creatives launched earlier (estimated at the
        # rate of their first observed week).
        before = np.maximum(-p.launch_day[k], 0).astype(np.float64)
        first_rate = np.where(live > 0, cum_imps / np.maximum(live, 1), 0.0)
        exposure_total = cum_imps + np.where(p.prior_live_days[k] > 0, 0.0, before * first_rate)
        x = _solve_exposure(self.freq[k, t])
        audience = _ratio(imps7, x)
        camp7 = self.camp_cum[p.campaign[k], np.clip(t + 1, 0, None)] - self.camp_cum[
            p.campaign[k], np.clip(t - 6, 0, None)
        ]
        cols: dict[str, FloatArray] = {
            "age_days": age,
            "live_days": live,
            "ctr_7d": ctr7,
            "ctr_vs_peak": _ratio(ctr7, peak),
            "ctr_vs_lifetime": _ratio(ctr7, _ratio(cum_clicks, cum_imps)),
            "ctr_wow": _ratio(ctr7, ctr7p),
            "ctr_14d_trend": _ratio(_ratio(clicks14, imps14), _ratio(clicks14p, imps14p)),
            "cvr_14d_trend": _ratio(_ratio(conv14, clicks14), _ratio(conv14p, clicks14p)),
            "cpa_14d_trend": _ratio(_ratio(spend14, conv14), _ratio(spend14p, conv14p)),
            "frequency": self.freq[k, t],
            "cumulative_frequency": _ratio(exposure_total, audience),
            "exposure_age_days": _ratio(exposure_total, imps7 / 7.0),
            "log_impressions_7d": np.log1p(imps7),
            "spend_wow": _ratio(spend7, spend7p),
            "spend_share_in_campaign": _ratio(spend7, camp7),
            "days_since_ctr_peak": np.where(np.isfinite(peak), t - self.peak_day[k, t], np.nan),
        }
        out = np.empty((k.size, len(FEATURE_NAMES)))
        for j, name in enumerate(NUMERIC_FEATURES):
            out[:, j] = cols[name]
        base = len(NUMERIC_FEATURES)
        for j in range(len(FORMATS)):
            out[:, base + j] = (p.format_index[k] == j).astype(np.float64)
        base += len(FORMATS)
        for j in range(len(PLATFORMS)):
            out[:, base + j] = (p.platform_index[k] == j).astype(np.float64)
        out[~np.isfinite(out)] = np.nan
        return out
