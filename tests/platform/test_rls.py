"""PostgreSQL row-level security, proven with the application's tenant filter bypassed: raw SQL
through sessions bound to one tenant sees and writes only that tenant's rows."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from brain.core.db import create_session_factory, set_system_mode, set_tenant, system_session
from brain.models_registry import metadata
from brain.organizations.service import create_organization
from brain.settings import Settings
from brain.warehouse.models import Channel
from tests.conftest import TEST_DATABASE_URL
from tests.factories import Tenant
from tests.platform.tenant_objects import TenantObjects, seed_objects

if not TEST_DATABASE_URL:
    pytest.skip(
        "row-level security exists only on PostgreSQL (set BRAIN_TEST_DATABASE_URL); "
        "on SQLite isolation rests on the application's tenant filter alone",
        allow_module_level=True,
    )
pytestmark = pytest.mark.postgres

# Tables without `organization_id`, deliberately: a new table must be tenant-owned (and get a
# policy) or be listed here, so none is left out of row-level security by accident.
NOT_TENANT_TABLES = {
    "alembic_version",
    # Keyed by a hash of the credential, across organizations.
    "idempotency_records",
    # A person's own identity: a user may belong to several organizations.
    "users",
    "user_sessions",
    "external_identities",
    "totp_factors",
    "recovery_codes",
    "one_time_tokens",
    "webauthn_credentials",
    "webauthn_challenges",
    # Processed Stripe event ids, deduplicated across organizations (no tenant data).
    "stripe_events",
}
# Tables whose rows with organization_id NULL are global: every tenant may read them through
# an extra `global_read` policy FOR SELECT (writes still need the tenant's own id).
SHARED_READ_TABLES = {"ml_models", "ml_model_versions", "ml_model_aliases", "ml_evaluation_runs"}
# Tables `seed_objects` writes a row of for each tenant.
SEEDED_TABLES = (
    "api_keys", "channels", "campaigns", "ad_sets", "creatives", "daily_metrics",
    "customers", "orders", "import_jobs", "organizations",
)


async def _tenant_tables(connection: AsyncConnection) -> list[str]:
    rows = await connection.execute(
        text(
            "SELECT table_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND column_name = 'organization_id'"
            " ORDER BY table_name"
        )
    )
    return [r[0] for r in rows]


def _owner_column(table: str) -> str:
    return "id" if table == "organizations" else "organization_id"


async def _visible_owners(session: AsyncSession, table: str) -> set[str]:
    """The organizations whose rows of `table` a raw SELECT returns (no app filter)."""
    rows = await session.execute(text(f'SELECT {_owner_column(table)} FROM "{table}"'))
    # Global rows of the shared-read tables are visible to everyone by design.
    return {str(r[0]) for r in rows if r[0] is not None or table not in SHARED_READ_TABLES}


@pytest_asyncio.fixture
async def pair(db: AsyncSession, tenant: Tenant, other_tenant: Tenant) -> tuple[
    TenantObjects, TenantObjects
]:
    a = await seed_objects(db, tenant, "Alpha")
    b = await seed_objects(db, other_tenant, "Beta")
    await db.commit()
    return a, b


@pytest_asyncio.fixture
async def bound_to_a(
    session_factory: async_sessionmaker[AsyncSession], pair: tuple[TenantObjects, TenantObjects]
) -> AsyncIterator[AsyncSession]:
    async with session_factory() as session:
        await set_tenant(session, pair[0].tenant.id)
        yield session
        await session.rollback()


async def test_connection_runs_as_the_non_owner_app_role(
    connection: AsyncConnection, settings: Settings
) -> None:
    row = (
        await connection.execute(
            text(
                "SELECT current_user, r.rolsuper, r.rolbypassrls FROM pg_roles r"
                " WHERE r.rolname = current_user"
            )
        )
    ).one()
    assert row[0] == settings.database_app_role == "brain_app"
    assert row[1] is False, "the app role is a superuser"
    assert row[2] is False, "the app role has BYPASSRLS"
    owned = await connection.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
             " AND tableowner = current_user")
    )
    assert owned.all() == [], "the app role owns tables (owners skip RLS unless forced)"


async def test_every_tenant_table_has_forced_rls_and_a_policy(
    connection: AsyncConnection,
) -> None:
    tables = await _tenant_tables(connection)
    model_tables = {t.name for t in metadata.tables.values() if "organization_id" in t.c}
    assert model_tables <= set(tables), "a model's table is missing in the database"
    all_tables = {
        r[0] for r in await connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        )
    }
    unclassified = all_tables - set(tables) - {"organizations"} - NOT_TENANT_TABLES
    assert not unclassified, (
        f"tables without organization_id: {sorted(unclassified)}; give them one (and an RLS"
        " policy) or add them to NOT_TENANT_TABLES if they are deliberately not tenant-owned"
    )
    failures: list[str] = []
    for table in [*tables, "organizations"]:
        flags = (
            await connection.execute(
                text("SELECT relrowsecurity, relforcerowsecurity FROM pg_class c"
                     " JOIN pg_namespace n ON n.oid = c.relnamespace"
                     " WHERE n.nspname = 'public' AND c.relname = :t"),
                {"t": table},
            )
        ).one()
        if not flags[0]:
            failures.append(f"{table}: row-level security not enabled")
        if not flags[1]:
            failures.append(f"{table}: row-level security not forced")
        policies = (
            await connection.execute(
                text("SELECT cmd, qual, with_check FROM pg_policies"
                     " WHERE schemaname = 'public' AND tablename = :t"),
                {"t": table},
            )
        ).all()
        if not policies:
            failures.append(f"{table}: no policy")
        for cmd, qual, with_check in policies:
            if (table in SHARED_READ_TABLES and cmd == "SELECT"
                    and (qual or "").strip("()") == "organization_id IS NULL"):
                continue
            if cmd != "ALL" or "app.current_org" not in (qual or "") or not with_check:
                failures.append(f"{table}: policy {cmd} {qual!r} {with_check!r}")
    assert not failures, "\n".join(failures)


async def test_bound_tenant_sees_only_its_rows(
    bound_to_a: AsyncSession, pair: tuple[TenantObjects, TenantObjects]
) -> None:
    a, _ = pair
    connection = await bound_to_a.connection()
    for table in [*await _tenant_tables(connection), "organizations"]:
        owners = await _visible_owners(bound_to_a, table)
        assert owners <= {str(a.tenant.id)}, f"{table}: visible owners {owners}"
        if table in SEEDED_TABLES:
            assert owners == {str(a.tenant.id)}, f"{table}: A's own rows are not visible"
    count = await bound_to_a.scalar(
        text("SELECT count(*) FROM daily_metrics WHERE organization_id = :b"),
        {"b": pair[1].tenant.id},
    )
    assert count == 0


async def test_nothing_is_visible_without_a_tenant(
    session_factory: async_sessionmaker[AsyncSession], pair: tuple[TenantObjects, TenantObjects]
) -> None:
    async with session_factory() as session:
        connection = await session.connection()
        for table in [*await _tenant_tables(connection), "organizations"]:
            assert await _visible_owners(session, table) == set(), table


async def test_system_mode_sees_every_tenant(
    session_factory: async_sessionmaker[AsyncSession], pair: tuple[TenantObjects, TenantObjects]
) -> None:
    expected = {str(pair[0].tenant.id), str(pair[1].tenant.id)}
    async with session_factory() as session:
        await set_system_mode(session, True)
        for table in SEEDED_TABLES:
            assert expected <= await _visible_owners(session, table), table
        await set_system_mode(session, False)
        await set_tenant(session, pair[1].tenant.id)
        assert await _visible_owners(session, "channels") == {str(pair[1].tenant.id)}


async def _fails_row_level_check(session: AsyncSession, sql: str, **params: object) -> bool:
    try:
        async with session.begin_nested():
            await session.execute(text(sql), params)
    except DBAPIError as exc:
        return "row-level security" in str(exc.orig)
    return False


async def test_writes_for_another_tenant_are_refused(
    bound_to_a: AsyncSession, pair: tuple[TenantObjects, TenantObjects]
) -> None:
    a, b = pair
    insert = (
        "INSERT INTO channels (id, organization_id, name, platform, created_at, updated_at)"
        " VALUES (:id, :org, 'smuggled', 'meta', now(), now())"
    )
    assert await _fails_row_level_check(bound_to_a, insert, id=uuid.uuid4(), org=b.tenant.id)
    assert await _fails_row_level_check(
        bound_to_a,
        "UPDATE channels SET organization_id = :b WHERE id = :id",
        b=b.tenant.id, id=uuid.UUID(a.ids["channel_id"]),
    )
    # B's rows cannot be reached for update or delete: zero rows affected.
    for sql in ("UPDATE channels SET name = 'hijacked' WHERE organization_id = :b",
                "DELETE FROM daily_metrics WHERE organization_id = :b",
                "DELETE FROM api_keys WHERE organization_id = :b"):
        result = await bound_to_a.execute(text(sql), {"b": b.tenant.id})
        assert getattr(result, "rowcount", None) == 0, sql
    # An insert of A's own row is fine.
    await bound_to_a.execute(text(insert), {"id": uuid.uuid4(), "org": a.tenant.id})


async def test_orm_insert_for_another_tenant_is_refused(
    bound_to_a: AsyncSession, pair: tuple[TenantObjects, TenantObjects]
) -> None:
    _, b = pair
    async with bound_to_a.begin_nested():
        bound_to_a.add(Channel(organization_id=b.tenant.id, name="smuggled", platform="meta"))
        with pytest.raises(DBAPIError, match="row-level security"):
            await bound_to_a.flush()


async def test_fresh_connection_without_settings_sees_no_committed_rows(
    engine: AsyncEngine,
) -> None:
    """A connection that never set `app.current_org` (e.g. a bug skipping the session hook)."""
    factory = create_session_factory(engine)
    async with system_session(factory) as session:
        org = await create_organization(session, name=f"RLS committed {uuid.uuid4().hex[:6]}")
        session.add(Channel(organization_id=org.id, name="committed", platform="meta"))
    try:
        async with engine.connect() as raw:
            for table in ("channels", "organizations"):
                count = await raw.scalar(text(f"SELECT count(*) FROM {table}"))
                assert count == 0, f"{table}: {count} rows visible without a tenant"
        async with factory() as session:
            await set_tenant(session, org.id)
            assert await _visible_owners(session, "channels") == {str(org.id)}
    finally:
        async with system_session(factory) as session:
            await session.execute(text("DELETE FROM organizations WHERE id = :id"), {"id": org.id})
