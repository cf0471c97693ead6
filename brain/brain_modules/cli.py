"""`brain run [--org …]`: run the brain pipeline now, in this process, with a progress bar per
module (registered on the main Typer app by `register`)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from sqlalchemy import or_, select

from brain.brain_modules.runs.models import RunStatus, RunTrigger
from brain.brain_modules.runs.service import MODULES, enqueue_brain_run
from brain.core.db import system_session
from brain.core.runtime import Runtime
from brain.organizations.models import Organization
from brain.settings import Settings

err = Console(stderr=True)


class _Bars:
    """One progress bar per module, driven by the pipeline's listener calls."""

    def __init__(self, progress: Progress, label: str) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {
            name: progress.add_task(f"{label} {name:<9} pending", total=1) for name in MODULES
        }
        self.label = label

    def module_started(self, module: str) -> None:
        self.progress.update(self.tasks[module],
                             description=f"{self.label} {module:<9} running")

    def module_finished(self, module: str, status: str, seconds: float) -> None:
        self.progress.update(self.tasks[module], completed=1,
                             description=f"{self.label} {module:<9} {status} ({seconds:.1f} s)")


@dataclass
class RunOutcome:
    organization: str
    run_id: uuid.UUID | None
    status: str
    error: str | None = None


async def _organizations(runtime: Runtime, org: str | None) -> list[tuple[uuid.UUID, str]]:
    async with system_session(runtime.session_factory) as session:
        stmt = select(Organization.id, Organization.name).where(
            Organization.deleted_at.is_(None)
        )
        if org is not None:
            try:
                org_id = uuid.UUID(org)
                stmt = stmt.where(or_(Organization.id == org_id, Organization.slug == org))
            except ValueError:
                stmt = stmt.where(Organization.slug == org)
        rows = (await session.execute(stmt.order_by(Organization.created_at))).all()
    return [(row[0], row[1]) for row in rows]


async def run_brain(
    settings: Settings, org: str | None, *, show_progress: bool
) -> list[RunOutcome]:
    """Run the pipeline for one organization (id or slug) or for every live one."""
    from brain.brain_modules.pipeline import execute_run
    from brain.brain_modules.runs.repository import BrainRunRepository, pipeline_context

    runtime = Runtime.create(settings)
    outcomes: list[RunOutcome] = []
    try:
        targets = await _organizations(runtime, org)
        if org is not None and not targets:
            raise typer.BadParameter(f"no live organization with id or slug {org!r}")
        for org_id, name in targets:
            async with system_session(runtime.session_factory) as session:
                run = await enqueue_brain_run(session, org_id, RunTrigger.manual,
                                              executed_by_caller=True)
                run_id, status = run.id, run.status
            if status != RunStatus.queued.value:
                outcomes.append(RunOutcome(name, run_id, "skipped",
                                           f"a run is already {status}"))
                continue
            if show_progress:
                progress = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                    TimeElapsedColumn(), console=err)
                with progress:
                    final = await execute_run(runtime, organization_id=org_id, run_id=run_id,
                                              listener=_Bars(progress, name[:24]))
            else:
                final = await execute_run(runtime, organization_id=org_id, run_id=run_id)
            async with system_session(runtime.session_factory) as session:
                stored = await BrainRunRepository(
                    session, pipeline_context(org_id, run_id)).fresh(run_id)
            outcomes.append(RunOutcome(name, run_id, final,
                                       stored.error if stored is not None else None))
    finally:
        await runtime.close()
    return outcomes


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run_command(
        org: Annotated[str | None, typer.Option(
            "--org", help="Organization id or slug (default: every live organization).")
        ] = None,
        quiet: Annotated[bool, typer.Option("--quiet", help="No progress bars.")] = False,
    ) -> None:
        """Run the brain now (features → MEMORY → ORACLE → CURIOSITY → FACE)."""
        from brain.cli import _settings

        outcomes = asyncio.run(run_brain(_settings(), org, show_progress=not quiet))
        failed = False
        for outcome in outcomes:
            line = f"{outcome.organization}: {outcome.status}"
            if outcome.run_id is not None:
                line += f" (run {outcome.run_id})"
            if outcome.error:
                line += f" — {outcome.error}"
            err.print(line, highlight=False)
            failed = failed or outcome.status == RunStatus.failed.value
        if not outcomes:
            err.print("no organization to run")
        raise typer.Exit(1 if failed else 0)
