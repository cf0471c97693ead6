"""The fatigue model: calibrated gradient boosting on a creative's own history.

Two isotonic-calibrated `HistGradientBoostingClassifier`s answer "will this creative be
fatigued (performance >= 20 % below its fresh level, see `labels.py`) 7 / 14 days from now?",
and three regressors give the expected relative CTR/CVR drop over the next 14 days (if the
creative keeps its current delivery) with an 80 % interval (10 % / 90 % quantiles).
Artifacts are stored with skops, and loading refuses any type outside scikit-learn and NumPy,
so a tampered artifact cannot execute code (no pickle).
"""

from __future__ import annotations

import hashlib
import json
import struct
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import skops.io as sio
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from brain.brain_modules.contracts import FloatArray
from brain.brain_modules.data import from_simulation
from brain.brain_modules.oracle.features import (
    FEATURE_NAMES,
    MIN_HISTORY_DAYS,
    PanelFeatures,
    build_panel,
)
from brain.brain_modules.oracle.labels import FATIGUE_LEVEL, true_multipliers
from brain.brain_modules.oracle.seeds import DEV_SEEDS, SIM_DAYS, SIM_TODAY, VERTICALS
from brain.demo.records import Simulation

MODEL_NAME = "oracle-fatigue"
CODE_VERSION = "1"
HORIZONS = (7, 14)
_MAGIC = b"BRAINFM1"
_TRUSTED_PREFIXES = ("sklearn.", "numpy.", "builtins.", "scipy.")


@dataclass(slots=True)
class Samples:
    """Training/evaluation rows: features as of day t, labels from days after t."""

    x: FloatArray
    fatigued_7d: FloatArray
    fatigued_14d: FloatArray
    drop_14d: FloatArray  # 1 - multiplier(t + 14) / multiplier(t) if delivery continued
    fresh_now: FloatArray  # 1.0 when not yet fatigued on day t (the honest evaluation set)
    group: list[str] = field(default_factory=list)  # "vertical/seed" per row

    @classmethod
    def concat(cls, parts: list[Samples]) -> Samples:
        return cls(
            x=np.vstack([p.x for p in parts]),
            fatigued_7d=np.concatenate([p.fatigued_7d for p in parts]),
            fatigued_14d=np.concatenate([p.fatigued_14d for p in parts]),
            drop_14d=np.concatenate([p.drop_14d for p in parts]),
            fresh_now=np.concatenate([p.fresh_now for p in parts]),
            group=[g for p in parts for g in p.group],
        )


def simulation_samples(sim: Simulation, *, stride: int = 1) -> Samples:
    """Every live creative-day with >= 14 days of history and a 14-day observable future."""
    data = from_simulation(sim)
    panel = build_panel(data)
    feats = PanelFeatures(panel)
    truth, heading = true_multipliers(sim)
    live = panel.impressions > 0
    history = np.cumsum(live, axis=1) + panel.prior_live_days[:, None]
    horizon = max(HORIZONS)
    ok = live & (history >= MIN_HISTORY_DAYS)
    ok[:, data.days - horizon:] = False
    if stride > 1:
        ok[:, np.arange(data.days) % stride != 0] = False
    k, t = np.nonzero(ok)
    names = [c.name for c in data.creatives]
    mult = np.stack([truth.get(name, np.ones(data.days)) for name in names])
    now = mult[k, t]
    ahead = np.stack([heading.get(name, np.ones(data.days)) for name in names])[k, t]
    x = feats.matrix(k.astype(np.int64), t.astype(np.int64))
    return Samples(
        x=x,
        fatigued_7d=(mult[k, t + 7] < FATIGUE_LEVEL).astype(np.float64),
        fatigued_14d=(mult[k, t + 14] < FATIGUE_LEVEL).astype(np.float64),
        drop_14d=1.0 - ahead / now,
        fresh_now=(now >= FATIGUE_LEVEL).astype(np.float64),
        group=[f"{sim.vertical}/{sim.seed}"] * int(k.size),
    )


