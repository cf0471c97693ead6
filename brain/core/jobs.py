"""Background jobs: a registry of async job functions, a request-scoped buffer sent only after
commit, and dispatchers (Celery for real workers; inline for tests)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from brain.core.runtime import Runtime

logger = logging.getLogger("brain.jobs")

JobFunction = Callable[..., Awaitable[None]]
JOB_REGISTRY: dict[str, JobFunction] = {}


def job(name: str) -> Callable[[JobFunction], JobFunction]:
    """Register `async def fn(runtime, **kwargs)` as the background job `name`."""

    def decorate(fn: JobFunction) -> JobFunction:
        if name in JOB_REGISTRY and JOB_REGISTRY[name] is not fn:
            raise RuntimeError(f"job {name!r} registered twice")
        JOB_REGISTRY[name] = fn
        return fn

    return decorate


def load_job_modules() -> None:
    """Import every module that defines jobs, so the registry is complete."""
    import brain.billing.tasks
    import brain.brain_modules.runs.tasks
    import brain.core.email.tasks
    import brain.finops.tasks
    import brain.integrations.inbound
    import brain.integrations.tasks
    import brain.maintenance
    import brain.organizations.tasks
    import brain.warehouse.tasks
    import brain.webhooks.tasks  # noqa: F401


class Dispatcher(Protocol):
    async def dispatch(self, name: str, kwargs: dict[str, Any]) -> None: ...


class CeleryDispatcher:
    """Sends jobs to Celery (the in-memory broker in embedded mode, Redis in production)."""

    async def dispatch(self, name: str, kwargs: dict[str, Any]) -> None:
        from brain.worker import celery_app

        await asyncio.to_thread(celery_app.send_task, name, kwargs=kwargs)


class InlineDispatcher:
    """Runs jobs in the caller's event loop right after commit (tests, `brain seed`)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def dispatch(self, name: str, kwargs: dict[str, Any]) -> None:
        self.sent.append((name, kwargs))
        await JOB_REGISTRY[name](self.runtime, **kwargs)


@dataclass
class JobBuffer:
    """Jobs asked for during a request; sent after its transaction commits, else dropped."""

    pending: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    callbacks: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def after_commit(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Run `callback` once the request's transaction has committed (e.g. cache eviction)."""
        self.callbacks.append(callback)

    def enqueue(self, name: str, **kwargs: Any) -> None:
        if name not in JOB_REGISTRY:
            raise KeyError(f"unknown job {name!r}")
        self.pending.append((name, kwargs))

    async def flush(self, dispatcher: Dispatcher) -> None:
        pending, self.pending = self.pending, []
        callbacks, self.callbacks = self.callbacks, []
        for callback in callbacks:
            await callback()
        for name, kwargs in pending:
            await dispatcher.dispatch(name, kwargs)

    def discard(self) -> None:
        self.pending.clear()
        self.callbacks.clear()
