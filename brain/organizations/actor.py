"""`Actor`: the caller's `AuthContext` with what the membership services need around it (the
clock, the cache, the after-commit job buffer, the request for the audit trail).

No `from __future__ import annotations` here: FastAPI must resolve the dependency's
annotations, which name a local (`guard`)."""

import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from brain.audit.service import record_audit
from brain.core.auth import AuthContext
from brain.core.cache import Cache
from brain.core.clock import Clock
from brain.core.deps import Jobs, get_runtime, require
from brain.core.errors import ProblemError
from brain.core.jobs import JobBuffer
from brain.organizations.permissions import Permission


@dataclass(frozen=True)
class Actor:
    auth: AuthContext
    clock: Clock
    cache: Cache
    jobs: JobBuffer
    request: Request | None = None

    @property
    def organization_id(self) -> uuid.UUID:
        return self.auth.organization_id

    @property
    def is_owner(self) -> bool:
        return self.auth.role == "owner"

    def member_user_id(self) -> uuid.UUID:
        """The acting user (403 for API keys, which are not members)."""
        if self.auth.user_id is None:
            raise ProblemError(
                403, "Only a member (a logged-in user) can do this; API keys cannot.",
                extra={"required_subject": "user"},
            )
        return self.auth.user_id

    async def audit(
        self,
        session: AsyncSession,
        action: str,
        *,
        target_type: str,
        target_id: str | uuid.UUID | None,
        details: dict[str, Any] | None = None,
    ) -> None:
        await record_audit(
            session, clock=self.clock, action=action, actor=self.auth,
            target_type=target_type, target_id=target_id, request=self.request,
            details=details,
        )


def acting(
    permission: Permission, *, members_only: bool = False
) -> Callable[..., Coroutine[Any, Any, Actor]]:
    """A dependency: `require(permission)`, then the `Actor` around the caller. With
    `members_only`, API keys are refused (403) even when their role has the permission."""
    guard = require(permission)

    async def dependency(
        request: Request, auth: Annotated[AuthContext, Depends(guard)], jobs: Jobs
    ) -> Actor:
        runtime = get_runtime(request)
        actor = Actor(auth=auth, clock=runtime.clock, cache=runtime.cache, jobs=jobs,
                      request=request)
        if members_only:
            actor.member_user_id()
        return actor

    dependency.__name__ = f"acting_{permission.value.replace(':', '_')}"
    # Read by the generated permission matrix (docs/permissions.md).
    dependency.members_only = members_only  # type: ignore[attr-defined]
    return dependency


def Acting(permission: Permission, *, members_only: bool = False) -> Any:
    """`Annotated[Actor, Acting(Permission.x)]` for a route parameter."""
    return Depends(acting(permission, members_only=members_only))
