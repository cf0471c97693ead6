"""The short-lived cache of members' resolved `AuthContext`s, and its eviction.

`member_context` caches what it resolves for (organization, user) for `CONTEXT_CACHE_SECONDS`;
every change to a membership, its role or its grants evicts that entry at once and again
after the request commits, so a request racing the commit cannot put the old state back.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.auth import AuthContext, SubjectType
from brain.core.cache import Cache
from brain.core.jobs import JobBuffer
from brain.core.tenancy import scope_to_tenant
from brain.organizations.models import Membership
from brain.organizations.permissions import Permission

CONTEXT_CACHE_SECONDS = 30


def member_context_key(organization_id: uuid.UUID, user_id: uuid.UUID) -> str:
    return f"member-ctx:{organization_id}:{user_id}"


def encode_context(auth: AuthContext) -> bytes:
    """What is cached of a member's context (the session id is the request's own)."""
    return orjson.dumps(
        {
            "r": auth.role,
            "p": sorted(p.value for p in auth.permissions),
            "c": None if auth.channel_ids is None else sorted(str(c) for c in auth.channel_ids),
        }
    )


def decode_context(
    raw: bytes,
    *,
    organization_id: uuid.UUID,
    user_id: uuid.UUID,
    session_id: uuid.UUID | None,
) -> AuthContext | None:
    """The cached context, or None when the entry cannot be read (then it is recomputed)."""
    try:
        data = orjson.loads(raw)
        permissions = frozenset(Permission(p) for p in data["p"])
        channels = data["c"]
        channel_ids = None if channels is None else frozenset(uuid.UUID(c) for c in channels)
        role = str(data["r"])
    except (ValueError, KeyError, TypeError):
        return None
    return AuthContext(
        organization_id=organization_id,
        role=role,
        permissions=permissions,
        subject_type=SubjectType.user,
        subject_id=user_id,
        channel_ids=channel_ids,
        session_id=session_id,
    )


async def evict_member_contexts(
    cache: Cache,
    jobs: JobBuffer | None,
    organization_id: uuid.UUID,
    user_ids: Iterable[uuid.UUID],
) -> None:
    """Forget the cached contexts of these members now and, with `jobs`, after commit."""
    keys = [member_context_key(organization_id, user_id) for user_id in user_ids]
    for key in keys:
        await cache.delete(key)
    if jobs is None or not keys:
        return

    async def evict() -> None:
        for key in keys:
            await cache.delete(key)

    jobs.after_commit(evict)


async def evict_organization_contexts(
    session: AsyncSession, cache: Cache, jobs: JobBuffer | None, auth: AuthContext
) -> None:
    """Forget the cached contexts of every member of the caller's organization (e.g. after
    a policy change or the organization's deletion)."""
    stmt = scope_to_tenant(select(Membership.user_id), Membership, auth)
    user_ids = (await session.scalars(stmt)).all()
    await evict_member_contexts(cache, jobs, auth.organization_id, user_ids)


async def evict_user_contexts(
    session: AsyncSession, cache: Cache, jobs: JobBuffer | None, user_id: uuid.UUID
) -> None:
    """Forget a user's cached contexts in all their organizations (e.g. MFA removed).

    The session must be able to see the user's memberships (system mode)."""
    organization_ids = (
        await session.scalars(select(Membership.organization_id).where(
            Membership.user_id == user_id))
    ).all()
    for organization_id in organization_ids:
        await evict_member_contexts(cache, jobs, organization_id, [user_id])
