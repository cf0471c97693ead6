"""Platform operators: users with the `is_platform_operator` flag (set by `brain operators
add EMAIL`). `/api/v1/admin/*` routes depend on `require_operator`: 401 without a
credential, 403 for everyone else (API keys and tenant owners included)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select

import brain.billing.problems  # noqa: F401  (registers the problem kinds)
from brain.core.deps import DbSession, identify
from brain.core.errors import ProblemError
from brain.identity.models import User


async def require_operator(request: Request, session: DbSession) -> uuid.UUID:
    """The operator's user id (a logged-in user with the operator flag), else 403."""
    caller = await identify(request, session)
    if caller.session is None:
        raise ProblemError(403, "Admin endpoints are for platform operators, not API keys.",
                           kind="operator-required")
    is_operator = await session.scalar(
        select(User.is_platform_operator).where(User.id == caller.session.user_id)
    )
    if not is_operator:
        raise ProblemError(403, "Admin endpoints are for platform operators.",
                           kind="operator-required")
    return caller.session.user_id


require_operator.needs_credentials = True  # type: ignore[attr-defined]
Operator = Annotated[uuid.UUID, Depends(require_operator)]
