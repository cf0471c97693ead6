"""ORACLE's fatigue evaluation on simulations whose truth is known.

For every live creative-day with 14 days of history and 14 observable days ahead, features
come from data up to that day (`features.py` only reads windows ending on it) and the labels
from the simulator's true fatigue multiplier 7 and 14 days later (`labels.py`). The headline
AUC is on creatives not yet fatigued on the prediction day (predicting an already-visible
drop is easy); the AUC over all rows, the rule-based fallback's AUC and the Brier score are
reported next to it. Simulations on a development seed are flagged: they measure fit, not
generalisation.
"""

from __future__ import annotations

from typing import Any

from sklearn.metrics import brier_score_loss, roc_auc_score

from brain.brain_modules.contracts import FloatArray
from brain.brain_modules.oracle.creatives import rule_scores
from brain.brain_modules.oracle.model import (
    FatigueModel,
    Samples,
    default_fatigue_model,
    simulation_samples,
)
from brain.brain_modules.oracle.seeds import DEV_SEEDS, HELD_OUT_SEED
from brain.demo.records import Simulation

TARGETS = {"auc_7d": 0.85, "auc_14d": 0.75}
SPECIFIED = {"auc_7d": 0.75, "auc_14d": 0.65}


def _auc(y: FloatArray, p: FloatArray) -> float | None:
    if y.size == 0 or y.min() == y.max():
        return None
    return round(float(roc_auc_score(y, p)), 4)


def _scores(samples: Samples, model: FatigueModel) -> dict[str, Any]:
    pred = model.predict(samples.x)
    rules = rule_scores(samples.x)
    fresh = samples.fresh_now > 0
    out: dict[str, Any] = {"rows": int(samples.x.shape[0]),
                           "rows_not_yet_fatigued": int(fresh.sum())}
    for h, y in ((7, samples.fatigued_7d), (14, samples.fatigued_14d)):
        p = pred[f"p{h}"]
        out[f"auc_{h}d"] = _auc(y[fresh], p[fresh])
        out[f"auc_{h}d_all_rows"] = _auc(y, p)
        out[f"auc_{h}d_rules"] = _auc(y[fresh], rules[f"p{h}"][fresh])
        out[f"brier_{h}d"] = (round(float(brier_score_loss(y[fresh], p[fresh])), 4)
                              if fresh.any() else None)
        out[f"positive_rate_{h}d"] = round(float(y[fresh].mean()), 4) if fresh.any() else None
    return out


def evaluate_oracle(sims: list[Simulation], model: FatigueModel | None = None) -> dict[str, Any]:
    """AUC at 7 and 14 days on `sims` (the held-out seed's simulations give the headline)."""
    model = model or default_fatigue_model()
    per_sim: list[dict[str, Any]] = []
    parts: list[Samples] = []
    held: list[Samples] = []
    for sim in sims:
        samples = simulation_samples(sim)
        parts.append(samples)
        if sim.seed == HELD_OUT_SEED:
            held.append(samples)
        per_sim.append({
            "vertical": sim.vertical,
            "seed": sim.seed,
            "held_out": sim.seed == HELD_OUT_SEED,
            "development_seed": sim.seed in DEV_SEEDS,
            **_scores(samples, model),
        })
    headline_set = held or parts
    headline = _scores(Samples.concat(headline_set), model) if headline_set else {}
    result: dict[str, Any] = {
        "module": "oracle",
        "model_version": model.version,
        "headline_on": "held_out_seed" if held else "all_given_simulations",
        "held_out_seed": HELD_OUT_SEED,
        "label": model.metadata.get("label"),
        "metrics": headline,
        "targets": TARGETS,
        "specified": SPECIFIED,
        "per_simulation": per_sim,
    }
    result["meets_targets"] = {
        key: (headline.get(key) is not None and float(headline[key]) >= target)
        for key, target in TARGETS.items()
    }
    return result

