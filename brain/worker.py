"""The Celery application: one task per registered job, the beat schedule, and the in-process
worker used by `brain serve` in embedded mode."""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from datetime import timedelta
from typing import Any

from celery import Celery
from celery.signals import worker_init

from brain.core.jobs import JOB_REGISTRY, load_job_modules
from brain.core.runtime import Runtime, freeze_startup_heap
from brain.settings import Settings, get_settings

logger = logging.getLogger("brain.worker")

celery_app = Celery("brain")


def _settle_worker_heap(**_: Any) -> None:
    """A worker's modules and job registry are loaded before its first task (and, with the
    prefork pool, before the children fork): freeze them out of the collector's sight."""
    freeze_startup_heap()


worker_init.connect(_settle_worker_heap, weak=False)

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "purge-idempotency-records": {
        "task": "maintenance.purge_idempotency_records",
        "schedule": timedelta(hours=1),
    },
    "apply-data-retention": {
        "task": "maintenance.apply_data_retention",
        "schedule": timedelta(days=1),
    },
    "purge-deleted-organizations": {
        "task": "organizations.purge_deleted",
        "schedule": timedelta(days=1),
    },
    "brain-daily-runs": {
        "task": "brain.schedule_daily_runs",
        "schedule": timedelta(days=1),
    },
    "webhooks-pump": {
        "task": "webhooks.pump",
        "schedule": timedelta(seconds=5),
    },
    "purge-webhook-history": {
        "task": "webhooks.purge",
        "schedule": timedelta(days=1),
    },
    "inbound-webhooks-pump": {
        "task": "integrations.inbound_pump",
        "schedule": timedelta(seconds=10),
    },
    "integrations-schedule-syncs": {
        "task": "integrations.schedule_syncs",
        "schedule": timedelta(minutes=1),
    },
    "billing-apply-dunning": {
        "task": "billing.apply_dunning",
        "schedule": timedelta(hours=1),
    },
    "billing-email-pending-notices": {
        "task": "billing.email_pending_notices",
        "schedule": timedelta(minutes=10),
    },
    "finops-cost-alerts": {
        "task": "finops.cost_alerts",
        "schedule": timedelta(days=1),
    },
    "finops-measure-storage": {
        "task": "finops.measure_storage",
        "schedule": timedelta(days=1),
    },
}


class _WorkerState(threading.local):
    runner: asyncio.Runner | None = None
    runtime: Runtime | None = None


_state = _WorkerState()
_settings_override: Settings | None = None


def _worker_runtime() -> tuple[asyncio.Runner, Runtime]:
    """Each worker thread keeps one event loop and one runtime (engine pool) for its tasks."""
    if _state.runner is None:
        _state.runner = asyncio.Runner()
    if _state.runtime is None:
        _state.runtime = Runtime.create(_settings_override or get_settings())
    return _state.runner, _state.runtime


def run_job(name: str, kwargs: dict[str, Any]) -> None:
    runner, runtime = _worker_runtime()
    async def execute() -> None:
        await JOB_REGISTRY[name](runtime, **kwargs)

    runner.run(execute())


def _make_task(name: str) -> Any:
    def task(**kwargs: Any) -> None:
        run_job(name, kwargs)

    task.__name__ = name.replace(".", "_")
    return celery_app.task(name=name, acks_late=True)(task)


def configure(settings: Settings) -> Celery:
    """Point the Celery app at the configured broker and register every job as a task."""
    global _settings_override
    _settings_override = settings
    celery_app.conf.update(
        broker_url=settings.broker_url or "memory://",
        task_ignore_result=True,
        result_backend=None,
        task_serializer="json",
        accept_content=["json"],
        timezone="UTC",
        enable_utc=True,
        worker_prefetch_multiplier=1,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        broker_connection_retry_on_startup=True,
        beat_schedule=BEAT_SCHEDULE,
        worker_hijack_root_logger=False,
    )
    load_job_modules()
    for name in JOB_REGISTRY:
        if name not in celery_app.tasks:
            _make_task(name)
    return celery_app


# The interpreter's switch interval while the embedded worker shares the API's process.
# When a job's Python code holds the GIL, the API's event loop waits up to this long for it
# (CPython's default is 5 ms); 1 ms keeps requests answered promptly while jobs run, for a
# little more switching between the two. Measured on the inbound webhook benchmark (acks
# while the same process processes the events): ack p95 lower in each of four paired runs
# (closed loop 17.7 vs 19.0 ms and 15.2 vs 16.9 ms; open loop 16.8 vs 20.3 and 14.3 vs 15.7).
EMBEDDED_SWITCH_INTERVAL = 0.001


class EmbeddedWorker:
    """A Celery worker (and beat) on threads inside `brain serve`, for the embedded mode."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._controller: Any = None
        self._beat: Any = None
        self._thread: threading.Thread | None = None
        self._switch_interval: float | None = None

    def start(self) -> None:
        from celery.beat import EmbeddedService

        app = configure(self.settings)
        self._controller = app.WorkController(
            app=app,
            pool_cls="solo",
            concurrency=1,
            without_heartbeat=True,
            without_mingle=True,
            without_gossip=True,
            loglevel="WARNING",
            hostname="embedded@brain",
        )
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._switch_interval, EMBEDDED_SWITCH_INTERVAL))
        self._thread = threading.Thread(
            target=self._run_paced, name="brain-embedded-worker", daemon=True
        )
        self._thread.start()
        self.settings.var_dir.mkdir(parents=True, exist_ok=True)
        self._beat = EmbeddedService(
            app, thread=True, schedule_filename=str(self.settings.var_dir / "beat-schedule")
        )
        self._beat.start()
        logger.info("embedded worker and beat started")

    def _run_paced(self) -> None:
        """The worker's loop (the solo pool runs every task on this thread), its jobs giving
        way to the API's requests (core/pacing.py)."""
        from brain.core.pacing import pace_current_thread

        pace_current_thread()
        self._controller.start()

    def stop(self) -> None:
        if self._beat is not None:
            self._beat.stop()
        if self._controller is not None:
            self._controller.stop(in_sighandler=False)
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._switch_interval is not None:
            sys.setswitchinterval(self._switch_interval)
            self._switch_interval = None
