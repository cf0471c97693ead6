"""Request dependencies: the session (committed at the edge), the caller's `AuthContext`
with its permission check, and the `Annotated` aliases routes use."""

from __future__ import annotations

import hmac
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.auth import AuthContext
from brain.core.cache import Cache
from brain.core.db import WRITER_INFO_KEY, set_tenant
from brain.core.errors import NotFound, ProblemError
from brain.core.jobs import JobBuffer
from brain.core.runtime import Runtime
from brain.identity.sessions import ActiveSession
from brain.organizations.permissions import Permission
from brain.settings import Settings


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


# Dependencies are coroutines even when they do no I/O: FastAPI runs a plain `def`
# dependency in a worker thread, a hop that costs more than the work itself.
async def get_settings_dep(request: Request) -> Settings:
    return get_runtime(request).settings


async def get_cache(request: Request) -> Cache:
    return get_runtime(request).cache


async def get_jobs(request: Request) -> JobBuffer:
    return request_jobs(request)


def request_jobs(request: Request) -> JobBuffer:
    """The request's job buffer (created on first use)."""
    buffer: JobBuffer | None = getattr(request.state, "jobs", None)
    if buffer is None:
        buffer = JobBuffer()
        request.state.jobs = buffer
    return buffer


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; committed here, after the handler, and only then jobs are sent."""
    runtime = get_runtime(request)
    jobs = request_jobs(request)
    async with runtime.session_factory() as session:
        session.info[WRITER_INFO_KEY] = request.method not in _SAFE_METHODS
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

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling, before an organization is chosen."""

    subject_id: uuid.UUID
    api_key: AuthContext | None
    session: ActiveSession | None


_UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer realm="brain"'}


def _bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def _rate_limit(
    request: Request, session: AsyncSession, subject_id: uuid.UUID,
    auth: AuthContext | None = None,
) -> None:
    """The plan-aware limiter (`brain.billing.limiter`): per credential
    (`rate_limit_per_minute`) when the caller is identified, then per organization on its
    routes (the plan's API requests/minute; read-only enforcement for restricted accounts).
    Sets the `RateLimit-*` headers; 429 with `Retry-After` past either limit."""
    from brain.billing.limiter import limit_subject, limit_tenant

    if auth is not None:
        await limit_tenant(request, session, auth)
    else:
        await limit_subject(request, subject_id)


async def _session_caller(
    request: Request, session: AsyncSession, token: str
) -> ActiveSession:
    from brain.identity.sessions import CSRF_COOKIE, CSRF_HEADER, resolve_session

    runtime = get_runtime(request)
    active = await resolve_session(session, runtime.cache, token, clock=runtime.clock)
    if active is None:
        raise ProblemError(401, "Your session has expired; log in again.",
                           headers=_UNAUTHORIZED_HEADERS)
    if request.method not in _SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        expected = request.cookies.get(CSRF_COOKIE, "")
        if not sent or not expected or not hmac.compare_digest(sent, expected):
            raise ProblemError(
                403, "Send the brain_csrf cookie's value in the X-CSRF-Token header.",
                kind="csrf-failed",
            )
    return active


async def identify(request: Request, session: DbSession) -> Caller:
    """Who is calling: an API key (bound to one organization) or a logged-in user (401 if
    neither). Cookie sessions must pass the CSRF check on unsafe methods."""
    from brain.identity.service import resolve_api_key
    from brain.identity.sessions import SESSION_COOKIE

    cached: Caller | None = getattr(request.state, "caller", None)
    if cached is not None:
        return cached
    runtime = get_runtime(request)
    token = _bearer_token(request)
    caller: Caller
    if token is not None:
        auth = await resolve_api_key(
            session, runtime.cache, token, cache_seconds=runtime.settings.api_key_cache_seconds
        )
        if auth is None:
            raise ProblemError(401, "The credential is invalid or revoked.",
                               headers=_UNAUTHORIZED_HEADERS)
        caller = Caller(subject_id=auth.subject_id, api_key=auth, session=None)
    elif cookie := request.cookies.get(SESSION_COOKIE):
        active = await _session_caller(request, session, cookie)
        caller = Caller(subject_id=active.user_id, api_key=None, session=active)
    else:
        raise ProblemError(
            401, "Log in, or send an API key as 'Authorization: Bearer <key>'.",
            headers=_UNAUTHORIZED_HEADERS,
        )
    await _rate_limit(request, session, caller.subject_id)
    request.state.caller = caller
    return caller


async def current_session(request: Request, session: DbSession) -> ActiveSession:
    """The logged-in user's session (401 for API keys and anonymous callers)."""
    caller = await identify(request, session)
    if caller.session is None:
        raise ProblemError(401, "This endpoint needs a logged-in user, not an API key.",
                           headers=_UNAUTHORIZED_HEADERS)
    return caller.session


current_session.needs_credentials = True  # type: ignore[attr-defined]
CurrentSession = Annotated[ActiveSession, Depends(current_session)]


async def authenticate(
    request: Request, session: AsyncSession, org_id: uuid.UUID
) -> AuthContext:
    """The caller's `AuthContext` in organization `org_id` (404 when not a member)."""
    from brain.organizations.service import member_context

    caller = await identify(request, session)
    if caller.api_key is not None:
        if org_id != caller.api_key.organization_id:
            # Another tenant's organization is indistinguishable from a missing one.
            raise NotFound("Organization")
        return caller.api_key
    assert caller.session is not None
    route = request.scope.get("route")
    auth = await member_context(
        session, user_id=caller.session.user_id, organization_id=org_id,
        session_id=caller.session.session_id, cache=get_runtime(request).cache,
        # Members who still must set up MFA may read the organization itself, nothing else.
        mfa_exempt=request.method in _SAFE_METHODS
        and getattr(route, "path", None) == "/api/v1/organizations/{org_id}",
    )
    if auth is None:
        raise NotFound("Organization")
    return auth


def require(
    permission: Permission,
) -> Callable[..., Coroutine[Any, Any, AuthContext]]:
    """A dependency: authenticated, a member of `org_id` (else 404), and allowed (else 403)."""

    async def dependency(
        org_id: uuid.UUID, request: Request, session: DbSession
    ) -> AuthContext:
        auth = await authenticate(request, session, org_id)
        if not auth.can(permission):
            raise ProblemError(
                403, f"The '{auth.role}' role lacks the '{permission}' permission.",
                extra={"required_permission": permission.value},
            )
        await set_tenant(session, auth.organization_id)
        await _rate_limit(request, session, auth.subject_id, auth)
        request.state.auth = auth
        return auth

    dependency.__name__ = f"require_{permission.value.replace(':', '_')}"
    # Recorded on the dependency for the route walker and the generated permission docs.
    dependency.required_permission = permission  # type: ignore[attr-defined]
    dependency.needs_credentials = True  # type: ignore[attr-defined]
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
