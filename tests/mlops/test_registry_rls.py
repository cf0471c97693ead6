"""PostgreSQL: a tenant reads global registry rows but cannot write, change or delete them."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from brain.core.db import set_tenant
from brain.mlops.registry import register_version
from tests.conftest import TEST_DATABASE_URL
from tests.factories import Tenant

if not TEST_DATABASE_URL:
    pytest.skip("row-level security exists only on PostgreSQL", allow_module_level=True)
pytestmark = pytest.mark.postgres


async def test_global_rows_are_read_only_for_tenants(
    db: AsyncSession, session_factory: async_sessionmaker[AsyncSession], tenant: Tenant,
    other_tenant: Tenant,
) -> None:
    glob = await register_version(db, model_name=f"global-{uuid.uuid4().hex[:6]}",
                                  module="memory")
    own = await register_version(db, model_name="own", module="memory",
                                 organization_id=other_tenant.id)
    await db.commit()
    async with session_factory() as session:
        await set_tenant(session, tenant.id)
        rows = await session.execute(text("SELECT organization_id FROM ml_models"))
        owners = {r[0] for r in rows}
        assert owners == {None}
        assert (await session.execute(
            text("SELECT count(*) FROM ml_model_versions WHERE id = :id"), {"id": own.id}
        )).scalar() == 0
        deleted = await session.execute(text("DELETE FROM ml_models WHERE id = :id"),
                                        {"id": glob.model_id})
        assert getattr(deleted, "rowcount", None) == 0
        updated = await session.execute(text("UPDATE ml_models SET name = 'x' WHERE id = :id"),
                                        {"id": glob.model_id})
        assert getattr(updated, "rowcount", None) == 0
        with pytest.raises(DBAPIError, match="row-level security"):
            async with session.begin_nested():
                await session.execute(text(
                    "INSERT INTO ml_models (id, organization_id, name, module, created_at,"
                    " updated_at) VALUES (:id, NULL, 'smuggled', 'memory', now(), now())"
                ), {"id": uuid.uuid4()})
        await session.rollback()
