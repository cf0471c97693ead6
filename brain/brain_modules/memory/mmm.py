"""A small marketing-mix model in NumPy/SciPy: what each channel's spend caused.

    revenue_t = baseline_t + sum_c beta_c * hill(adstock_c(t); K_c, n_c) + noise

* adstock: normalised geometric carry-over `a_t = decay * a_{t-1} + (1 - decay) * spend_t`
  starting from the mean of the first two weeks (steady state before the data);
* hill: `a^n / (a^n + K^n)` (diminishing returns);
* baseline: intercept, linear trend, day-of-week effects (daily data), yearly Fourier terms
  and optional control variables.

Fitting is variable projection: for given non-linear parameters (decay, K, n per channel) the
model is linear in beta and the baseline, solved by least squares; L-BFGS-B searches the
non-linear parameters on the profiled penalised error. The penalties are weak priors (K near
the channel's typical spend, n near 1) that keep unidentified curves in a plausible place.

Why a calibration prior: a year of daily revenue moves mostly with seasonality and growth,
which hit every channel's spend at the same time, so the revenue series alone pins each
channel's return down to tens of percent at best. When the tenant's orders say which channel
acquired each customer, MEMORY passes each channel's first-order revenue per dollar as a prior
on its incremental ROAS (`prior_roas`, `prior_sd`); the likelihood of the total-revenue series
still moves the estimate where it is informative. Both the calibrated and the pure MMM are
scored by `brain eval`.

Intervals: the covariance of the linear coefficients at the optimum (the Hessian of the
penalised least squares), with the residual variance inflated for day-to-day autocorrelation.
They do not include the uncertainty of the adstock and saturation shapes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import lsq_linear, minimize
from scipy.signal import lfilter

from brain.brain_modules.contracts import FloatArray, IntArray

Z95 = 1.959963984540054
_DECAY_MAX = 0.9


@dataclass(slots=True)
class MmmInput:
    y: FloatArray  # revenue per period (day or week)
    spend: FloatArray  # channels x periods
    day_of_year: FloatArray  # per period, 1..366
    weekday: IntArray | None = None  # 0..6 per period for daily data, None for weekly
    controls: FloatArray | None = None  # k x periods
    periods_per_year: float = 365.25
    prior_roas: FloatArray | None = None  # per channel, NaN = none
    prior_sd: FloatArray | None = None
    fourier_terms: int = 2
    trend_degree: int = 2  # polynomial trend (2 bends once: growth that slows or speeds up)


@dataclass(slots=True)
class ChannelFit:
    decay: float
    half_saturation: float  # in spend units
    shape: float
    beta: float  # revenue per period at full saturation
    contribution: FloatArray  # modelled incremental revenue per period
    roas: float
    ci_low: float
    ci_high: float


@dataclass(slots=True)
class MmmFit:
    channels: list[ChannelFit]
    r2: float
    sigma: float
    baseline: FloatArray
    notes: list[str] = field(default_factory=list)


def trend_degree_for(years: float) -> int:
    """Polynomial trend degree: one bend per year of data beyond the first, at most 3 (a
    longer series shows growth that slows or speeds up; a short one cannot tell)."""
    return int(min(3, 1 + math.ceil(max(years, 0.0))))


def adstock(spend: FloatArray, decay: float) -> FloatArray:
    """Normalised geometric adstock, started at the mean of the first 14 periods."""
    if spend.size == 0:
        return spend.copy()
    initial = float(spend[: min(14, spend.size)].mean())
    zi = np.array([decay * initial])
    out, _ = lfilter([1.0 - decay], [1.0, -decay], spend, zi=zi)
    return np.asarray(out, dtype=np.float64)


def hill(a: FloatArray, half: float, shape: float) -> FloatArray:
    powered = np.power(np.maximum(a, 0.0), shape)
    return np.asarray(powered / (powered + max(half, 1e-12) ** shape), dtype=np.float64)


def _baseline_design(inp: MmmInput) -> FloatArray:
    n = inp.y.size
    ramp = np.linspace(-1.0, 1.0, n)
    cols = [np.ones(n)] + [ramp**d - (ramp**d).mean() for d in range(1, inp.trend_degree + 1)]
    if inp.weekday is not None:
        cols += [(inp.weekday == d).astype(np.float64) for d in range(1, 7)]
    angle = 2.0 * math.pi * inp.day_of_year / 365.25
    for k in range(1, inp.fourier_terms + 1):
        cols += [np.sin(k * angle), np.cos(k * angle)]
    if inp.controls is not None:
        cols += [c for c in np.atleast_2d(inp.controls)]
    return np.column_stack(cols)


class _Problem:
    """The profiled least-squares problem over the non-linear parameters."""

    def __init__(self, inp: MmmInput) -> None:
        self.inp = inp
        self.y_scale = float(np.mean(np.abs(inp.y))) or 1.0
        self.y = inp.y / self.y_scale
        self.base = _baseline_design(inp)
        self.n_channels = inp.spend.shape[0]
        self.mean_spend = np.array(
            [float(s[s > 0].mean()) if (s > 0).any() else 1.0 for s in inp.spend]
        )
        self.x = inp.spend / self.mean_spend[:, None]
        self.btb = self.base.T @ self.base
        self.bty = self.base.T @ self.y
        self.yty = float(self.y @ self.y)
        self.sigma2 = 1.0
        self.calibrate = inp.prior_roas is not None and inp.prior_sd is not None

    def unpack(self, theta: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        c = self.n_channels
        decay = _DECAY_MAX / (1.0 + np.exp(-theta[:c]))
        half = np.exp(theta[c : 2 * c])
        shape = 0.5 + 2.5 / (1.0 + np.exp(-theta[2 * c :]))
        return decay, half, shape

    def media(self, theta: FloatArray) -> FloatArray:
        decay, half, shape = self.unpack(theta)
        return np.column_stack(
            [hill(adstock(self.x[c], float(decay[c])), float(half[c]), float(shape[c]))
             for c in range(self.n_channels)]
        ) if self.n_channels else np.zeros((self.y.size, 0))

    def system(self, h: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Design and target, with the calibration prior as pseudo-observations."""
        design = np.column_stack([self.base, h])
        target = self.y
        if self.calibrate:
            assert self.inp.prior_roas is not None
            assert self.inp.prior_sd is not None
            rows, values = [], []
            nb = self.base.shape[1]
            spend_sum = self.inp.spend.sum(axis=1)
            for c in range(self.n_channels):
                prior, sd = float(self.inp.prior_roas[c]), float(self.inp.prior_sd[c])
                if not (math.isfinite(prior) and math.isfinite(sd) and sd > 0):
                    continue
                # roas_c = beta_c * y_scale * sum(h_c) / sum(spend_c)
                factor = self.y_scale * float(h[:, c].sum()) / max(float(spend_sum[c]), 1e-12)
                weight = math.sqrt(self.sigma2) / sd
                row = np.zeros(design.shape[1])
                row[nb + c] = weight * factor
                rows.append(row)
                values.append(weight * prior)
            if rows:
                design = np.vstack([design, np.array(rows)])
                target = np.concatenate([target, np.array(values)])
        return design, target

    def penalty(self, theta: FloatArray) -> float:
        c = self.n_channels
        half = theta[c : 2 * c]
        _, _, shape = self.unpack(theta)
        return float(
            (((half - math.log(1.5)) / 0.8) ** 2).sum() + (((shape - 1.0) / 0.3) ** 2).sum()
        )

    def objective(self, theta: FloatArray) -> float:
        """Profiled penalised error, by normal equations: the baseline blocks are computed
        once, so each of the optimizer's hundreds of calls costs a few small products."""
        h = self.media(theta)
        design, target = self.system(h)
        extra = design[self.y.size :]
        extra_t = target[self.y.size :]
        nb = self.base.shape[1]
        bh = self.base.T @ h
        gram = np.block([[self.btb, bh], [bh.T, h.T @ h]]) + extra.T @ extra
        rhs = np.concatenate([self.bty, h.T @ self.y]) + extra.T @ extra_t
        gram[np.diag_indices_from(gram)] += 1e-10 * float(np.trace(gram)) / gram.shape[0]
        try:
            coef = np.linalg.solve(gram, rhs)
        except np.linalg.LinAlgError:
            coef, *_ = np.linalg.lstsq(design, target, rcond=None)
        sse = self.yty + float(extra_t @ extra_t) - 2.0 * float(coef @ rhs) + float(
            coef @ gram @ coef)
        resid_norm = max(sse, 0.0)
        negative = np.minimum(coef[nb:], 0.0)
        return resid_norm / self.sigma2 + self.penalty(theta) + 1e4 * float(
            negative @ negative
        )


