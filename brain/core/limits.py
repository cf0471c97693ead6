"""Request guard: body size limits (413) and accepted content types (415) for API writes."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from brain.core.errors import problem_response

_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_JSON_TYPES = ("application/json", "application/merge-patch+json")


class BodyTooLarge(HTTPException):
    """Raised while reading a body past the limit; rendered as a 413 problem."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The body is larger than the limit of {limit} bytes.")


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media in _JSON_TYPES or (media.startswith("application/") and media.endswith("+json"))


class RequestGuardMiddleware:
    """Rejects oversized bodies and unsupported media types before any handler runs."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_json_bytes: int,
        max_upload_bytes: int,
        path_prefix: str = "/api/",
    ) -> None:
        self.app = app
        self.max_json_bytes = max_json_bytes
        self.max_upload_bytes = max_upload_bytes
        self.path_prefix = path_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in _BODY_METHODS
            or not scope["path"].startswith(self.path_prefix)
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        path = scope["path"]
        content_type = headers.get("content-type", "")
        is_multipart = content_type.lower().startswith("multipart/form-data")
        limit = self.max_upload_bytes if is_multipart else self.max_json_bytes
        declared = headers.get("content-length")
        has_body = bool(declared and declared != "0") or "transfer-encoding" in headers
        if declared is not None:
            try:
                declared_bytes = int(declared)
            except ValueError:
                await problem_response(path, 400, "Content-Length is not a number.")(
                    scope, receive, send
                )
                return
            if declared_bytes > limit:
                await problem_response(
                    path, 413, f"The body is larger than the limit of {limit} bytes."
                )(scope, receive, send)
                return
        if has_body and not (is_multipart or _is_json(content_type)):
            await problem_response(
                path,
                415,
                "Send JSON (application/json) or, for file uploads, multipart/form-data.",
                headers={"Accept-Post": "application/json, multipart/form-data"},
            )(scope, receive, send)
            return

        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if response_started:
                raise
            await problem_response(
                path, 413, f"The body is larger than the limit of {limit} bytes."
            )(scope, receive, send)
