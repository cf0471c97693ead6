"""`brain eval`: every module on simulator tenants whose truth is known, against its targets.

Simulations: every vertical on the development seeds and on one held-out seed that no module
was developed or tuned on (the seeds are ORACLE's, `brain_modules.oracle.seeds`, so all
modules share them). The held-out seed gives the headline numbers; development seeds are
reported next to them (they measure fit, not generalisation). ORACLE's and CURIOSITY's
sections come from their own evaluators when those modules are installed, and say
"not evaluated" otherwise.
"""

from __future__ import annotations

import importlib
import os
import platform
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

from brain.brain_modules.contracts import MemoryResult
from brain.brain_modules.evaluation import memory_eval
from brain.brain_modules.memory import MODEL_VERSION as MEMORY_VERSION
from brain.demo.records import Simulation
from brain.demo.simulator import simulate

VERTICALS: tuple[str, ...] = ("beauty", "supplements", "wellness")
# The same seeds as ORACLE's (brain_modules/oracle/seeds.py) when it is installed.
DEV_SEEDS: tuple[int, ...] = (11, 12, 13)
HELD_OUT_SEED = 97
SIM_TODAY = date(2026, 1, 15)
SIM_DAYS = 365
MMM_CSV = Path("../shared/data/mmm/mmm_roas_data.csv")

try:  # pragma: no branch - one source of truth for the seeds when ORACLE is present
    from brain.brain_modules.oracle import seeds as _oracle_seeds

    VERTICALS = _oracle_seeds.VERTICALS
    DEV_SEEDS = _oracle_seeds.DEV_SEEDS
    HELD_OUT_SEED = _oracle_seeds.HELD_OUT_SEED
    SIM_TODAY = _oracle_seeds.SIM_TODAY
    SIM_DAYS = _oracle_seeds.SIM_DAYS
except ImportError:  # pragma: no cover - ORACLE not installed
    pass


class Progress(Protocol):
    def start(self, phase: str, total: int) -> None: ...

    def advance(self, phase: str, amount: int) -> None: ...


class SilentProgress:
    def start(self, phase: str, total: int) -> None:
        del phase, total

    def advance(self, phase: str, amount: int) -> None:
        del phase, amount


@dataclass(frozen=True)
class EvalPlan:
    verticals: tuple[str, ...]
    dev_seeds: tuple[int, ...]
    held_out_seed: int
    today: date
    days: int
    mmm_csv: Path
    modules: frozenset[str] = frozenset({"memory", "oracle", "curiosity"})

    @classmethod
    def default(cls, *, quick: bool = False, mmm_csv: Path = MMM_CSV) -> EvalPlan:
        """All development seeds, or only the first with `quick` (the held-out seed always)."""
        return cls(VERTICALS, DEV_SEEDS[:1] if quick else DEV_SEEDS, HELD_OUT_SEED, SIM_TODAY,
                   SIM_DAYS, mmm_csv)

    @property
    def seeds(self) -> tuple[int, ...]:
        return (*self.dev_seeds, self.held_out_seed)


def _optional(module: str, name: str) -> Callable[..., dict[str, Any]] | None:
    try:
        found = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None
    return found if callable(found) else None


def _not_evaluated(reason: str) -> dict[str, Any]:
    return {"status": "not evaluated", "reason": reason}


@contextmanager
def _phase(progress: Progress, name: str, total: int = 1) -> Iterator[None]:
    progress.start(name, total)
    yield
    progress.advance(name, total)


def run_evaluation(plan: EvalPlan, progress: Progress | None = None) -> dict[str, Any]:
    """Simulate, evaluate every module, and return the report (see `report.write_reports`)."""
    report_progress = progress or SilentProgress()
    started = time.perf_counter()
    load = [round(x, 1) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    sims: list[Simulation] = []
    report_progress.start("simulate tenants", len(plan.verticals) * len(plan.seeds))
    for seed in plan.seeds:
        for vertical in plan.verticals:
            sims.append(simulate(vertical, seed=seed, days=plan.days, today=plan.today))
            report_progress.advance("simulate tenants", 1)

    per_sim: list[dict[str, Any]] = []
    memory_results: list[MemoryResult] = []
    report_progress.start("MEMORY", len(sims))
    for sim in sims:
        scores, result = memory_eval.evaluate_simulation(sim)
        scores["held_out"] = sim.seed == plan.held_out_seed
        per_sim.append(scores)
        memory_results.append(result)
        report_progress.advance("MEMORY", 1)
    held = [s for s in per_sim if s["held_out"]]
    dev = [s for s in per_sim if not s["held_out"]]
    headline = memory_eval.summarize(held)
    memory: dict[str, Any] = {
        "module": "memory",
        "model_version": MEMORY_VERSION,
        "metrics": headline,
        "development": memory_eval.summarize(dev),
        "targets": memory_eval.TARGETS,
        "specified": memory_eval.SPECIFIED,
        "meets_targets": {
            key: headline.get(key) is not None and float(headline[key]) <= target
            for key, target in memory_eval.TARGETS.items()
        },
        "per_simulation": per_sim,
    }
    with _phase(report_progress, "MEMORY on mmm_roas_data.csv"):
        memory["public_mmm_dataset"] = memory_eval.evaluate_mmm_csv(plan.mmm_csv)

    oracle = _not_evaluated("not selected for this run")
    if "oracle" in plan.modules:
        oracle_fn = _optional("brain.brain_modules.oracle.evaluate", "evaluate_oracle")
        with _phase(report_progress, "ORACLE"):
            oracle = _call(oracle_fn, sims) if oracle_fn else _not_evaluated(
                "brain.brain_modules.oracle.evaluate.evaluate_oracle is not available")
    curiosity = _not_evaluated("not selected for this run")
    if "curiosity" in plan.modules:
        curiosity_fn = _optional("brain.brain_modules.curiosity.evaluate",
                                 "evaluate_curiosity")
        with _phase(report_progress, "CURIOSITY"):
            curiosity = _call(curiosity_fn, sims, memory_results) if curiosity_fn else \
                _not_evaluated("brain.brain_modules.curiosity.evaluate.evaluate_curiosity is "
                               "not available")
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration_seconds": round(time.perf_counter() - started, 1),
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "cpus": os.cpu_count(), "load_average": load},
        "simulations": {
            "verticals": list(plan.verticals), "development_seeds": list(plan.dev_seeds),
            "held_out_seed": plan.held_out_seed, "days": plan.days,
            "today": plan.today.isoformat(),
        },
        "memory": memory,
        "oracle": oracle,
        "curiosity": curiosity,
    }


def _call(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Another module's evaluator; its failure is reported, not raised."""
    try:
        return fn(*args)
    except Exception as exc:
        return {"status": "failed", "reason": f"{type(exc).__name__}: {exc}"}
