"""ETags: computed from the response bytes of every GET, `If-None-Match` → 304, and the
`If-Match` precondition for writes."""

from __future__ import annotations

import hashlib

from pydantic import BaseModel
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from brain.core.errors import ProblemError

DEFAULT_CACHE_CONTROL = "private, no-cache"


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def etag_of_model(model: BaseModel) -> str:
    """The ETag a GET of this representation carries."""
    return etag_of(model.model_dump_json().encode())


def _tags(header: str) -> list[str]:
    return [t.strip().removeprefix("W/") for t in header.split(",") if t.strip()]


def matches(header: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 §8.8.3.2), as `If-None-Match` uses."""
    tags = _tags(header)
    return "*" in tags or etag in tags


def matches_strong(header: str, etag: str) -> bool:
    """Strong comparison, as `If-Match` requires: a weak tag never matches."""
    tags = [t.strip() for t in header.split(",") if t.strip()]
    return "*" in tags or etag in tags


def check_if_match(if_match: str | None, current: BaseModel) -> None:
    """412 when the client's `If-Match` is not the current representation's ETag."""
    if if_match is None:
        return
    if not matches_strong(if_match, etag_of_model(current)):
        raise ProblemError(
            412, "The resource changed since you read it; GET it again and retry.",
            kind="precondition-failed",
        )


class ETagMiddleware:
    """Adds `ETag` and `Cache-Control` to successful GETs and answers 304 on a match."""

    def __init__(self, app: ASGIApp, *, path_prefix: str = "/api/") -> None:
        self.app = app
        self.path_prefix = path_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or not scope["path"].startswith(self.path_prefix)
        ):
            await self.app(scope, receive, send)
            return
        if_none_match = Headers(scope=scope).get("if-none-match")
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await self._finish(start, b"".join(chunks), if_none_match, send)

        await self.app(scope, receive, capture)

    async def _finish(
        self, start: Message, body: bytes, if_none_match: str | None, send: Send
    ) -> None:
        headers = MutableHeaders(scope=start)
        if start["status"] == 200:
            etag = headers.get("etag") or etag_of(body)
            headers["etag"] = etag
            if "cache-control" not in headers:
                headers["cache-control"] = DEFAULT_CACHE_CONTROL
            if if_none_match and matches(if_none_match, etag):
                for name in ("content-length", "content-type"):
                    if name in headers:
                        del headers[name]
                start["status"] = 304
                await send(start)
                await send({"type": "http.response.body", "body": b""})
                return
        await send(start)
        await send({"type": "http.response.body", "body": body})
