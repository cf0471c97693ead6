"""Removing MFA is noticed at once by organizations that require it (cached member contexts
are evicted), and `mfa_enrolment_required` reports the policy."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.clock import FrozenClock
from brain.core.db import set_system_mode
from brain.identity import mfa
from brain.organizations.models import Organization
from tests.factories import Tenant
from tests.identity.mfa.conftest import Enrolled, Member, code_at, enrol, log_in


async def _require_mfa(db: AsyncSession, tenant: Tenant) -> None:
    await set_system_mode(db, True)
    org = await db.get(Organization, tenant.id)
    assert org is not None
    org.mfa_required = True
    await db.commit()


async def test_enrolment_required_follows_the_policy(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, tenant: Tenant,
    alice: Member,
) -> None:
    assert not await mfa.mfa_enrolment_required(db, alice.user.id)
    await _require_mfa(db, tenant)
    assert await mfa.mfa_enrolment_required(db, alice.user.id)
    await enrol(client, clock, await log_in(db, clock, alice.user))
    assert not await mfa.mfa_enrolment_required(db, alice.user.id)


async def test_disabling_mfa_locks_the_member_out_of_such_an_organization_at_once(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, tenant: Tenant,
    alice: Member, enrolled: Enrolled,
) -> None:
    await _require_mfa(db, tenant)
    headers = enrolled.session.headers
    assert (await client.get(tenant.path("/channels"), headers=headers)).status_code == 200
    removed = await client.request("DELETE", "/api/v1/auth/mfa/totp", headers=headers,
                                   json={"code": code_at(enrolled.secret, clock)})
    assert removed.status_code == 204
    response = await client.get(tenant.path("/channels"), headers=headers)
    assert response.status_code == 403
    assert response.json()["type"] == "/api/v1/problems/mfa-enrolment-required"


async def test_an_admin_reset_is_noticed_at_once(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, tenant: Tenant,
    alice: Member, enrolled: Enrolled,
) -> None:
    await _require_mfa(db, tenant)
    # Alice logs in again afterwards, so only the cached context could still let her in.
    assert (await client.get(tenant.path("/channels"),
                             headers=enrolled.session.headers)).status_code == 200
    reset = await client.post(
        tenant.path(f"/members/{alice.membership_id}/mfa/reset"), headers=tenant.admin
    )
    assert reset.status_code == 204
    fresh = await log_in(db, clock, alice.user)
    response = await client.get(tenant.path("/channels"), headers=fresh.headers)
    assert response.status_code == 403
    assert response.json()["type"] == "/api/v1/problems/mfa-enrolment-required"
