"""Base Pydantic models: strict request bodies, response objects, and the page envelope."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

# RFC 3339 UTC with a `Z`, the way every timestamp leaves the API.
UTCTimestamp = Annotated[
    datetime,
    PlainSerializer(
        lambda v: v.isoformat().replace("+00:00", "Z"), return_type=str, when_used="json"
    ),
]
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