def _classifier(seed: int) -> CalibratedClassifierCV:
    base = HistGradientBoostingClassifier(
        max_iter=60, learning_rate=0.15, max_leaf_nodes=15, min_samples_leaf=40,
        l2_regularization=1.0, random_state=seed,
    )
    return CalibratedClassifierCV(base, method="isotonic", cv=3, ensemble=False)


def _regressor(quantile: float | None, seed: int) -> HistGradientBoostingRegressor:
    """A quantile regressor, or the conditional mean when `quantile` is None."""
    if quantile is None:
        return HistGradientBoostingRegressor(
            max_iter=60, learning_rate=0.15, max_leaf_nodes=15, min_samples_leaf=40,
            random_state=seed,
        )
    return HistGradientBoostingRegressor(
        loss="quantile", quantile=quantile, max_iter=60, learning_rate=0.15,
        max_leaf_nodes=15, min_samples_leaf=40, random_state=seed,
    )


class FatigueModel:
    """Calibrated fatigue probabilities at 7 and 14 days and a 14-day drop interval."""

    def __init__(self, estimators: dict[str, Any], metadata: dict[str, Any]) -> None:
        self.estimators = estimators
        self.metadata = metadata

    @property
    def version(self) -> str:
        return str(self.metadata.get("version", "unversioned"))

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(self.metadata.get("feature_names", FEATURE_NAMES))

    @classmethod
    def train(cls, samples: Samples, *, seed: int = 0,
              training_window: dict[str, Any] | None = None) -> FatigueModel:
        x = samples.x
        estimators: dict[str, Any] = {}
        # One thread: on a shared machine OpenMP oversubscription makes training 5x slower.
        with threadpool_limits(1):
            for h, y in ((7, samples.fatigued_7d), (14, samples.fatigued_14d)):
                if y.min() == y.max():
                    raise ValueError(f"cannot train: every {h}-day label is {int(y[0])}")
                estimators[f"p{h}"] = _classifier(seed).fit(x, y)
            drop = np.clip(samples.drop_14d, 0.0, 1.0)
            estimators["drop_q10"] = _regressor(0.1, seed).fit(x, drop)
            estimators["drop_mean"] = _regressor(None, seed).fit(x, drop)
            estimators["drop_q90"] = _regressor(0.9, seed).fit(x, drop)
        params = {
            "classifier": "HistGradientBoostingClassifier + CalibratedClassifierCV(isotonic, cv=3)",
            "max_iter": 60, "learning_rate": 0.15, "max_leaf_nodes": 15,
            "min_samples_leaf": 40, "drop": "mean with 10 %/90 % quantiles", "seed": seed,
        }
        metadata: dict[str, Any] = {
            "name": MODEL_NAME,
            "code_version": CODE_VERSION,
            "feature_names": list(FEATURE_NAMES),
            "params": params,
            "label": f"true fatigue multiplier < {FATIGUE_LEVEL} at t + h (h = 7, 14)",
            "training_window": training_window or {},
            "training_rows": int(x.shape[0]),
            "positive_rate_7d": float(samples.fatigued_7d.mean()),
            "positive_rate_14d": float(samples.fatigued_14d.mean()),
        }
        healthy = (samples.fresh_now > 0) & (samples.fatigued_14d == 0)
        reference = np.nanmedian(x[healthy] if healthy.any() else x, axis=0)
        metadata["reference_values"] = {
            name: float(v) for name, v in zip(FEATURE_NAMES, reference, strict=True)
            if np.isfinite(v)
        }
        model = cls(estimators, metadata)
        # The artifact's bytes carry zip timestamps; the version hashes behaviour instead:
        # the metadata and the predictions on a fixed slice of the training rows.
        probe = model.predict(x[:: max(1, x.shape[0] // 512)])
        hasher = hashlib.sha256(json.dumps(metadata, sort_keys=True).encode())
        for key in sorted(probe):
            hasher.update(np.round(probe[key], 9).tobytes())
        digest = hasher.hexdigest()[:12]
        model.metadata["version"] = f"{MODEL_NAME}-{CODE_VERSION}-{digest}"
        return model

    def _payload(self) -> bytes:
        return bytes(sio.dumps(self.estimators, compression=8))

    def predict(self, x: FloatArray) -> dict[str, FloatArray]:
        """p7, p14 (calibrated, p14 >= p7) and the 14-day drop quantiles for feature rows."""
        if x.shape[0] == 0:
            empty = np.zeros(0)
            return {"p7": empty, "p14": empty, "drop_q10": empty, "drop_q50": empty,
                    "drop_q90": empty}
        with threadpool_limits(1):
            p7 = self.estimators["p7"].predict_proba(x)[:, 1]
            p14 = np.maximum(self.estimators["p14"].predict_proba(x)[:, 1], p7)
            q = [np.clip(self.estimators[name].predict(x), 0.0, 1.0)
                 for name in ("drop_q10", "drop_mean", "drop_q90")]
        lo = np.minimum.reduce(q)
        hi = np.maximum.reduce(q)
        # Isotonic calibration gives exact 0/1 in its end bins; no forecast is certain.
        p7, p14 = np.clip(p7, 0.01, 0.99), np.clip(p14, 0.01, 0.99)
        return {"p7": p7, "p14": p14, "drop_q10": lo, "drop_q50": q[1], "drop_q90": hi}

    def to_bytes(self) -> bytes:
        meta = json.dumps(self.metadata, sort_keys=True).encode()
        return _MAGIC + struct.pack(">I", len(meta)) + meta + self._payload()

    @classmethod
    def from_bytes(cls, blob: bytes) -> FatigueModel:
        """Load an artifact; raises ValueError on a foreign format or an untrusted type."""
        if not blob.startswith(_MAGIC) or len(blob) < len(_MAGIC) + 4:
            raise ValueError("not a Brain fatigue-model artifact")
        (size,) = struct.unpack(">I", blob[len(_MAGIC):len(_MAGIC) + 4])
        start = len(_MAGIC) + 4
        metadata = json.loads(blob[start:start + size].decode())
        payload = blob[start + size:]
        untrusted = sio.get_untrusted_types(data=payload)
        bad = [t for t in untrusted if not t.startswith(_TRUSTED_PREFIXES)]
        if bad:
            raise ValueError(f"artifact contains untrusted types: {', '.join(sorted(bad))}")
        estimators = sio.loads(payload, trusted=untrusted)
        if not isinstance(estimators, dict) or not {"p7", "p14"} <= set(estimators):
            raise ValueError("artifact does not hold a fatigue model")
        return cls(estimators, metadata)


def train_fatigue_model(sims: list[Simulation], *, stride: int = 3, seed: int = 0) -> FatigueModel:
    """Train on the given simulations (labels from their ground truth)."""
    samples = Samples.concat([simulation_samples(s, stride=stride) for s in sims])
    window = {
        "simulations": [f"{s.vertical}/seed={s.seed}" for s in sims],
        "start": min(s.start for s in sims).isoformat() if sims else None,
        "end": max(s.end for s in sims).isoformat() if sims else None,
    }
    return FatigueModel.train(samples, seed=seed, training_window=window)


_lock = threading.Lock()
_cached: FatigueModel | None = None


def default_fatigue_model_ready() -> bool:
    """Whether this process has already trained the default model (the next call is free)."""
    return _cached is not None


def default_fatigue_model() -> FatigueModel:
    """The model trained on the development seeds (deterministic; cached per process)."""
    global _cached
    with _lock:
        if _cached is None:
            from brain.demo.simulator import simulate

            sims = [simulate(v, seed=s, days=SIM_DAYS, today=SIM_TODAY)
                    for v in VERTICALS for s in DEV_SEEDS]
            _cached = train_fatigue_model(sims)
        return _cached
