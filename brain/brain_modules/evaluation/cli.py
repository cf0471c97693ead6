"""The `brain eval` command (registered on the main Typer app by `register`)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


class _SilentProgress:
    def start(self, phase: str, total: int) -> None:
        del phase, total

    def advance(self, phase: str, amount: int) -> None:
        del phase, amount


# (registry model name, module, report section)
REGISTRY_MODELS = (
    ("memory-mmm", "memory", "memory"),
    ("oracle-fatigue", "oracle", "oracle"),
    ("curiosity-optimizer", "curiosity", "curiosity"),
)


class _RichProgress:
    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def start(self, phase: str, total: int) -> None:
        self._tasks[phase] = self._progress.add_task(phase, total=max(total, 1))

    def advance(self, phase: str, amount: int) -> None:
        self._progress.advance(self._tasks[phase], amount)


@contextmanager
def _reporter(enabled: bool) -> Iterator[_RichProgress | _SilentProgress]:
    if not enabled:
        yield _SilentProgress()
        return
    progress = Progress(TextColumn("{task.description:<30}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=Console(stderr=True))
    with progress:
        yield _RichProgress(progress)


async def persist(report: dict[str, Any]) -> int:
    """Store each evaluated module's metrics as a global evaluation run; returns how many."""
    import brain.models_registry  # noqa: F401 - every table, for the foreign keys
    from brain.core.db import system_session
    from brain.core.runtime import Runtime
    from brain.mlops.registry import (
        CHAMPION,
        code_version,
        get_alias,
        record_evaluation,
        register_version,
        set_alias,
    )
    from brain.settings import get_settings

    runtime = Runtime.create(get_settings())
    stored = 0
    sims = report["simulations"]
    dataset = (f"simulator:{'+'.join(sims['verticals'])}:held-out-seed={sims['held_out_seed']}"
               f":days={sims['days']}")
    try:
        async with system_session(runtime.session_factory) as session:
            for name, module, key in REGISTRY_MODELS:
                section = report.get(key) or {}
                if section.get("status") in ("not evaluated", "failed"):
                    continue
                version = await get_alias(session, name, CHAMPION)
                if version is None or version.code_version != code_version():
                    version = await register_version(
                        session, model_name=name, module=module,
                        params={"model_version": section.get("model_version")},
                        metrics=section.get("metrics") or {},
                    )
                    await set_alias(session, version, CHAMPION)
                meets = section.get("meets_targets") or {}
                await record_evaluation(
                    session, model_name=name, module=module, dataset=dataset,
                    metrics={"held_out": section.get("metrics") or {},
                             "development": section.get("development") or {}},
                    targets=section.get("targets") or {},
                    passed=all(meets.values()) if meets else None, version=version,
                )
                stored += 1
    finally:
        await runtime.close()
    return stored


def register(app: typer.Typer) -> None:
    @app.command("eval")
    def eval_command(
        quick: Annotated[bool, typer.Option(
            "--quick", help="One development seed per vertical (plus the held-out seed).")] = False,
        output: Annotated[Path, typer.Option(help="Directory for evaluation.md/.json.")] = Path(
            "docs"),
        mmm_csv: Annotated[Path, typer.Option(help="The public MMM data set.")] = Path(
            "../shared/data/mmm/mmm_roas_data.csv"),
        store: Annotated[bool, typer.Option(
            "--persist", help="Store the metrics in the model registry (needs a database).")
        ] = False,
        no_progress: Annotated[bool, typer.Option("--no-progress")] = False,
    ) -> None:
        """Score every brain module on simulated tenants and public data; write the reports."""
        # Imported here: NumPy/SciPy and the simulator would slow every other command's start.
        from brain.brain_modules.evaluation.harness import EvalPlan, run_evaluation
        from brain.brain_modules.evaluation.report import write_reports

        plan = EvalPlan.default(quick=quick, mmm_csv=mmm_csv)
        with _reporter(not no_progress) as progress:
            report = run_evaluation(plan, progress)
        write_reports(report, output / "evaluation.md", output / "evaluation.json")
        console = Console()
        console.print(f"wrote {output / 'evaluation.md'} and {output / 'evaluation.json'}")
        memory = report["memory"]["metrics"]
        console.print(f"MEMORY held-out: channel ROI MAPE {memory['channel_roi_mape']:.3f}, "
                      f"CLV RMSE {memory['clv_rmse']:.3f}", highlight=False)
        if store:
            count = asyncio.run(persist(report))
            console.print(f"stored {count} evaluation runs in the model registry")
