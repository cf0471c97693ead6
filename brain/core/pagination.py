"""Cursor pagination: signed keyset cursors, a sort allow-list, RFC 8288 `Link` headers."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

import orjson
from fastapi import Query, Request
from pydantic import BaseModel
from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    String,
    Table,
    Uuid,
    and_,
    or_,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.types import TypeDecorator
from starlette.responses import Response

from brain.core.errors import ProblemError
from brain.core.page_render import page_renderer
from brain.core.schemas import Page

M = TypeVar("M")

_PAGING_PARAMS = {"cursor", "limit"}


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None
    sort: str | None


async def page_params(
    limit: Annotated[int, Query(ge=1, le=200, description="Items per page (1-200).")] = 50,
    cursor: Annotated[
        str | None, Query(max_length=1024, description="`next_cursor` of the previous page.")
    ] = None,
    sort: Annotated[
        str | None,
        Query(max_length=64, pattern=r"^-?[a-z_]+$", description="Field, `-` for descending."),
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor, sort=sort)


class SortOptions:
    """The allow-list of fields a list can be sorted by; ties always break on `id`."""

    def __init__(
        self,
        id_column: InstrumentedAttribute[Any],
        default: str,
        **columns: InstrumentedAttribute[Any],
    ) -> None:
        self.id_column = id_column
        self.default = default
        self.columns = columns

    def resolve(self, sort: str | None) -> tuple[str, InstrumentedAttribute[Any], bool]:
        key = sort or self.default
        descending = key.startswith("-")
        name = key.lstrip("-")
        if name not in self.columns:
            allowed = ", ".join(sorted(self.columns))
            raise ProblemError(
                422,
                f"Cannot sort by '{name}'; allowed: {allowed} (prefix '-' for descending).",
                errors=[{"loc": ["query", "sort"], "message": "Not an allowed sort field."}],
            )
        return key, self.columns[name], descending


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _decode_value(column: InstrumentedAttribute[Any], raw: Any) -> Any:
    sql_type = column.type
    if isinstance(sql_type, TypeDecorator):
        # e.g. UTCDateTime: its own python_type is `object`; the wrapped type knows better.
        sql_type = sql_type.impl_instance
    python_type: type[Any] | None
    try:
        python_type = sql_type.python_type
    except NotImplementedError:
        python_type = None
    if raw is None:
        return None
    if python_type is datetime:
        return datetime.fromisoformat(raw)
    if python_type is date:
        return date.fromisoformat(raw)
    if python_type is uuid.UUID:
        return uuid.UUID(raw)
    if python_type in (int, float, str) and not isinstance(raw, python_type):
        return python_type(raw)
    return raw


@functools.lru_cache(maxsize=512)
def _plain_columns(table: Table, dialect: str) -> tuple[ColumnElement[Any], ...]:
    """A table's columns for a page read as rows; on SQLite, UUIDs as their stored text (32
    hex digits): the read models parse it in Pydantic's Rust core, several times cheaper than
    SQLAlchemy building a Python `uuid.UUID` per value (a page of 50 metric rows carries 200
    of them). psycopg's binary loader already makes UUIDs cheaply on PostgreSQL."""
    if dialect != "sqlite":
        return tuple(table.columns)
    return tuple(
        type_coerce(column, String).label(column.key) if isinstance(column.type, Uuid)
        else column
        for column in table.columns
    )


class CursorCodec:
    """Signs cursors with the app's secret so clients cannot forge positions."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"brain-cursor:" + secret.encode()).digest()

    def _sign(self, payload: bytes) -> str:
        mac = hmac.new(self._key, payload, hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def encode(self, data: dict[str, Any]) -> str:
        payload = orjson.dumps(data)
        body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        return f"{body}.{self._sign(payload)}"

    def decode(self, cursor: str) -> dict[str, Any]:
        invalid = ProblemError(400, "The cursor is invalid or expired.", kind="invalid-cursor")
        try:
            body, signature = cursor.split(".", 1)
            payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (ValueError, TypeError) as exc:
            raise invalid from exc
        if not hmac.compare_digest(self._sign(payload), signature):
            raise invalid
        try:
            data = orjson.loads(payload)
        except orjson.JSONDecodeError as exc:
            raise invalid from exc
        if not isinstance(data, dict):
            raise invalid
        return data


def _filters_fingerprint(request: Request, sort_key: str) -> str:
    items = sorted(
        (k, v) for k, v in request.query_params.multi_items() if k not in _PAGING_PARAMS
    )
    items = [(k, v) for k, v in items if k != "sort"] + [("sort", sort_key)]
    return hashlib.sha256(orjson.dumps(items)).hexdigest()[:16]


def _keyset(
    stmt: Select[M], *, request: Request, params: PageParams, sort: SortOptions
) -> tuple[Select[M], InstrumentedAttribute[Any], str]:
    """`stmt` after the cursor's position, in a stable (sort field, id) order, one row past
    the page (to know whether there is more); the sort column; the filters' fingerprint."""
    codec: CursorCodec = request.app.state.cursor_codec
    sort_key, column, descending = sort.resolve(params.sort)
    fingerprint = _filters_fingerprint(request, sort_key)
    id_col = sort.id_column
    if params.cursor:
        data = codec.decode(params.cursor)
        if data.get("f") != fingerprint or not isinstance(data.get("k"), list):
            raise ProblemError(
                400,
                "The cursor belongs to a different sort or filter; start from the first page.",
                kind="invalid-cursor",
            )
        try:
            last_value = _decode_value(column, data["k"][0])
            last_id = uuid.UUID(str(data["k"][1]))
        except (ValueError, TypeError, IndexError) as exc:
            raise ProblemError(400, "The cursor is invalid.", kind="invalid-cursor") from exc
        if descending:
            after = or_(column < last_value, and_(column == last_value, id_col < last_id))
        else:
            after = or_(column > last_value, and_(column == last_value, id_col > last_id))
        stmt = stmt.where(after)
    order = (column.desc(), id_col.desc()) if descending else (column.asc(), id_col.asc())
    return stmt.order_by(*order).limit(params.limit + 1), column, fingerprint


