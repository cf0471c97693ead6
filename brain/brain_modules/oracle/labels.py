"""Fatigue labels from the simulator's ground truth (never from the features' data).

Definition: a creative is *fatigued* on day t when its true performance multiplier (the
factor on its fresh CTR and CVR, `brain.demo.media.fatigue_multiplier`) is below
`FATIGUE_LEVEL`, i.e. performance has fallen at least 20 % below its own fresh level. The
multiplier only falls, so "fatigues within h days of t" is "fatigued on day t + h".

The truth JSON gives, per creative, the onset day, the cumulative frequency at onset, the
decay per unit of frequency and the audience; cumulative frequency after onset grows by the
creative's impressions / audience, which rebuilds the multiplier for every day.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from brain.brain_modules.contracts import FloatArray
from brain.demo.media import FATIGUE_FLOOR
from brain.demo.records import Simulation

FATIGUE_LEVEL = 0.8


def _multiplier(over: FloatArray, rate: float) -> FloatArray:
    return np.asarray(
        np.where(over > 0, FATIGUE_FLOOR + (1.0 - FATIGUE_FLOOR) * np.exp(-rate * over), 1.0),
        dtype=np.float64,
    )


def true_multipliers(sim: Simulation) -> tuple[dict[str, FloatArray], dict[str, FloatArray]]:
    """Per creative name: the true fatigue multiplier on each simulated day, and the
    multiplier 14 days later *if the creative kept its last 7 days' delivery* (the drop it is
    heading for, whether or not it was paused in the simulation)."""
    m = sim.metrics
    days = sim.days
    imps = np.zeros((len(sim.creatives), days))
    np.add.at(imps, (m.creative, m.day), m.impressions.astype(np.float64))
    before = np.zeros((len(sim.creatives), days))
    before[:, 1:] = np.cumsum(imps, axis=1)[:, :-1]  # impressions on days < t
    cum = np.cumsum(imps, axis=1)
    last7 = cum.copy()
    last7[:, 7:] -= cum[:, :-7]
    actual: dict[str, FloatArray] = {}
    heading: dict[str, FloatArray] = {}
    for k, creative in enumerate(sim.creatives):
        info = sim.truth["creatives"][creative.name]
        threshold = info["fatigue_threshold_frequency"]
        if threshold is None:
            actual[creative.name] = np.ones(days)
            heading[creative.name] = np.ones(days)
            continue
        audience = float(info["audience_size"])
        rate = float(info["decay_rate_per_frequency"])
        onset_text = info["fatigue_onset"]
        onset = (date.fromisoformat(onset_text) - sim.start).days if onset_text else -1
        if 0 <= onset < days:
            offset = float(threshold) - before[k, onset] / audience
        else:
            # Launched before the period: exposure before it estimated at its first day's rate.
            launch = (creative.launched_on - sim.start).days
            live = np.flatnonzero(imps[k] > 0)
            first_rate = float(imps[k, live[0]]) if live.size else 0.0
            offset = max(-launch, 0) * first_rate / audience
        freq = offset + before[k] / audience
        # No onset in the period means the truth says it never tired here.
        actual[creative.name] = (
            _multiplier(freq - float(threshold), rate) if onset >= 0 else np.ones(days)
        )
        ahead = freq + 2.0 * last7[k] / audience
        heading[creative.name] = _multiplier(ahead - float(threshold), rate)
    return actual, heading
