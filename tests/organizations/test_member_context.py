"""`member_context`: the organization's MFA policy (a distinct 403, not a 404), and the short
cache of resolved contexts with its eviction after commit."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.cache import Cache
from brain.core.clock import FrozenClock
from brain.core.db import set_system_mode
from brain.core.jobs import JobBuffer
from brain.identity.models import TotpFactor
from brain.organizations.context_cache import (
    evict_member_contexts,
    evict_user_contexts,
    member_context_key,
)
from brain.organizations.models import Membership, Organization
from brain.organizations.permissions import Permission
from brain.organizations.service import MfaEnrolmentRequired, member_context
from tests.factories import Tenant
from tests.organizations.helpers import Person, add_person, ok, problem


async def _require_mfa(db: AsyncSession, tenant: Tenant) -> None:
    await set_system_mode(db, True)
    org = await db.get(Organization, tenant.id)
    assert org is not None
    org.mfa_required = True
    await db.commit()


async def test_mfa_required_blocks_members_without_a_confirmed_factor(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, tenant: Tenant,
    other_tenant: Tenant,
) -> None:
    await _require_mfa(db, tenant)
    analyst = await add_person(db, clock, tenant.id, "analyst")
    await set_system_mode(db, True)
    db.add(TotpFactor(user_id=analyst.user_id, secret_encrypted="x"))  # not confirmed
    await db.commit()
    for url in (tenant.path("/members"), tenant.path("/channels"), tenant.path("/roles")):
        body = problem(await client.get(url, headers=analyst.headers), 403,
                       "mfa-enrolment-required")
        assert body["organization_id"] == str(tenant.id)
    problem(await client.post(tenant.path("/leave"), headers=analyst.headers), 403,
            "mfa-enrolment-required")
    # Reading the organization itself stays possible (to show why and where to enrol).
    assert ok(await client.get(tenant.path(), headers=analyst.headers))["name"] == tenant.name
    # ... and it did not leave a context behind that would open the other routes.
    problem(await client.get(tenant.path("/members"), headers=analyst.headers), 403,
            "mfa-enrolment-required")
    # Organizations that do not require MFA, and API keys, are unaffected.
    stranger = await add_person(db, clock, other_tenant.id, "viewer")
    ok(await client.get(other_tenant.path("/members"), headers=stranger.headers))
    ok(await client.get(tenant.path("/members"), headers=tenant.viewer))
    # Non-members still get a 404, not the MFA answer.
    problem(await client.get(tenant.path("/members"), headers=stranger.headers), 404)

    await set_system_mode(db, True)
    factor = await db.get(TotpFactor, (await _factor_id(db, analyst)))
    assert factor is not None
    factor.confirmed_at = clock.now()
    await db.commit()
    ok(await client.get(tenant.path("/members"), headers=analyst.headers))


async def _factor_id(db: AsyncSession, person: Person) -> uuid.UUID:
    found = await db.scalar(select(TotpFactor.id).where(TotpFactor.user_id == person.user_id))
    assert found is not None
    return found


async def test_member_context_is_cached_and_evicted(
    db: AsyncSession, clock: FrozenClock, cache: Cache, tenant: Tenant,
) -> None:
    person = await add_person(db, clock, tenant.id, "analyst")
    assert person.membership_id is not None
    first = await member_context(db, user_id=person.user_id, organization_id=tenant.id,
                                 session_id=None, cache=cache)
    assert first is not None
    assert first.can(Permission.data_write)
    assert await cache.get(member_context_key(tenant.id, person.user_id)) is not None

    # Changed behind the cache's back: the cached context is served...
    await set_system_mode(db, True)
    await db.execute(delete(Membership).where(Membership.id == person.membership_id))
    session_id = uuid.uuid4()
    cached = await member_context(db, user_id=person.user_id, organization_id=tenant.id,
                                  session_id=session_id, cache=cache)
    assert cached is not None
    assert cached.permissions == first.permissions
    assert cached.session_id == session_id
    # ... until it is evicted, now and again after commit.
    jobs = JobBuffer()
    await evict_member_contexts(cache, jobs, tenant.id, [person.user_id])
    assert await cache.get(member_context_key(tenant.id, person.user_id)) is None
    await cache.set(member_context_key(tenant.id, person.user_id), b"stale", 30)
    assert len(jobs.callbacks) == 1
    await jobs.callbacks[0]()
    assert await cache.get(member_context_key(tenant.id, person.user_id)) is None
    assert await member_context(db, user_id=person.user_id, organization_id=tenant.id,
                                session_id=None, cache=cache) is None


async def test_an_unreadable_cache_entry_is_recomputed(
    db: AsyncSession, clock: FrozenClock, cache: Cache, tenant: Tenant
) -> None:
    person = await add_person(db, clock, tenant.id, "viewer", restricted=True)
    await cache.set(member_context_key(tenant.id, person.user_id), b"{not json", 30)
    auth = await member_context(db, user_id=person.user_id, organization_id=tenant.id,
                                session_id=None, cache=cache)
    assert auth is not None
    assert auth.channel_ids == frozenset()
    again = await member_context(db, user_id=person.user_id, organization_id=tenant.id,
                                 session_id=None, cache=cache)
    assert again == auth


async def test_evicting_all_of_a_users_contexts(
    db: AsyncSession, clock: FrozenClock, cache: Cache, tenant: Tenant, other_tenant: Tenant
) -> None:
    person = await add_person(db, clock, tenant.id, "viewer")
    await set_system_mode(db, True)
    db.add(Membership(organization_id=other_tenant.id, user_id=person.user_id, role="admin"))
    await db.commit()
    for org in (tenant.id, other_tenant.id):
        assert await member_context(db, user_id=person.user_id, organization_id=org,
                                    session_id=None, cache=cache)
        assert await cache.get(member_context_key(org, person.user_id)) is not None
    await set_system_mode(db, True)
    await evict_user_contexts(db, cache, None, person.user_id)
    for org in (tenant.id, other_tenant.id):
        assert await cache.get(member_context_key(org, person.user_id)) is None


async def test_member_context_raises_the_mfa_outcome(
    db: AsyncSession, clock: FrozenClock, cache: Cache, tenant: Tenant
) -> None:
    await _require_mfa(db, tenant)
    person = await add_person(db, clock, tenant.id, "admin")
    with pytest.raises(MfaEnrolmentRequired):
        await member_context(db, user_id=person.user_id, organization_id=tenant.id,
                             session_id=None, cache=cache)
    exempt = await member_context(db, user_id=person.user_id, organization_id=tenant.id,
                                  session_id=None, cache=cache, mfa_exempt=True)
    assert exempt is not None
    assert await cache.get(member_context_key(tenant.id, person.user_id)) is None
