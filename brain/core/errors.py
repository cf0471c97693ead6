"""RFC 9457 problem details: one exception type, stable `type` URIs, and the app's handlers."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

logger = logging.getLogger("brain.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "/api/v1/problems/"

# kind -> (title, description shown when the type URI is dereferenced)
PROBLEM_KINDS: dict[str, tuple[str, str]] = {
    "bad-request": ("Bad request", "The request could not be understood."),
    "invalid-cursor": (
        "Invalid cursor",
        "The pagination cursor was tampered with, is stale, or belongs to other filters.",
    ),
    "unauthorized": ("Authentication required", "Send a valid credential."),
    "forbidden": ("Permission denied", "The credential's role lacks the permission."),
    "csrf-failed": (
        "CSRF check failed",
        "Cookie-authenticated writes must echo the brain_csrf cookie in X-CSRF-Token.",
    ),
    "not-found": ("Not found", "No such resource in this organization."),
    "gone": ("Gone", "The link or token expired or was already used; ask for a new one."),
    "invalid-token": ("Invalid token", "The link or token is unknown or was already used."),
    "sso-required": ("SSO required", "Log in through your organization's SSO (sso_login_url)."),
    "mfa-enrolment-required": ("MFA enrolment required",
                               "The organization requires MFA: set up an authenticator app."),
    "invalid-mfa-code": ("Invalid code", "The one-time code is missing, wrong or already used."),
    "method-not-allowed": ("Method not allowed", "The resource does not support the method."),
    "not-acceptable": ("Not acceptable", "The server cannot produce the requested media type."),
    "conflict": ("Conflict", "The request conflicts with the current state of the resource."),
    "idempotency-in-flight": (
        "Request in progress",
        "A request with this Idempotency-Key is still being processed; retry later.",
    ),
    "idempotency-key-reused": (
        "Idempotency-Key reused",
        "This Idempotency-Key was used with a different request payload.",
    ),
    "invalid-idempotency-key": (
        "Invalid Idempotency-Key",
        "The Idempotency-Key header must be 1-255 printable ASCII characters.",
    ),
    "precondition-failed": (
        "Precondition failed",
        "If-Match does not match the current ETag: the resource changed.",
    ),
    "payload-too-large": ("Payload too large", "The request body exceeds the limit."),
    "unsupported-media-type": (
        "Unsupported media type",
        "Send the body with a supported Content-Type.",
    ),
    "validation-error": ("Validation error", "The request failed validation; see `errors`."),
    "rate-limited": ("Too many requests", "Slow down; retry after the indicated delay."),
    "internal-error": ("Internal server error", "Something went wrong on our side."),
    "service-unavailable": ("Service unavailable", "A dependency is not available."),
}

_STATUS_KIND = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    412: "precondition-failed",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    429: "rate-limited",
    500: "internal-error",
    503: "service-unavailable",
}


class ProblemError(Exception):
    """An error that is sent to the client as a problem details document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        title: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind or _STATUS_KIND.get(status, "bad-request")
        self.title = title or PROBLEM_KINDS.get(self.kind, ("Error", ""))[0]
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra or {}


class NotFound(ProblemError):
    def __init__(self, what: str = "Resource") -> None:
        super().__init__(404, f"{what} not found.")


class Conflict(ProblemError):
    def __init__(self, detail: str) -> None:
        super().__init__(409, detail)


def problem_body(
    *,
    status: int,
    kind: str,
    title: str,
    detail: str,
    instance: str,
    errors: list[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + kind,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if errors is not None:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return body


def problem_response(
    request_path: str,
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    title: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    kind = kind or _STATUS_KIND.get(status, "bad-request")
    title = title or PROBLEM_KINDS.get(kind, ("Error", ""))[0]
    body = problem_body(
        status=status,
        kind=kind,
        title=title,
        detail=detail,
        instance=request_path,
        errors=errors,
        extra=extra,
    )
    return Response(
        orjson.dumps(body), status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers
    )


def _message(err: dict[str, Any]) -> str:
    msg = str(err.get("msg", "Invalid value"))
    if err.get("type") == "extra_forbidden":
        return "Unknown field."
    return msg


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Pydantic's errors as `{loc, message}` with no echo of the rejected input."""
    return [
        {"loc": [p if isinstance(p, int) else str(p) for p in e.get("loc", ())],
         "message": _message(e)}
        for e in exc.errors()
    ]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> Response:
        return problem_response(
            request.url.path,
            exc.status,
            exc.detail,
            kind=exc.kind,
            title=exc.title,
            errors=exc.errors,
            headers=exc.headers,
            extra=exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return problem_response(
            request.url.path,
            422,
            "The request failed validation.",
            errors=validation_errors(exc),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else "Request failed."
        if exc.status_code == 404 and detail == "Not Found":
            detail = "No such route."
        return problem_response(
            request.url.path, exc.status_code, detail, headers=dict(exc.headers or {})
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> Response:
        logger.info("integrity error on %s: %s", request.url.path, exc.orig.__class__.__name__)
        return problem_response(
            request.url.path, 409, "The request conflicts with existing data."
        )

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> Response:
        return problem_response(
            request.url.path, 422, "A value is out of range for the database.", errors=[]
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(
            request.url.path, 500, "An unexpected error occurred; it has been logged."
        )
