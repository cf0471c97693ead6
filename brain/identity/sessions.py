"""Login sessions: opaque cookie tokens (256 bits) stored as SHA-256, with idle and absolute
timeouts, cached briefly (Redis when configured) and revocable at once."""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.cache import Cache
from brain.core.clock import Clock
from brain.core.db import set_system_mode
from brain.identity.models import User, UserSession
from brain.organizations.models import Membership, Organization

SESSION_COOKIE = "brain_session"
CSRF_COOKIE = "brain_csrf"
CSRF_HEADER = "x-csrf-token"
DEFAULT_IDLE = timedelta(minutes=30)
DEFAULT_ABSOLUTE = timedelta(hours=12)
# last_seen_at is written at most this often; idle expiry is exact to within this window.
_TOUCH_EVERY = timedelta(seconds=60)
_CACHE_SECONDS = 30


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _cache_key(token_hash: str) -> str:
    return f"session:{token_hash}"


@dataclass(frozen=True, slots=True)
class ActiveSession:
    """A valid session as the request sees it."""

    session_id: uuid.UUID
    user_id: uuid.UUID
    token_hash: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    idle_timeout: timedelta
    method: str

    def to_cache(self) -> bytes:
        return orjson.dumps(
            {
                "s": str(self.session_id),
                "u": str(self.user_id),
                "c": self.created_at.isoformat(),
                "l": self.last_seen_at.isoformat(),
                "e": self.expires_at.isoformat(),
                "i": int(self.idle_timeout.total_seconds()),
                "m": self.method,
            }
        )

    @classmethod
    def from_cache(cls, token_hash: str, raw: bytes) -> ActiveSession:
        data = orjson.loads(raw)
        return cls(
            session_id=uuid.UUID(data["s"]),
            user_id=uuid.UUID(data["u"]),
            token_hash=token_hash,
            created_at=datetime.fromisoformat(data["c"]),
            last_seen_at=datetime.fromisoformat(data["l"]),
            expires_at=datetime.fromisoformat(data["e"]),
            idle_timeout=timedelta(seconds=data["i"]),
            method=data["m"],
        )


async def session_timeouts(db: AsyncSession, user_id: uuid.UUID) -> tuple[timedelta, timedelta]:
    """The strictest idle and absolute timeouts among the user's organizations."""
    await set_system_mode(db, True)
    try:
        rows = (
            await db.execute(
                select(Organization.session_idle_minutes, Organization.session_absolute_hours)
                .join(Membership, Membership.organization_id == Organization.id)
                .where(Membership.user_id == user_id, Organization.deleted_at.is_(None))
            )
        ).all()
    finally:
        await set_system_mode(db, False)
    idle = min((timedelta(minutes=r[0]) for r in rows), default=DEFAULT_IDLE)
    absolute = min((timedelta(hours=r[1]) for r in rows), default=DEFAULT_ABSOLUTE)
    return idle, absolute


async def start_session(
    db: AsyncSession,
    *,
    user: User,
    clock: Clock,
    ip: str | None,
    user_agent: str | None,
    method: str = "password",
) -> tuple[UserSession, str]:
    """Create a session for `user`; returns it and the cookie token (never stored)."""
    idle, absolute = await session_timeouts(db, user.id)
    now = clock.now()
    token = secrets.token_urlsafe(32)
    row = UserSession(
        user_id=user.id,
        token_hash=hash_token(token),
        created_at=now,
        last_seen_at=now,
        expires_at=now + absolute,
        idle_timeout_seconds=int(idle.total_seconds()),
        ip=ip[:64] if ip else None,
        user_agent=user_agent[:500] if user_agent else None,
        method=method,
    )
    db.add(row)
    await db.flush()
    return row, token


async def resolve_session(
    db: AsyncSession, cache: Cache, token: str, *, clock: Clock
) -> ActiveSession | None:
    """The live session for a cookie token, or None if unknown, revoked, idle or expired."""
    if not token or len(token) > 100:
        return None
    token_hash = hash_token(token)
    now = clock.now()
    raw = await cache.get(_cache_key(token_hash))
    active = ActiveSession.from_cache(token_hash, raw) if raw is not None else None
    # The cache entry is (re)written only when it changed: loaded from the database or
    # touched. A cached, untouched session costs one cache read and nothing else.
    dirty = active is None
    if active is None:
        row = await db.scalar(
            select(UserSession).where(
                UserSession.token_hash == token_hash, UserSession.revoked_at.is_(None)
            )
        )
        if row is None:
            return None
        active = ActiveSession(
            session_id=row.id,
            user_id=row.user_id,
            token_hash=token_hash,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            expires_at=row.expires_at,
            idle_timeout=timedelta(seconds=row.idle_timeout_seconds),
            method=row.method,
        )
    if now >= active.expires_at or now - active.last_seen_at >= active.idle_timeout:
        await cache.delete(_cache_key(token_hash))
        return None
    if now - active.last_seen_at >= _TOUCH_EVERY:
        await db.execute(
            update(UserSession).where(UserSession.id == active.session_id).values(last_seen_at=now)
        )
        active = dataclasses.replace(active, last_seen_at=now)
        dirty = True
    if not dirty:
        return active
    ttl = min(_CACHE_SECONDS, int((active.expires_at - now).total_seconds()) + 1)
    await cache.set(_cache_key(token_hash), active.to_cache(), max(ttl, 1))
    return active


async def revoke_sessions(
    db: AsyncSession,
    cache: Cache,
    *,
    user_id: uuid.UUID,
    clock: Clock,
    only: uuid.UUID | None = None,
    keep: uuid.UUID | None = None,
) -> int:
    """Revoke one session (`only`), or all of a user's sessions except `keep`."""
    stmt = select(UserSession).where(
        UserSession.user_id == user_id, UserSession.revoked_at.is_(None)
    )
    if only is not None:
        stmt = stmt.where(UserSession.id == only)
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep)
    rows = list((await db.scalars(stmt)).all())
    now = clock.now()
    for row in rows:
        row.revoked_at = now
        await cache.delete(_cache_key(row.token_hash))
    await db.flush()
    return len(rows)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)
