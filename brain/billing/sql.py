"""Dialect-aware upserts (SQLite and PostgreSQL both speak `ON CONFLICT`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.models import Base


def _insert(session: AsyncSession, model: type[Base]) -> Any:
    bind = session.get_bind()
    module = postgresql if bind.dialect.name == "postgresql" else sqlite
    return module.insert(model)


async def insert_ignoring_conflict(
    session: AsyncSession, model: type[Base], values: dict[str, Any], keys: Sequence[str]
) -> None:
    """Insert the row unless one with the same `keys` exists (a concurrent insert wins)."""
    stmt = _insert(session, model).values(**values).on_conflict_do_nothing(
        index_elements=list(keys)
    )
    await session.execute(stmt)


async def insert_or_add(
    session: AsyncSession, model: type[Base], values: dict[str, Any], keys: Sequence[str],
    column: str,
) -> None:
    """Insert the row, or add its `column` value to the existing row's (atomic counter)."""
    stmt = _insert(session, model).values(**values)
    table_column = getattr(model, column)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys), set_={column: table_column + stmt.excluded[column]}
    )
    await session.execute(stmt)


async def insert_or_replace(
    session: AsyncSession, model: type[Base], values: dict[str, Any], keys: Sequence[str],
    column: str,
) -> None:
    """Insert the row, or overwrite the existing row's `column` with this value (a gauge
    measured again, e.g. today's stored bytes)."""
    stmt = _insert(session, model).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys), set_={column: stmt.excluded[column]}
    )
    await session.execute(stmt)
