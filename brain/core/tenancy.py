"""The one tenancy helper: every repository scopes its queries through `TenantRepository`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.auth import AuthContext
from brain.core.errors import NotFound
from brain.core.models import Base, utcnow
from brain.core.page_render import page_renderer

M = TypeVar("M", bound=Base)


def scope_to_tenant(stmt: Select[Any], model: type[Base], auth: AuthContext) -> Select[Any]:
    """Limit `stmt` to the caller's organization (and to rows not soft-deleted)."""
    stmt = stmt.where(model.organization_id == auth.organization_id)  # type: ignore[attr-defined]
    deleted_at = getattr(model, "deleted_at", None)
    if deleted_at is not None:
        stmt = stmt.where(deleted_at.is_(None))
    # Members restricted to some channels see only rows of those channels.
    channel_scope = getattr(model, "channel_scope", None)
    if auth.channel_ids is not None and channel_scope is not None:
        stmt = stmt.where(channel_scope(auth.channel_ids))
    return stmt


class TenantRepository(Generic[M]):
    """Queries for one tenant-owned model, always scoped to the caller's organization."""

    model: type[M]
    label: str = "Resource"

    def __init__(self, session: AsyncSession, auth: AuthContext) -> None:
        self.session = session
        self.auth = auth

    def select(self) -> Select[M]:
        return scope_to_tenant(select(self.model), self.model, self.auth)

    async def get(self, object_id: uuid.UUID) -> M | None:
        stmt = self.select().where(self.model.id == object_id)  # type: ignore[attr-defined]
        result: M | None = await self.session.scalar(stmt)
        return result

    async def get_or_404(self, object_id: uuid.UUID) -> M:
        obj = await self.get(object_id)
        if obj is None:
            raise NotFound(self.label)
        return obj

    async def get_rendered(self, object_id: uuid.UUID, read_model: type[BaseModel]) -> bytes:
        """The object as `read_model`'s JSON, written straight from its row when the model
        allows (`brain.core.page_render`, the same bytes as Pydantic's); 404 when missing."""
        renderer = page_renderer(self.model.__table__, read_model)
        if renderer is None:
            return read_model.model_validate(await self.get_or_404(object_id)).model_dump_json(
            ).encode()
        stmt = self.select().where(self.model.id == object_id)  # type: ignore[attr-defined]
        found = await renderer.read(self.session, stmt)
        if not found:
            raise NotFound(self.label)
        return renderer.dump_object(found[0])

    async def get_many(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, M]:
        if not ids:
            return {}
        stmt = self.select().where(self.model.id.in_(set(ids)))  # type: ignore[attr-defined]
        return {obj.id: obj for obj in (await self.session.scalars(stmt)).all()}  # type: ignore[attr-defined]

    def add(self, obj: M) -> M:
        obj.organization_id = self.auth.organization_id  # type: ignore[attr-defined]
        self.session.add(obj)
        return obj

    async def soft_delete(self, obj: M) -> None:
        if hasattr(obj, "deleted_at"):
            obj.deleted_at = utcnow()
        else:
            await self.session.delete(obj)
        await self.session.flush()