def _next_cursor(request: Request, fingerprint: str, key_value: Any, id_value: Any) -> str:
    codec: CursorCodec = request.app.state.cursor_codec
    if isinstance(key_value, datetime) and key_value.tzinfo is None:
        key_value = key_value.replace(tzinfo=UTC)  # a rendered page's UTC wall-clock time
    return codec.encode(
        {"k": [_encode_value(key_value), str(uuid.UUID(str(id_value)))], "f": fingerprint}
    )


async def paginate(
    session: AsyncSession,
    stmt: Select[M],
    *,
    request: Request,
    params: PageParams,
    sort: SortOptions,
    columns: bool = False,
) -> tuple[list[Any], str | None]:
    """Run `stmt` for one page in a stable (sort field, id) order; return rows and next cursor.

    With `columns=True` the page is read as plain rows of the entity's table columns instead
    of ORM instances: no identity map, no instance state — several times cheaper for a page
    of 50 that is only rendered (read models validate from attributes, which rows have too).
    """
    stmt, column, fingerprint = _keyset(stmt, request=request, params=params, sort=sort)
    rows: list[Any]
    if columns:
        entity = stmt.column_descriptions[0]["entity"]
        dialect = session.get_bind().dialect.name
        plain = stmt.with_only_columns(*_plain_columns(entity.__table__, dialect))
        # Core execution on the session's connection (same transaction, same tenant
        # settings): plain rows need none of the ORM's result loading.
        connection = await session.connection()
        rows = list((await connection.execute(plain)).all())
    else:
        rows = list((await session.scalars(stmt)).all())
    next_cursor = None
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        last = rows[-1]
        next_cursor = _next_cursor(
            request, fingerprint, getattr(last, column.key), getattr(last, "id")  # noqa: B009
        )
    return rows, next_cursor


async def list_page(
    session: AsyncSession,
    stmt: Select[M],
    *,
    request: Request,
    params: PageParams,
    sort: SortOptions,
    read_model: type[BaseModel],
) -> Response:
    """One page of `stmt` (a select of one entity) as the response: written straight from the
    table's rows when the read model allows it (`brain/core/page_render.py`), else validated
    into `Page[read_model]` by Pydantic. The bytes are the same either way."""
    entity = stmt.column_descriptions[0]["entity"]
    renderer = page_renderer(entity.__table__, read_model)
    sort_name = sort.resolve(params.sort)[1].key
    if renderer is None or sort_name not in renderer.field_names or "id" not in (
        renderer.field_names
    ):
        rows, cursor = await paginate(
            session, stmt, request=request, params=params, sort=sort, columns=True
        )
        return page_response(request, validated_page(read_model, rows, cursor))
    stmt, column, fingerprint = _keyset(stmt, request=request, params=params, sort=sort)
    data = await renderer.read(session, stmt)
    next_cursor = None
    if len(data) > params.limit:
        del data[params.limit:]
        last = data[-1]
        next_cursor = _next_cursor(request, fingerprint, last[column.key], last["id"])
    return Response(
        renderer.dump(data, next_cursor),
        media_type="application/json",
        headers=_link_header(request, next_cursor),
    )


def validated_page(
    read_model: type[BaseModel], rows: Sequence[Any], next_cursor: str | None
) -> Page[Any]:
    """`rows` (plain rows or ORM objects) validated into one `Page[read_model]`: one call,
    the loop runs inside pydantic-core. Plain rows go in as dicts (zipped with the result's
    keys, cheaper than `Row._asdict`); only ORM objects need attribute access."""
    data: list[Any]
    from_attributes = True
    if rows and isinstance(rows[0], Row):
        keys = rows[0]._fields
        data = [dict(zip(keys, row, strict=True)) for row in rows]
        from_attributes = False
    else:
        data = list(rows)
    page: Page[Any] = Page[read_model].model_validate(  # type: ignore[valid-type]
        {"data": data, "next_cursor": next_cursor, "has_more": next_cursor is not None},
        from_attributes=from_attributes,
    )
    return page


def json_response(
    model: BaseModel, *, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """Serialize with Pydantic's own JSON encoder (fast path; skips FastAPI's encoder)."""
    return Response(
        model.model_dump_json(),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )


def _link_header(request: Request, next_cursor: str | None) -> dict[str, str]:
    """RFC 8288 `Link: <…>; rel="next"` when there is a next page."""
    if not next_cursor:
        return {}
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
    params.append(("cursor", next_cursor))
    return {"Link": f'<{request.url.path}?{urlencode(params)}>; rel="next"'}


def page_response(request: Request, page: Page[Any]) -> Response:
    """The page as JSON with an RFC 8288 `Link: <…>; rel="next"` header when there is more."""
    return json_response(page, headers=_link_header(request, page.next_cursor))
