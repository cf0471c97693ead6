"""An organization's lifecycle: members leave; owners delete it (soft: it disappears at once
and is erased `data_retention_days` later by the `organizations.purge_deleted` job)."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.cache import Cache
from brain.core.clock import Clock
from brain.core.errors import NotFound
from brain.core.tenancy import scope_to_tenant
from brain.identity.models import ApiKey, User
from brain.organizations.actor import Actor
from brain.organizations.context_cache import evict_organization_contexts
from brain.organizations.members import MemberRepository, remove_member
from brain.organizations.models import Membership, Organization
from brain.organizations.schemas_members import OrganizationDeleted

logger = logging.getLogger("brain.organizations")


def purge_after(org: Organization, deleted_at: datetime) -> datetime:
    return deleted_at + timedelta(days=org.data_retention_days)


async def leave_organization(session: AsyncSession, actor: Actor) -> None:
    """The calling member leaves (409 for the last owner)."""
    user_id = actor.member_user_id()
    membership = await MemberRepository(session, actor.auth).by_user(user_id)
    if membership is None:
        raise NotFound("Member")
    await remove_member(session, actor, membership, leaving=True)
    user = await session.get(User, user_id)
    if user is not None and user.default_organization_id == actor.organization_id:
        user.default_organization_id = None
        await session.flush()


async def _evict_api_keys(session: AsyncSession, actor: Actor) -> None:
    """Cached API-key lookups of the organization stop at once (and again after commit)."""
    from brain.identity.service import _cache_key

    stmt = scope_to_tenant(select(ApiKey.token_hash), ApiKey, actor.auth)
    keys = [_cache_key(token_hash) for token_hash in (await session.scalars(stmt)).all()]
    cache: Cache = actor.cache

    async def evict() -> None:
        for key in keys:
            await cache.delete(key)

    await evict()
    actor.jobs.after_commit(evict)


async def delete_organization(
    session: AsyncSession, actor: Actor, org: Organization
) -> OrganizationDeleted:
    """Soft-delete: members and keys lose access now; the data is purged later."""
    now = actor.clock.now()
    org.deleted_at = now
    await session.flush()
    await evict_organization_contexts(session, actor.cache, actor.jobs, actor.auth)
    await _evict_api_keys(session, actor)
    after = purge_after(org, now)
    await actor.audit(session, "organization.delete", target_type="organization",
                      target_id=org.id, details={"purge_after": after.isoformat()})
    return OrganizationDeleted(id=org.id, deleted_at=now, purge_after=after)


async def purge_deleted_organizations(session: AsyncSession, clock: Clock) -> list[uuid.UUID]:
    """Erase organizations soft-deleted longer than their retention period ago, with all their
    rows (the session must be in system mode)."""
    now = clock.now()
    deleted = (
        await session.execute(
            select(Organization.id, Organization.deleted_at, Organization.data_retention_days)
            .where(Organization.deleted_at.is_not(None))
        )
    ).all()
    due = [
        org_id for org_id, deleted_at, days in deleted
        if deleted_at is not None and deleted_at + timedelta(days=days) <= now
    ]
    for org_id in due:
        # Memberships first: they reference custom roles with ON DELETE RESTRICT.
        await session.execute(delete(Membership).where(Membership.organization_id == org_id))
        await session.execute(delete(Organization).where(Organization.id == org_id))
        logger.info("purged organization %s", org_id)
    return due