def fit_mmm(inp: MmmInput) -> MmmFit:
    """Fit the model; raises ValueError when the inputs cannot support a fit."""
    n_channels, n = inp.spend.shape
    problem = _Problem(inp)
    if n < problem.base.shape[1] + 2 * n_channels + 5:
        raise ValueError("too few periods for the number of parameters")
    # Residual scale from the baseline alone, so the priors weigh in at the right strength.
    coef0, *_ = np.linalg.lstsq(problem.base, problem.y, rcond=None)
    resid0 = problem.y - problem.base @ coef0
    problem.sigma2 = max(float(resid0 @ resid0) / max(n - problem.base.shape[1], 1), 1e-12)
    bounds = ([(-6.0, 6.0)] * n_channels + [(math.log(0.05), math.log(20.0))] * n_channels
              + [(-4.0, 4.0)] * n_channels)
    theta = np.concatenate([np.full(n_channels, -0.5), np.full(n_channels, math.log(1.5)),
                            np.zeros(n_channels)])
    # Two passes: the first residual scale still contains the media effects, so the second
    # pass re-weighs data against priors with the residual scale of the first fit.
    for _ in range(2):
        best = minimize(problem.objective, theta, method="L-BFGS-B", bounds=bounds,
                        options={"maxiter": 80})
        theta = np.asarray(best.x, dtype=np.float64)
        design, target = problem.system(problem.media(theta))
        coef1, *_ = np.linalg.lstsq(design, target, rcond=None)
        resid1 = problem.y - np.column_stack([problem.base, problem.media(theta)]) @ coef1
        problem.sigma2 = max(float(resid1 @ resid1) / max(n - problem.base.shape[1]
                                                         - 3 * n_channels, 1), 1e-12)
    # Refit sigma at the optimum and solve once more with the final weights.
    h = problem.media(theta)
    design, target = problem.system(h)
    nb = problem.base.shape[1]
    lower = np.concatenate([np.full(nb, -np.inf), np.zeros(n_channels)])
    sol = lsq_linear(design, target, bounds=(lower, np.full(design.shape[1], np.inf)))
    coef = np.asarray(sol.x, dtype=np.float64)
    fitted = np.column_stack([problem.base, h]) @ coef
    resid = problem.y - fitted
    dof = max(n - nb - 3 * n_channels, 1)
    problem.sigma2 = max(float(resid @ resid) / dof, 1e-12)
    design, target = problem.system(h)
    rho = float(np.corrcoef(resid[:-1], resid[1:])[0, 1]) if n > 3 else 0.0
    rho = min(max(rho if math.isfinite(rho) else 0.0, 0.0), 0.9)
    inflation = (1.0 + rho) / (1.0 - rho)
    xtx = design.T @ design
    cov = problem.sigma2 * inflation * np.linalg.pinv(xtx)

    decay, half, shape = problem.unpack(theta)
    channels: list[ChannelFit] = []
    for c in range(n_channels):
        beta = float(coef[nb + c]) * problem.y_scale
        contribution = beta * h[:, c]
        spend_sum = float(inp.spend[c].sum())
        factor = problem.y_scale * float(h[:, c].sum()) / spend_sum if spend_sum else 0.0
        roas = float(coef[nb + c]) * factor
        sd = math.sqrt(max(float(cov[nb + c, nb + c]), 0.0)) * factor
        channels.append(ChannelFit(
            decay=float(decay[c]), half_saturation=float(half[c] * problem.mean_spend[c]),
            shape=float(shape[c]), beta=beta, contribution=contribution, roas=roas,
            ci_low=max(0.0, roas - Z95 * sd), ci_high=roas + Z95 * sd,
        ))
    total_var = float(((problem.y - problem.y.mean()) ** 2).sum())
    r2 = 1.0 - float(resid @ resid) / total_var if total_var > 0 else 0.0
    baseline = (problem.base @ coef[:nb]) * problem.y_scale
    return MmmFit(channels=channels, r2=r2, sigma=math.sqrt(problem.sigma2) * problem.y_scale,
                  baseline=baseline)
