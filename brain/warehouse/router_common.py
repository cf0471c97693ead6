"""Helpers the warehouse routers share: responses, the If-Match header, query checks."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import Header, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.responses import Response

from brain.core.errors import ProblemError, validation_errors
from brain.core.etag import etag_of_model
from brain.core.pagination import json_response, page_response, validated_page

R = TypeVar("R", bound=BaseModel)
MAX_REPORTED_ERRORS = 100

IfMatch = Annotated[
    str | None,
    Header(max_length=200, description="The ETag you read; a stale one is a 412."),
]


def object_path(org_id: uuid.UUID, collection: str, object_id: uuid.UUID) -> str:
    return f"/api/v1/organizations/{org_id}/{collection}/{object_id}"


def created(model: BaseModel, location: str, *, status_code: int = 201) -> Response:
    """The new object with its `Location` and `ETag`."""
    return json_response(
        model, status_code=status_code, headers={"Location": location, "ETag": etag_of_model(model)}
    )


def with_etag(model: BaseModel) -> Response:
    """The object's representation with its `ETag` (PATCH responses)."""
    return json_response(model, headers={"ETag": etag_of_model(model)})


def no_content() -> Response:
    return Response(status_code=204)


def page_of(
    request: Request, read_model: type[R], rows: Sequence[Any], next_cursor: str | None
) -> Response:
    """One page of `rows` rendered as `read_model`, serialized by Pydantic."""
    return page_response(request, validated_page(read_model, rows, next_cursor))


def parse_json_body(model: type[R], body: bytes) -> R:
    """Validate raw JSON bytes in one pass (faster than decoding first, for big bodies).

    Errors are reported like FastAPI's (`loc` starts with "body"), at most 100 of them.
    """
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raw = exc.errors(include_url=False, include_input=False, include_context=False)
        errors = validation_errors(
            RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in raw])
        )
        raise ProblemError(
            422,
            "The request failed validation; nothing was written.",
            errors=errors[:MAX_REPORTED_ERRORS],
            extra={"error_count": len(errors)},
        ) from None


def check_date_range(date_from: date | None, date_to: date | None) -> None:
    """422 when `date_from` is after `date_to` (both are inclusive)."""
    if date_from is not None and date_to is not None and date_from > date_to:
        raise ProblemError(
            422,
            "date_from must not be after date_to.",
            errors=[{"loc": ["query", "date_from"], "message": "Must not be after date_to."}],
        )
