"""Issuing, listing, revoking and resolving API keys."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid

import orjson
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.auth import AuthContext, SubjectType
from brain.core.cache import Cache
from brain.core.db import set_system_mode
from brain.core.jobs import JobBuffer
from brain.core.models import utcnow
from brain.identity.models import ApiKey
from brain.organizations.models import Organization
from brain.organizations.permissions import ApiKeyRole, permissions_for

TOKEN_PREFIX = "brn_"  # noqa: S105 - a public prefix, not a secret
_TOUCH_SECONDS = 60


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _cache_key(token_hash: str) -> str:
    return f"apikey:{token_hash}"


async def issue_api_key(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    name: str,
    role: ApiKeyRole,
    created_by_key_id: uuid.UUID | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; the plaintext is returned once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        organization_id=organization_id,
        name=name,
        role=role.value,
        prefix=token[:12],
        token_hash=hash_token(token),
        created_by_key_id=created_by_key_id,
    )
    session.add(key)
    await session.flush()
    return key, token


async def revoke_api_key(
    session: AsyncSession, cache: Cache, key: ApiKey, jobs: JobBuffer
) -> ApiKey:
    """Revoke `key`; its cached auth entry is evicted now and again after commit, so a
    request racing the commit cannot re-cache it as valid."""
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await session.flush()
    cache_key = _cache_key(key.token_hash)
    await cache.delete(cache_key)

    async def evict() -> None:
        await cache.delete(cache_key)

    jobs.after_commit(evict)
    return key


# When this process last counted a use of each key: within `_TOUCH_SECONDS` another count
# can't be the window's first (the shared counter already exists), so it is skipped.
_last_touch: dict[uuid.UUID, float] = {}


def _touch_due(key_id: uuid.UUID) -> bool:
    now = time.monotonic()
    last = _last_touch.get(key_id)
    if last is not None and now - last < _TOUCH_SECONDS:
        return False
    if len(_last_touch) >= 10_000:
        _last_touch.clear()
    _last_touch[key_id] = now
    return True


async def resolve_api_key(
    session: AsyncSession, cache: Cache, token: str, *, cache_seconds: int
) -> AuthContext | None:
    """The auth context of a bearer token, or None; cached briefly, revocation evicts it."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    token_hash = hash_token(token)
    cached = await cache.get(_cache_key(token_hash)) if cache_seconds else None
    if cached is not None:
        data = orjson.loads(cached)
        key_id, org_id, role = uuid.UUID(data["k"]), uuid.UUID(data["o"]), ApiKeyRole(data["r"])
    else:
        await set_system_mode(session, True)
        try:
            row = (
                await session.execute(
                    select(ApiKey.id, ApiKey.organization_id, ApiKey.role)
                    .join(Organization, Organization.id == ApiKey.organization_id)
                    .where(
                        ApiKey.token_hash == token_hash,
                        ApiKey.revoked_at.is_(None),
                        Organization.deleted_at.is_(None),
                    )
                )
            ).first()
        finally:
            await set_system_mode(session, False)
        if row is None:
            return None
        key_id, org_id, role = row[0], row[1], ApiKeyRole(row[2])
        if cache_seconds:
            payload = orjson.dumps({"k": str(key_id), "o": str(org_id), "r": role.value})
            await cache.set(_cache_key(token_hash), payload, cache_seconds)
    if _touch_due(key_id) and await cache.incr(f"apikey-touch:{key_id}", _TOUCH_SECONDS) == 1:
        await set_system_mode(session, True)
        try:
            await session.execute(
                update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=utcnow())
            )
        finally:
            await set_system_mode(session, False)
    return AuthContext(
        organization_id=org_id,
        role=role,
        permissions=permissions_for(role),
        subject_type=SubjectType.api_key,
        subject_id=key_id,
    )
