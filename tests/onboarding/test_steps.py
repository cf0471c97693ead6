"""Each onboarding step is detected from the organization's real state (and only its own)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.clock import FrozenClock
from brain.core.db import set_system_mode
from brain.identity.models import User
from tests.factories import Tenant
from tests.onboarding.helpers import (
    add_brain_run,
    add_connection,
    add_import,
    add_invite,
    add_metric,
    add_sync,
)
from tests.organizations.helpers import Person, add_person, ok

STEPS = ["verify_email", "connect_data", "first_sync", "first_brain_run", "invite_teammate"]


async def state(client: httpx.AsyncClient, tenant: Tenant, who: Person) -> dict[str, Any]:
    body: dict[str, Any] = ok(await client.get(tenant.path("/onboarding"), headers=who.headers))
    return body


def steps(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step["id"]: step for step in body["steps"]}


def done(body: dict[str, Any]) -> set[str]:
    return {step["id"] for step in body["steps"] if step["done"]}


async def test_a_new_organization_has_only_the_verified_email(
    client: httpx.AsyncClient, tenant: Tenant, owner: Person, clock: FrozenClock
) -> None:
    body = await state(client, tenant, owner)
    assert [s["id"] for s in body["steps"]] == STEPS
    assert done(body) == {"verify_email"}
    by_id = steps(body)
    assert by_id["verify_email"]["done_at"] == clock.now().isoformat().replace("+00:00", "Z")
    assert by_id["connect_data"]["done_at"] is None
    assert {s["id"]: s["href"] for s in body["steps"]} == {
        "verify_email": "/verify",
        "connect_data": "/connections/new",
        "first_sync": "/connections",
        "first_brain_run": "/",
        "invite_teammate": "/settings/members",
    }
    assert body["completed"] is False
    assert body["dismissed"] is False
    assert body["next_step"] == "connect_data"


async def test_an_unverified_member_sees_the_verify_step_open(
    client: httpx.AsyncClient, tenant: Tenant, owner: Person, db: AsyncSession,
    clock: FrozenClock,
) -> None:
    newcomer = await add_person(db, clock, tenant.id, "analyst")
    await set_system_mode(db, True)
    user = await db.get(User, newcomer.user_id)
    assert user is not None
    user.email_verified_at = None
    await db.commit()
    assert "verify_email" not in done(await state(client, tenant, newcomer))
    assert (await state(client, tenant, newcomer))["next_step"] == "verify_email"
    # The step is the caller's own: the owner's address is verified.
    assert "verify_email" in done(await state(client, tenant, owner))


async def test_a_connection_connects_data_but_is_not_a_sync(
    client: httpx.AsyncClient, tenant: Tenant, owner: Person, db: AsyncSession,
) -> None:
    connection = await add_connection(db, tenant.id)
    body = await state(client, tenant, owner)
    assert done(body) == {"verify_email", "connect_data"}
    assert steps(body)["connect_data"]["done_at"] is not None
    assert body["next_step"] == "first_sync"
    await add_sync(db, connection, status="running", finished_at=None)
    assert "first_sync" not in done(await state(client, tenant, owner))


async def test_a_disconnected_connection_does_not_count(
    client: httpx.AsyncClient, tenant: Tenant, owner: Person, db: AsyncSession,
    clock: FrozenClock,
) -> None:
    await add_connection(db, tenant.id, status="revoked", revoked_at=clock.now())
    assert done(await state(client, tenant, owner)) == {"verify_email"}


async def test_a_succeeded_sync_is_the_first_sync(
    client: httpx.AsyncClient, tenant: Tenant, owner: Person, db: AsyncSession,
    clock: FrozenClock,
) -> None:
    connection = await add_connection(db, tenant.id)
    await add_sync(db, connection, status="failed", finished_at=clock.now() - timedelta(hours=2))
    assert "first_sync" not in done(await state(client, tenant, owner))
    finished = clock.now() - timedelta(hours=1)
    await add_sync(db, connection, status="succeeded", finished_at=finished)
    await add_sync(db, connection, status="succeeded", finished_at=clock.now())
    body = await state(client, tenant, owner)
    assert {"connect_data", "first_sync"} <= done(body)
    # The first success, not the latest.
    assert steps(body)["first_sync"]["done_at"] == finished.isoformat().replace("+00:00", "Z")


async def test_a_succeeded_csv_import_connects_and_lands_data(
    client: httpx.AsyncClient, tenant: Tenant, owner: Person, db: AsyncSession,
    clock: FrozenClock,
) -> None:
    await add_import(db, tenant.id, status="failed", finished_at=clock.now())
    assert done(await state(client, tenant, owner)) == {"verify_email"}
    await add_import(db, tenant.id, status="succeeded", finished_at=clock.now())
    body = await state(client, tenant, owner)
    assert done(body) == {"verify_email", "connect_data", "first_sync"}
    assert body["next_step"] == "first_brain_run"


async def test_warehouse_data_loaded_through_the_api_counts(
    client: httpx.AsyncClient, tenant: Tenant, owner: Person, db: AsyncSession,
    clock: FrozenClock,
) -> None:
    loaded = clock.now() - timedelta(days=2)
    await add_metric(db, tenant.id, created_at=loaded)
    body = await state(client, tenant, owner)
    assert done(body) == {"verify_email", "connect_data", "first_sync"}
    stamp = loaded.isoformat().replace("+00:00", "Z")
    assert steps(body)["connect_data"]["done_at"] == stamp
    assert steps(body)["first_sync"]["done_at"] == stamp


async def test_only_a_succeeded_brain_run_counts(
    client: httpx.AsyncClient, tenant: Tenant, owner: Person, db: AsyncSession,
    clock: FrozenClock,
) -> None:
    await add_brain_run(db, tenant.id, status="failed", finished_at=clock.now())
    assert "first_brain_run" not in done(await state(client, tenant, owner))
    await add_brain_run(db, tenant.id, status="succeeded", finished_at=clock.now())
    body = await state(client, tenant, owner)
    assert "first_brain_run" in done(body)
    assert steps(body)["first_brain_run"]["done_at"] is not None


async def test_an_invitation_sent_invites_a_teammate(
    client: httpx.AsyncClient, tenant: Tenant, owner: Person, db: AsyncSession,
    clock: FrozenClock,
) -> None:
    # A revoked invitation does not count.
    await add_invite(db, tenant.id, created_at=clock.now(), deleted_at=clock.now())
    assert "invite_teammate" not in done(await state(client, tenant, owner))
    await add_invite(db, tenant.id, created_at=clock.now())
    assert "invite_teammate" in done(await state(client, tenant, owner))


async def test_an_accepted_invitation_counts_even_when_closed(
    client: httpx.AsyncClient, tenant: Tenant, owner: Person, db: AsyncSession,
    clock: FrozenClock,
) -> None:
    await add_invite(db, tenant.id, created_at=clock.now(), deleted_at=clock.now(),
                     accepted_at=clock.now())
    assert "invite_teammate" in done(await state(client, tenant, owner))


async def test_a_second_member_invites_a_teammate(
    client: httpx.AsyncClient, tenant: Tenant, owner: Person, db: AsyncSession,
    clock: FrozenClock,
) -> None:
    assert "invite_teammate" not in done(await state(client, tenant, owner))
    await add_person(db, clock, tenant.id, "viewer")
    body = await state(client, tenant, owner)
    assert "invite_teammate" in done(body)
    assert steps(body)["invite_teammate"]["done_at"] is not None


async def test_every_step_done_completes_the_checklist(
    client: httpx.AsyncClient, tenant: Tenant, owner: Person, db: AsyncSession,
    clock: FrozenClock,
) -> None:
    connection = await add_connection(db, tenant.id)
    await add_sync(db, connection, status="succeeded", finished_at=clock.now())
    await add_brain_run(db, tenant.id, status="succeeded", finished_at=clock.now())
    await add_invite(db, tenant.id, created_at=clock.now())
    body = await state(client, tenant, owner)
    assert done(body) == set(STEPS)
    assert all(s["done_at"] is not None for s in body["steps"])
    assert body["completed"] is True
    assert body["next_step"] is None


async def test_another_tenants_progress_never_shows(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, owner: Person,
    db: AsyncSession, clock: FrozenClock,
) -> None:
    connection = await add_connection(db, other_tenant.id)
    await add_sync(db, connection, status="succeeded", finished_at=clock.now())
    await add_import(db, other_tenant.id, status="succeeded", finished_at=clock.now())
    await add_metric(db, other_tenant.id, created_at=clock.now())
    await add_brain_run(db, other_tenant.id, status="succeeded", finished_at=clock.now())
    await add_invite(db, other_tenant.id, created_at=clock.now())
    await add_person(db, clock, other_tenant.id, "viewer")
    assert done(await state(client, tenant, owner)) == {"verify_email"}


async def test_an_api_key_sees_the_owners_verification(
    client: httpx.AsyncClient, tenant: Tenant, owner: Person, db: AsyncSession,
) -> None:
    response = await client.get(tenant.path("/onboarding"), headers=tenant.viewer)
    body = ok(response)
    assert done(body) == {"verify_email"}
    assert body["dismissed"] is False
    await set_system_mode(db, True)
    user = await db.get(User, owner.user_id)
    assert user is not None
    user.email_verified_at = None
    await db.commit()
    body = ok(await client.get(tenant.path("/onboarding"), headers=tenant.viewer))
    assert done(body) == set()
