"""Request dependencies: the session (committed at the edge), the caller's `AuthContext`
with its permission check, and the `Annotated` aliases routes use."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.auth import AuthContext
from brain.core.cache import Cache
from brain.core.db import set_tenant
from brain.core.errors import NotFound, ProblemError
from brain.core.jobs import JobBuffer
from brain.core.runtime import Runtime
from brain.organizations.permissions import Permission
from brain.settings import Settings


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_settings_dep(request: Request) -> Settings:
    return get_runtime(request).settings


def get_cache(request: Request) -> Cache:
    return get_runtime(request).cache


def get_jobs(request: Request) -> JobBuffer:
    buffer: JobBuffer | None = getattr(request.state, "jobs", None)
    if buffer is None:
        buffer = JobBuffer()
        request.state.jobs = buffer
    return buffer


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; committed here, after the handler, and only then jobs are sent."""
    runtime = get_runtime(request)
    jobs = get_jobs(request)
    async with runtime.session_factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            jobs.discard()
            raise
    await jobs.flush(request.app.state.dispatcher)


DbSession = Annotated[AsyncSession, Depends(get_session, scope="function")]
AppCache = Annotated[Cache, Depends(get_cache)]
Jobs = Annotated[JobBuffer, Depends(get_jobs)]
AppSettings = Annotated[Settings, Depends(get_settings_dep)]

_UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer realm="brain"'}


def _bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def _rate_limit(cache: Cache, settings: Settings, auth: AuthContext) -> None:
    limit = settings.rate_limit_per_minute
    if not limit:
        return
    import time

    window = int(time.time() // 60)
    count = await cache.incr(f"rl:{auth.subject_id}:{window}", 60)
    if count > limit:
        retry_after = 60 - int(time.time() % 60)
        raise ProblemError(
            429,
            f"More than {limit} requests per minute for this credential.",
            headers={
                "Retry-After": str(retry_after),
                "RateLimit-Limit": str(limit),
                "RateLimit-Remaining": "0",
                "RateLimit-Reset": str(retry_after),
            },
        )


async def authenticate(request: Request, session: DbSession) -> AuthContext:
    """The caller's credential → `AuthContext` (401 when missing or invalid)."""
    from brain.identity.service import resolve_api_key

    cached: AuthContext | None = getattr(request.state, "auth", None)
    if cached is not None:
        return cached
    token = _bearer_token(request)
    if token is None:
        raise ProblemError(401, "Send an API key as 'Authorization: Bearer <key>'.",
                           headers=_UNAUTHORIZED_HEADERS)
    runtime = get_runtime(request)
    auth = await resolve_api_key(
        session, runtime.cache, token, cache_seconds=runtime.settings.api_key_cache_seconds
    )
    if auth is None:
        raise ProblemError(401, "The credential is invalid or revoked.",
                           headers=_UNAUTHORIZED_HEADERS)
    await _rate_limit(runtime.cache, runtime.settings, auth)
    request.state.auth = auth
    return auth


def require(
    permission: Permission,
) -> Callable[..., Coroutine[Any, Any, AuthContext]]:
    """A dependency: authenticated, `org_id` is the caller's own organization, and allowed."""

    async def dependency(
        org_id: uuid.UUID, request: Request, session: DbSession
    ) -> AuthContext:
        auth = await authenticate(request, session)
        if org_id != auth.organization_id:
            # Another tenant's organization is indistinguishable from a missing one.
            raise NotFound("Organization")
        if not auth.can(permission):
            raise ProblemError(
                403, f"The '{auth.role}' role lacks the '{permission}' permission.",
                extra={"required_permission": permission.value},
            )
        await set_tenant(session, auth.organization_id)
        return auth

    dependency.__name__ = f"require_{permission.value.replace(':', '_')}"
    # FastAPI keeps the dependency's docstring out of the schema; the permission is recorded
    # on the route for the generated permission docs.
    dependency.required_permission = permission  # type: ignore[attr-defined]
    return dependency


def Authorized(permission: Permission) -> Any:
    """`Annotated[AuthContext, Authorized(Permission.x)]` for a route parameter."""
    return Depends(require(permission))


ReadData = Annotated[AuthContext, Authorized(Permission.data_read)]
WriteData = Annotated[AuthContext, Authorized(Permission.data_write)]
WriteImports = Annotated[AuthContext, Authorized(Permission.imports_write)]
ReadOrg = Annotated[AuthContext, Authorized(Permission.organization_read)]
ManageOrg = Annotated[AuthContext, Authorized(Permission.organization_manage)]
ManageKeys = Annotated[AuthContext, Authorized(Permission.api_keys_manage)]
