"""Liveness, readiness and the problem type documentation."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import text
from starlette.responses import Response

from brain.core.errors import PROBLEM_KINDS, NotFound
from brain.core.pagination import json_response
from brain.core.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["health"])


class Health(BaseModel):
    status: Literal["ok"]


class Check(BaseModel):
    name: str
    ok: bool
    detail: str


class Readiness(BaseModel):
    status: Literal["ready", "unavailable"]
    checks: list[Check]


class ProblemType(BaseModel):
    type: str
    title: str
    description: str


@router.get("/healthz", response_model=Health, operation_id="healthz")
async def healthz() -> Response:
    """Liveness: the process answers."""
    return json_response(Health(status="ok"))


async def _check(name: str, coro: object) -> Check:
    try:
        await asyncio.wait_for(coro, timeout=3)  # type: ignore[arg-type]
    except Exception as exc:
        return Check(name=name, ok=False, detail=type(exc).__name__)
    return Check(name=name, ok=True, detail="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    operation_id="readyz",
    responses={503: {"model": Readiness, "description": "A dependency is down"}},
)
async def readyz(request: Request) -> Response:
    """Readiness: the database, the cache and the job broker answer."""
    runtime: Runtime = request.app.state.runtime

    async def database() -> None:
        async with runtime.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def cache() -> None:
        if not await runtime.cache.ping():
            raise ConnectionError("cache did not answer")

    async def broker() -> None:
        url = runtime.settings.broker_url
        if not url:
            return
        from kombu.connection import Connection

        def probe() -> None:
            with Connection(url, connect_timeout=2) as conn:  # type: ignore[no-untyped-call]
                conn.ensure_connection(max_retries=1)

        await asyncio.to_thread(probe)

    checks = [
        await _check("database", database()),
        await _check("cache", cache()),
        await _check("broker", broker()),
    ]
    ready = all(c.ok for c in checks)
    body = Readiness(status="ready" if ready else "unavailable", checks=checks)
    return json_response(body, status_code=200 if ready else 503)


@router.get("/problems/{kind}", response_model=ProblemType, operation_id="get_problem_type")
async def get_problem_type(kind: str) -> Response:
    """What an error `type` means."""
    if kind not in PROBLEM_KINDS:
        raise NotFound("Problem type")
    title, description = PROBLEM_KINDS[kind]
    return json_response(
        ProblemType(type=f"/api/v1/problems/{kind}", title=title, description=description)
    )
