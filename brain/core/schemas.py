"""Base Pydantic models: strict request bodies, response objects, and the page envelope."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

# RFC 3339 UTC with a `Z`, the way every timestamp leaves the API: the columns hand back
# aware UTC datetimes (`UTCDateTime`) and Pydantic's own (Rust) serializer writes a zero
# offset as `Z` — a Python-level serializer here cost ~6 % of a list request.
UTCTimestamp = Annotated[datetime, "UTC"]
StrId = uuid.UUID


class RequestModel(BaseModel):
    """A request body: unknown fields are an error."""

    model_config = ConfigDict(extra="forbid", str_max_length=5000)


class ResponseModel(BaseModel):
    """An object the API returns (read from ORM attributes)."""

    model_config = ConfigDict(from_attributes=True)


class Resource(ResponseModel):
    id: StrId
    created_at: UTCTimestamp
    updated_at: UTCTimestamp


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a cursor-paginated list."""

    data: list[T]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")
    has_more: bool
