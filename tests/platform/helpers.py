"""Small helpers shared by the platform tests: variant apps, clients, problem assertions."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from brain.app import create_app
from brain.core.db import set_system_mode
from brain.core.jobs import Dispatcher
from brain.core.runtime import Runtime

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}
RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")


def variant_app(runtime: Runtime, dispatcher: Dispatcher, **overrides: Any) -> FastAPI:
    """The app on the test database and cache, with some settings changed."""
    settings = runtime.settings.model_copy(update=overrides)
    variant = Runtime(
        settings=settings,
        engine=runtime.engine,
        session_factory=runtime.session_factory,
        cache=runtime.cache,
        owns_engine=False,
    )
    return create_app(settings, runtime=variant, dispatcher=dispatcher)


@asynccontextmanager
async def http_client(
    app: FastAPI, *, raise_app_exceptions: bool = True
) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def raw_headers(headers: dict[str, str], **extra: str | bytes) -> list[tuple[bytes, bytes]]:
    """Headers as bytes, so a test can send values httpx would refuse to encode."""
    raw = [(k.encode(), v.encode()) for k, v in headers.items()]
    for name, value in extra.items():
        raw.append((name.replace("_", "-").encode(), value if isinstance(value, bytes)
                    else value.encode("latin-1")))
    return raw


def describe(response: httpx.Response) -> str:
    request = response.request
    return f"{request.method} {request.url.path} -> {response.status_code}: {response.text[:300]}"


def problem_violations(response: httpx.Response, status: int, kind: str | None = None) -> list[str]:
    """What is wrong with `response` as an RFC 9457 problem of `status` (empty when right)."""
    if response.status_code != status:
        return [f"expected {status}: {describe(response)}"]
    problems: list[str] = []
    if response.headers.get("content-type") != "application/problem+json":
        problems.append(f"content-type {response.headers.get('content-type')!r}")
    try:
        body = response.json()
    except ValueError:
        return [*problems, "body is not JSON"]
    if not isinstance(body, dict):
        return [*problems, "body is not an object"]
    missing = PROBLEM_KEYS - body.keys()
    if missing:
        problems.append(f"missing keys {sorted(missing)}")
    if body.get("status") != status:
        problems.append(f"status member {body.get('status')!r}")
    if not str(body.get("type", "")).startswith("/api/v1/problems/"):
        problems.append(f"type {body.get('type')!r}")
    elif kind is not None and body["type"] != f"/api/v1/problems/{kind}":
        problems.append(f"type {body['type']!r}, expected kind {kind!r}")
    if body.get("instance") != response.request.url.path:
        problems.append(f"instance {body.get('instance')!r}")
    if "Traceback" in response.text or 'File "' in response.text:
        problems.append("a stack trace in the body")
    return [f"{describe(response)}: {p}" for p in problems]


def assert_problem(
    response: httpx.Response, status: int, kind: str | None = None
) -> dict[str, Any]:
    """Assert an RFC 9457 problem of `status` (and `kind`), and return its body."""
    violations = problem_violations(response, status, kind)
    assert not violations, "\n".join(violations)
    body: dict[str, Any] = response.json()
    return body


def timestamps_not_rfc3339(value: Any, where: str = "$") -> list[str]:
    """Every `*_at` string member anywhere in `value` that is not RFC 3339 UTC with a `Z`."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{key}"
            if key.endswith("_at") and isinstance(item, str) and not RFC3339_UTC.match(item):
                found.append(f"{path} = {item!r}")
            found.extend(timestamps_not_rfc3339(item, path))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(timestamps_not_rfc3339(item, f"{where}[{index}]"))
    return found


def add_test_route(
    app: FastAPI, path: str, endpoint: Any, *, methods: list[str], **kwargs: Any
) -> None:
    """Add a route ahead of the app's `/api/{rest}` catch-all (for error-path tests only)."""
    from fastapi.routing import APIRoute

    route = APIRoute(path, endpoint, methods=methods, include_in_schema=False, **kwargs)
    app.router.routes.insert(0, route)


async def system_view(db: AsyncSession) -> AsyncSession:
    """Re-assert system mode on the test's `db` session before reading with it.

    All sessions of a test share one PostgreSQL transaction, so a request in between leaves its
    own `app.current_org` / `app.rls_bypass` settings behind on the connection."""
    await set_system_mode(db, True)
    db.expire_all()
    return db
