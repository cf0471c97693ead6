"""The brain pipeline: features -> MEMORY -> ORACLE -> CURIOSITY -> FACE for one run.

Each step records its status, timing and model version on the run (its own short
transaction, so `GET …/brain/runs/{id}` shows progress while the run works) and stores its
answer in `brain_module_outputs` as soon as it has one: a later failure marks the run
failed with a clear error but keeps what the earlier modules found. Outbound webhook events
go with the rows they describe: `curiosity.action.created` with the stored actions,
`oracle.alert.created` (new alerts only) with the run's success. Modules are pure
functions of the tenant's data; they run in a worker thread so the event loop (the API's,
in embedded mode) stays responsive. A module that lacks data answers with notes
("ORACLE needs 14 days of history for creative C7"), which are recorded on the run.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from brain.brain_modules.actions.service import feedback_history, persist_proposals
from brain.brain_modules.contracts import (
    BrainData,
    CuriosityResult,
    MemoryResult,
    OracleResult,
)
from brain.brain_modules.face.cache import invalidate_face
from brain.brain_modules.face.summary import (
    PERIODS,
    build_alerts,
    build_cards,
    build_leaderboard,
    daily_totals,
    period_kpis,
    risk_kpi,
)
from brain.brain_modules.runs.models import BrainModuleOutput, BrainRun, RunStatus
from brain.brain_modules.runs.repository import (
    BrainRunRepository,
    ModuleOutputRepository,
    pipeline_context,
)
from brain.brain_modules.runs.service import MODULES
from brain.brain_modules.serialize import oracle_from_json, to_json
from brain.brain_modules.webhook_events import emit_new_oracle_alerts
from brain.core.auth import AuthContext
from brain.core.db import tenant_session
from brain.core.runtime import Runtime

logger = logging.getLogger("brain.pipeline")
T = TypeVar("T")

MEMORY_PERIOD_DAYS = 28
FEATURES_VERSION = "features-1"
FACE_VERSION = "face-1"


class ProgressListener(Protocol):
    """Told when a module starts and ends (the CLI draws progress bars from it)."""

    def module_started(self, module: str) -> None: ...
    def module_finished(self, module: str, status: str, seconds: float) -> None: ...


class _Silent:
    def module_started(self, module: str) -> None:
        return None

    def module_finished(self, module: str, status: str, seconds: float) -> None:
        return None


class ModuleError(Exception):
    """A module failed; the run is marked failed with this message."""


@dataclass(slots=True)
class StepResult:
    output: dict[str, Any]
    model_version: str
    notes: list[str]


@dataclass(slots=True)
class Answers:
    data: BrainData | None = None
    memory: MemoryResult | None = None
    oracle: OracleResult | None = None
    curiosity: CuriosityResult | None = None


def memory_period(data: BrainData, days: int = MEMORY_PERIOD_DAYS) -> tuple[date, date]:
    """The default MEMORY period: the last `days` days with data."""
    return max(data.start, data.end - timedelta(days=days - 1)), data.end


def features_output(data: BrainData) -> StepResult:
    notes: list[str] = []
    if len(data.metrics) == 0:
        notes.append("No ad metrics yet: connect an ad platform or upload a CSV.")
    if data.revenue_source == "platforms":
        notes.append("No orders or analytics revenue: total revenue falls back to the "
                     "platforms' own attribution, which over-counts.")
    output = {
        "start": data.start.isoformat(),
        "end": data.end.isoformat(),
        "days": data.days if len(data.metrics) else 0,
        "channels": len(data.channels),
        "campaigns": len(data.campaigns),
        "creatives": len(data.creatives),
        "metric_rows": len(data.metrics),
        "orders": len(data.orders) if data.orders is not None else 0,
        "revenue_source": data.revenue_source,
        "orders_scale": data.orders_scale,
        "notes": notes,
    }
    return StepResult(output, FEATURES_VERSION, notes)


def face_output(
    answers: Answers, *, previous_risk: str | None, today: date
) -> StepResult:
    """The stored FACE document: KPIs per period, cards, leaderboard, alerts."""
    data = answers.data
    assert data is not None
    memory = answers.memory
    ltv_factor = memory.ltv_factor if memory is not None else None
    has_data = len(data.metrics) > 0
    daily = daily_totals(data)
    periods = {key: period_kpis(daily, n, ltv_factor) if has_data
               else {"days": 0, "kpis": [], "notes": ["No data yet."]}
               for key, n in PERIODS.items()}
    data_as_of = data.end if has_data else None
    document = {
        "data_as_of": data_as_of.isoformat() if data_as_of else None,
        "periods": to_json(periods),
        "risk": risk_kpi(answers.oracle, previous_risk),
        "cards": build_cards(memory, answers.oracle, answers.curiosity),
        "leaderboard": build_leaderboard(memory),
        "alerts": build_alerts(answers.oracle, memory, data_as_of, today),
    }
    return StepResult(to_json(document), FACE_VERSION, [])


class Pipeline:
    """Executes one queued run of one tenant."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        organization_id: uuid.UUID,
        run_id: uuid.UUID,
        listener: ProgressListener | None = None,
    ) -> None:
        self.runtime = runtime
        self.organization_id = organization_id
        self.run_id = run_id
        self.auth: AuthContext = pipeline_context(organization_id, run_id)
        self.listener = listener or _Silent()
        self.answers = Answers()
        self._current: str | None = None

    def _session(self) -> Any:
        return tenant_session(self.runtime.session_factory, self.organization_id)

    async def _update(self, change: Callable[[BrainRun], None]) -> BrainRun | None:
        return await _retrying(lambda: self._update_once(change))

    async def _update_once(self, change: Callable[[BrainRun], None]) -> BrainRun | None:
        async with self._session() as session:
            run = await BrainRunRepository(session, self.auth).fresh(self.run_id)
            if run is None:
                return None
            change(run)
            await session.flush()
            return run

    def _module_patch(self, module: str, **values: Any) -> Callable[[BrainRun], None]:
        def change(run: BrainRun) -> None:
            modules = dict(run.modules or {})
            modules[module] = {**modules.get(module, {}), **values}
            run.modules = modules  # a new dict, so the JSON column is written

        return change

    async def run(self) -> str:
        """Run every module; return the run's final status (never raises for a module)."""
        now = self.runtime.clock.now()

        def begin(run: BrainRun) -> None:
            run.status = RunStatus.running.value
            run.started_at = now

        claimed = await self._claim(begin)
        if not claimed:
            return "skipped"
        try:
            return await self._run_steps()
        except Exception as exc:
            # A module's own failure is handled in `_run_steps`; this is the bookkeeping
            # around it (a progress write that kept meeting a locked database, say). The run
            # must still end: marked failed with the reason, never left "running".
            logger.exception("brain run %s: bookkeeping failed", self.run_id)
            error = f"The run could not record its progress: {type(exc).__name__}: {exc}"
            try:
                current = self._current or MODULES[0]
                await self._fail(current, error[:1900], list(MODULES[MODULES.index(current) + 1:]))
            except Exception:
                logger.exception("brain run %s: could not mark the run failed", self.run_id)
            return RunStatus.failed.value

    async def _run_steps(self) -> str:
        steps: list[tuple[str, Callable[[], Awaitable[StepResult]]]] = [
            ("features", self._features),
            ("memory", self._memory),
            ("oracle", self._oracle),
            ("curiosity", self._curiosity),
            ("face", self._face),
        ]
        for index, (name, step) in enumerate(steps):
            self._current = name
            try:
                await self._step(name, step)
            except ModuleError as exc:
                await self._fail(name, str(exc), [n for n, _ in steps[index + 1 :]])
                return RunStatus.failed.value
        await self._succeed()
        return RunStatus.succeeded.value

    async def _claim(self, begin: Callable[[BrainRun], None]) -> bool:
        """Move the run from queued to running (a duplicate delivery finds it taken)."""
        async with self._session() as session:
            run = await BrainRunRepository(session, self.auth).fresh(self.run_id)
            if run is None or run.status != RunStatus.queued.value:
                return False
            begin(run)
            await session.flush()
            return True

    async def _step(self, name: str, step: Callable[[], Awaitable[StepResult]]) -> None:
        started = self.runtime.clock.now()
        self.listener.module_started(name)
        await self._update(self._module_patch(
            name, status="running", progress=0.0, started_at=started.isoformat()
        ))
        t0 = time.perf_counter()
        try:
            result = await step()
        except ModuleError:
            self.listener.module_finished(name, "failed", time.perf_counter() - t0)
            raise
        except Exception as exc:
            logger.exception("brain module %s failed (run %s)", name, self.run_id)
            self.listener.module_finished(name, "failed", time.perf_counter() - t0)
            raise ModuleError(f"{name.upper()} failed: {type(exc).__name__}: {exc}"[:1900]) \
                from exc
        seconds = time.perf_counter() - t0
        await _retrying(lambda: self._record_output(name, result, seconds))
        self.listener.module_finished(name, "succeeded", seconds)

    async def _record_output(self, name: str, result: StepResult, seconds: float) -> None:
        """Store a module's answer and mark it succeeded on the run (one transaction)."""
        async with self._session() as session:
            ModuleOutputRepository(session, self.auth).add(BrainModuleOutput(
                run_id=self.run_id, module=name, model_version=result.model_version[:100],
                output=result.output, created_at=self.runtime.clock.now(),
            ))
            if name == "curiosity" and self.answers.curiosity is not None:
                history = await feedback_history(session, self.auth,
                                                 now=self.runtime.clock.now())
                # Each stored action's `curiosity.action.created` event is written here too.
                await persist_proposals(session, self.auth, run_id=self.run_id,
                                        curiosity=self.answers.curiosity, history=history,
                                        now=self.runtime.clock.now())
            run = await BrainRunRepository(session, self.auth).fresh(self.run_id)
            if run is not None:
                self._module_patch(
                    name, status="succeeded", progress=1.0,
                    finished_at=self.runtime.clock.now().isoformat(),
                    seconds=round(seconds, 3), model_version=result.model_version,
                    notes=[str(n)[:500] for n in result.notes[:50]],
                )(run)
            await session.flush()

    async def _fail(self, module: str, error: str, skipped: list[str]) -> None:
        now = self.runtime.clock.now()

        def change(run: BrainRun) -> None:
            self._module_patch(module, status="failed", error=error,
                               finished_at=now.isoformat())(run)
            for name in skipped:
                self._module_patch(name, status="skipped")(run)
            run.status = RunStatus.failed.value
            run.finished_at = now
            run.error = error

        await self._update(change)
        await invalidate_face(self.runtime.cache, self.organization_id)

    async def _succeed(self) -> None:
        await _retrying(self._succeed_once)
        await invalidate_face(self.runtime.cache, self.organization_id)

    async def _succeed_once(self) -> None:
        """Mark the run succeeded and write the `oracle.alert.created` events of the alerts
        the previous succeeded run did not have, in one transaction: a run that does not
        end succeeded sends no alert."""
        now = self.runtime.clock.now()
        data = self.answers.data
        as_of = data.end.isoformat() if data is not None and len(data.metrics) else None
        async with self._session() as session:
            run = await BrainRunRepository(session, self.auth).fresh(self.run_id)
            if run is None:
                return
            if self.answers.oracle is not None:
                # Compared with the latest succeeded run: this one is not marked yet.
                await emit_new_oracle_alerts(session, self.auth, run_id=self.run_id,
                                             oracle=self.answers.oracle, now=now)
            run.status = RunStatus.succeeded.value
            run.finished_at = now
            run.data_as_of = as_of
            await session.flush()

    # ------------------------------------------------------------------ the modules

    async def _features(self) -> StepResult:
        from brain.brain_modules.data import load_brain_data

        async with self._session() as session:
            data = await load_brain_data(session, self.organization_id)
        self.answers.data = data
        return features_output(data)

    async def _memory(self) -> StepResult:
        from brain.brain_modules.memory import run_memory

        data = self._data()
        start, end = memory_period(data)
        memory = await asyncio.to_thread(run_memory, data, period_start=start, period_end=end)
        self.answers.memory = memory
        return StepResult(to_json(memory), memory.model_version, list(memory.notes))

    async def _oracle(self) -> StepResult:
        from brain.brain_modules.oracle import run_oracle
        from brain.brain_modules.runs.oracle_model import resolve_oracle_model

        data, memory = self._data(), self.answers.memory
        assert memory is not None
        async with self._session() as session:
            model = await resolve_oracle_model(session, self.auth)
        oracle = await asyncio.to_thread(run_oracle, data, memory, model=model)
        self.answers.oracle = oracle
        return StepResult(to_json(oracle), oracle.model_version, list(oracle.notes))

    async def _curiosity(self) -> StepResult:
        from brain.brain_modules.actions.feedback import feedback_stats
        from brain.brain_modules.curiosity import run_curiosity

        data, memory, oracle = self._data(), self.answers.memory, self.answers.oracle
        assert memory is not None
        assert oracle is not None
        async with self._session() as session:
            history = await feedback_history(session, self.auth, now=self.runtime.clock.now())
        stats = feedback_stats(history)
        curiosity = await asyncio.to_thread(run_curiosity, data, memory, oracle,
                                            feedback=stats, now=self.runtime.clock.now())
        self.answers.curiosity = curiosity
        return StepResult(to_json(curiosity), curiosity.model_version, list(curiosity.notes))

    async def _face(self) -> StepResult:
        previous = await self._previous_risk()
        return face_output(self.answers, previous_risk=previous,
                           today=self.runtime.clock.now().date())

    async def _previous_risk(self) -> str | None:
        """The global risk level of the tenant's previous successful run (for the KPI bar)."""
        async with self._session() as session:
            last = await BrainRunRepository(session, self.auth).latest_succeeded()
            if last is None:
                return None
            stored = await ModuleOutputRepository(session, self.auth).for_run(last.id, "oracle")
        if stored is None:
            return None
        try:
            return oracle_from_json(stored.output, creatives=False).risk_level
        except ValueError:
            return None

    def _data(self) -> BrainData:
        assert self.answers.data is not None
        return self.answers.data


