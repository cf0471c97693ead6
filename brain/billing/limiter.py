"""The request limiter: API requests per minute per credential (`rate_limit_per_minute`, a
platform ceiling), per organization (its plan's limit, raised by overrides; off with
`plan_rate_limits=False`), per client IP for anonymous calls; and read-only enforcement for
restricted accounts.

Counters are fixed one-minute windows in the cache (Redis `INCR` + `EXPIRE NX` in one
MULTI when configured; the in-process store otherwise). Every `/api/` response carries
`RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`; a 429 adds `Retry-After`.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import date

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from brain.billing.catalog import Quota
from brain.billing.entitlements import request_plan_state
from brain.billing.problems import BillingRestricted
from brain.core.auth import AuthContext
from brain.core.cache import Cache
from brain.core.errors import ProblemError, problem_response
from brain.identity.sessions import SESSION_COOKIE

STATE_KEY = "brain_rate_limit"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Routes a read-only (restricted) organization may still write to: paying, leaving, deleting.
_WRITABLE_WHEN_RESTRICTED_PREFIXES = ("/api/v1/organizations/{org_id}/billing",)
_WRITABLE_WHEN_RESTRICTED = frozenset({
    "/api/v1/organizations/{org_id}",
    "/api/v1/organizations/{org_id}/plan",
    "/api/v1/organizations/{org_id}/leave",
})


@dataclass(frozen=True, slots=True)
class RateLimitInfo:
    limit: int
    remaining: int
    reset: int  # seconds until the window resets

    def headers(self) -> dict[str, str]:
        return {"RateLimit-Limit": str(self.limit), "RateLimit-Remaining": str(self.remaining),
                "RateLimit-Reset": str(self.reset)}


async def hit(
    cache: Cache, key: str, limit: int, epoch: float, *, enforce: bool = True
) -> RateLimitInfo:
    """Count one request in `key`'s current minute; 429 problem past `limit`."""
    window = int(epoch // 60)
    reset = max(1, 60 - int(epoch % 60))
    count = await cache.incr(f"rl:{key}:{window}", 61)
    info = RateLimitInfo(limit, max(0, limit - count), reset)
    if enforce and count > limit:
        raise ProblemError(
            429, f"More than {limit} API requests per minute; retry in {reset} s.",
            headers={"Retry-After": str(reset), **info.headers()},
            extra={"limit": limit, "retry_after": reset},
        )
    return info


def _remember(request: Request, info: RateLimitInfo) -> None:
    """Keep the tighter of the credential's and the organization's budgets for the headers."""
    state = request.scope.setdefault("state", {})
    current: RateLimitInfo | None = state.get(STATE_KEY)
    if current is None or info.remaining < current.remaining:
        state[STATE_KEY] = info


async def limit_subject(request: Request, subject_id: uuid.UUID) -> None:
    """A user or key outside any organization's routes: `rate_limit_per_minute` each."""
    runtime = request.app.state.runtime
    limit = runtime.settings.rate_limit_per_minute
    if not limit:
        return
    info = await hit(runtime.cache, f"s:{subject_id}", limit, runtime.clock.now().timestamp())
    _remember(request, info)


def _route_template(request: Request) -> str:
    route = request.scope.get("route")
    return str(getattr(route, "path", ""))


def _writable_when_restricted(template: str) -> bool:
    return template in _WRITABLE_WHEN_RESTRICTED or template.startswith(
        _WRITABLE_WHEN_RESTRICTED_PREFIXES
    )


async def limit_tenant(request: Request, session: AsyncSession, auth: AuthContext) -> None:
    """The organization's plan limit (once per request), then the read-only check."""
    if request.scope.get("state", {}).get("brain_tenant_checked"):
        return
    request.scope.setdefault("state", {})["brain_tenant_checked"] = True
    runtime = request.app.state.runtime
    settings = runtime.settings
    state = await request_plan_state(request, session, auth.organization_id)
    limit = state.limit(Quota.api_requests_per_minute)
    # `rate_limit_per_minute=0` turns every limiter off (benchmarks), plan limits included.
    if settings.plan_rate_limits and settings.rate_limit_per_minute and limit:
        info = await hit(runtime.cache, f"o:{auth.organization_id}", limit,
                         runtime.clock.now().timestamp())
        _remember(request, info)
    meter(request).add(auth.organization_id, runtime.clock.now().date())
    if (state.read_only and request.method not in _SAFE_METHODS
            and not _writable_when_restricted(_route_template(request))):
        raise BillingRestricted(state.status)


@dataclass
class ApiUsageMeter:
    """API requests per tenant per day, counted in memory and written to `usage_daily` in
    batches (a row write per request would cost more than the request)."""

    flush_every: int = 1000
    flush_seconds: float = 60.0
    pending: dict[tuple[uuid.UUID, date], int] = field(default_factory=dict)
    count: int = 0
    last_flush: float = field(default_factory=time.monotonic)

    def add(self, organization_id: uuid.UUID, day: date) -> None:
        key = (organization_id, day)
        self.pending[key] = self.pending.get(key, 0) + 1
        self.count += 1

    @property
    def due(self) -> bool:
        return self.count >= self.flush_every or (
            self.count > 0 and time.monotonic() - self.last_flush >= self.flush_seconds
        )

    def take(self) -> dict[tuple[uuid.UUID, date], int]:
        pending, self.pending, self.count = self.pending, {}, 0
        self.last_flush = time.monotonic()
        return pending


def meter(request: Request) -> ApiUsageMeter:
    state = request.app.state
    existing: ApiUsageMeter | None = getattr(state, "api_usage_meter", None)
    if existing is None:
        settings = state.runtime.settings
        existing = ApiUsageMeter(flush_every=settings.usage_flush_requests)
        state.api_usage_meter = existing
    return existing


async def flush_api_usage(usage: ApiUsageMeter, session_factory: object) -> None:
    """Write the counted API requests to `usage_daily` (system mode, own transaction)."""
    from brain.core.db import system_session
    from brain.finops.metering import add_usage_rows

    pending = usage.take()
    if not pending:
        return
    async with system_session(session_factory) as session:  # type: ignore[arg-type]
        await add_usage_rows(session, [
            (org_id, day, "api_requests", "", float(n)) for (org_id, day), n in pending.items()
        ])


class RateLimitHeadersMiddleware:
    """Adds the `RateLimit-*` headers to every `/api/` response; anonymous callers (no
    credential) are limited per client IP; flushes the API usage meter when due."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        fastapi_app = scope["app"]
        runtime = fastapi_app.state.runtime
        state = scope.setdefault("state", {})
        headers = dict(scope.get("headers") or [])
        anonymous = b"authorization" not in headers and SESSION_COOKIE.encode() not in headers.get(
            b"cookie", b""
        )
        fallback: RateLimitInfo | None = None
        limit = runtime.settings.rate_limit_per_minute
        if anonymous and limit:
            client = scope.get("client")
            ip = client[0] if client else "unknown"
            try:
                fallback = await hit(runtime.cache, f"ip:{ip}", limit,
                                     runtime.clock.now().timestamp())
            except ProblemError as exc:
                response = problem_response(scope["path"], 429, exc.detail,
                                            headers=exc.headers, extra=exc.extra)
                await response(scope, receive, send)
                return

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                info = state.get(STATE_KEY) or fallback
                if info is None and limit:
                    # A credentialed call refused before the limiter ran (e.g. a 401):
                    # counted against the client IP so it still reports its budget.
                    client = scope.get("client")
                    info = await hit(runtime.cache, f"ip:{client[0] if client else 'unknown'}",
                                     limit, runtime.clock.now().timestamp(), enforce=False)
                raw = message.setdefault("headers", [])
                present = {name.lower() for name, _ in raw}
                if info is not None and b"ratelimit-limit" not in present:
                    for name, value in info.headers().items():
                        raw.append((name.lower().encode(), value.encode()))
            await send(message)

        await self.app(scope, receive, wrapped)
        usage: ApiUsageMeter | None = getattr(fastapi_app.state, "api_usage_meter", None)
        if usage is not None and usage.due:
            await flush_api_usage(usage, runtime.session_factory)