async def execute_run(
    runtime: Runtime,
    *,
    organization_id: uuid.UUID,
    run_id: uuid.UUID,
    listener: ProgressListener | None = None,
) -> str:
    """Execute a queued run (the job body, also used by `brain run`)."""
    pipeline = Pipeline(runtime, organization_id=organization_id, run_id=run_id,
                        listener=listener)
    return await pipeline.run()


async def latest_outputs(
    session: AsyncSession, auth: AuthContext, modules: tuple[str, ...] = MODULES
) -> tuple[BrainRun | None, dict[str, BrainModuleOutput]]:
    """The latest succeeded run and its stored outputs."""
    run = await BrainRunRepository(session, auth).latest_succeeded()
    if run is None:
        return None, {}
    repo = ModuleOutputRepository(session, auth)
    found: dict[str, BrainModuleOutput] = {}
    for module in modules:
        stored = await repo.for_run(run.id, module)
        if stored is not None:
            found[module] = stored
    return run, found


BOOKKEEPING_RETRIES = (0.5, 2.0, 5.0)


def _transient(exc: BaseException) -> bool:
    """A write that may succeed when tried again: SQLite's busy/locked database, or
    PostgreSQL's serialization failure or deadlock."""
    if not isinstance(exc, DBAPIError):
        return False
    if "database is locked" in str(exc) or "database table is locked" in str(exc):
        return True
    code = getattr(exc.orig, "sqlstate", None)
    return code in {"40001", "40P01"}


async def _retrying(write: Callable[[], Awaitable[T]]) -> T:
    """Run one bookkeeping transaction, again after a pause when it met a transient error."""
    for pause in BOOKKEEPING_RETRIES:
        try:
            return await write()
        except DBAPIError as exc:
            if not _transient(exc):
                raise
            logger.warning("brain pipeline write retried in %.1f s: %s", pause, exc.orig)
            await asyncio.sleep(pause)
    return await write()
