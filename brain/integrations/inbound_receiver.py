"""The inbound webhook receiver: `POST /api/v1/webhooks/in/{provider}/{connection_id}`.

Providers wait for the answer and retry slow ones, so the acknowledgement does only what
makes the event safe: find the connection and its signing secret (cached per process, see
`inbound.resolve_target`), verify the signature, insert the raw event into the inbox (group
commit shared with concurrent requests, `inbound.InboxWriter`) and answer `200 {received,
stored}` once that commit is done. Processing runs afterwards in a job
(`integrations.process_inbound`, one message for many events) and, for anything missed, in
the inbox pump.

`InboundWebhookMiddleware` serves the path as plain ASGI in front of the API's middleware
and routing (no body-replaying idempotency layer, no dependency resolution, no ORM session
per request); it enforces the same body limit and media types as the API's request guard
and answers problems in the same RFC 9457 shape. Security headers still wrap it. Every
other request (and a path that does not match exactly) goes on to the application, where
the documented FastAPI route answers with the same `receive_webhook`.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from brain.audit.service import record_audit
from brain.core.errors import (
    PROBLEM_KINDS,
    PROBLEM_MEDIA_TYPE,
    NotFound,
    problem_body,
)
from brain.core.jobs import Dispatcher, InlineDispatcher
from brain.core.runtime import Runtime
from brain.integrations import inbound

PREFIX = "/api/v1/webhooks/in/"
_PATH = re.compile(r"^/api/v1/webhooks/in/([a-z0-9_]{1,40})/([0-9a-fA-F-]{32,36})$")
_JSON_TYPES = ("application/json", "application/merge-patch+json")


@dataclass
class Reply:
    """What the receiver answers (status, body, content type, extra headers)."""

    status: int
    body: bytes
    media_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def problem(path: str, status: int, detail: str, *, kind: str,
            title: str | None = None, headers: dict[str, str] | None = None) -> Reply:
    body = problem_body(status=status, kind=kind,
                        title=title or PROBLEM_KINDS.get(kind, ("Error", ""))[0],
                        detail=detail, instance=path)
    return Reply(status, orjson.dumps(body), PROBLEM_MEDIA_TYPE, headers or {})


async def receive_webhook(
    *,
    state: Any,
    runtime: Runtime,
    dispatcher: Dispatcher,
    provider: str,
    connection_id: uuid.UUID,
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    request: Callable[[], Request],
) -> Reply:
    """Verify, store once per event id, acknowledge; `headers` have lower-case names and
    `request` builds the request for the audit trail (only a rejection needs it)."""
    try:
        target = await inbound.resolve_target(runtime, provider, connection_id,
                                              now=time.monotonic())
    except NotFound as exc:
        return problem(path, 404, exc.detail, kind="not-found")
    except Exception:
        inbound.logger.exception("inbound webhook for %s: the connection lookup failed",
                                 connection_id)
        return problem(path, 503, "The receiver cannot reach its database; send it again.",
                       kind="service-unavailable", headers={"Retry-After": "1"})
    uri = runtime.settings.public_url.rstrip("/") + path + (f"?{query}" if query else "")
    try:
        if target.secret is None:
            raise inbound.SignatureRejected("no signing secret is configured")
        messages = inbound.verify_request(
            inbound.signature_scheme(provider), target.secret, headers, method=method,
            uri=uri, body=body, now=runtime.clock.now(),
        )
    except inbound.SignatureRejected as exc:
        # The security event is the only thing a rejected request writes.
        async with runtime.session_factory() as session:
            await record_audit(
                session, clock=runtime.clock, action="webhook.inbound_rejected",
                outcome="failure", organization_id=target.organization_id,
                target_type="connection", target_id=target.id, request=request(),
                details={"provider": provider, "reason": str(exc)},
            )
            await session.commit()
        return problem(path, 401, "The webhook signature could not be verified.",
                       kind="unauthorized", title="Invalid webhook signature")
    rows = inbound.inbox_rows(target, provider, messages, headers, now=runtime.clock.now())
    try:
        stored = await inbound.writer_for(state, runtime).store(rows)
    except Exception:
        inbound.logger.exception("inbound webhook for %s could not be stored", connection_id)
        return problem(path, 503, "The event could not be stored; send it again.",
                       kind="service-unavailable", headers={"Retry-After": "1"})
    new_ids = [str(row["id"]) for row in rows if row["id"] in stored]
    if new_ids:
        if isinstance(dispatcher, InlineDispatcher):
            # Tests and `brain seed`: the job runs here, before the answer.
            await dispatcher.dispatch(inbound.PROCESS_JOB, {"event_ids": new_ids})
        else:
            inbound.nudger_for(state, dispatcher).nudge(new_ids)
    return Reply(200, orjson.dumps({"received": len(messages), "stored": len(new_ids)}))


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media in _JSON_TYPES or (media.startswith("application/") and media.endswith("+json"))


class InboundWebhookMiddleware:
    """Serves inbound webhooks before the API stack (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] != "POST"
                or not scope["path"].startswith(PREFIX)):
            await self.app(scope, receive, send)
            return
        match = _PATH.match(scope["path"])
        connection_id = _uuid(match.group(2)) if match else None
        if match is None or connection_id is None:
            await self.app(scope, receive, send)  # the application's 404 / 422
            return
        path: str = scope["path"]
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:
            headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
        reply = await self._guard(path, headers)
        body = b""
        if reply is None:
            body_or_reply = await self._read(path, receive)
            if isinstance(body_or_reply, Reply):
                reply = body_or_reply
            else:
                body = body_or_reply
        if reply is None:
            app = scope["app"]
            reply = await receive_webhook(
                state=app.state, runtime=app.state.runtime, dispatcher=app.state.dispatcher,
                provider=match.group(1), connection_id=connection_id, method="POST",
                path=path, query=scope.get("query_string", b"").decode("latin-1"),
                headers=headers, body=body, request=lambda: Request(scope),
            )
        await _send(send, reply)

    async def _guard(self, path: str, headers: dict[str, str]) -> Reply | None:
        """The API's request guard for this route: declared size and media type."""
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                return problem(path, 400, "Content-Length is not a number.", kind="bad-request")
            if int(declared) > self.max_body_bytes:
                return problem(path, 413, "The body is larger than the limit of "
                               f"{self.max_body_bytes} bytes.", kind="payload-too-large")
        has_body = bool(declared and declared != "0") or "transfer-encoding" in headers
        if has_body and not _is_json(headers.get("content-type", "")):
            return problem(path, 415, "Send the webhook as JSON (application/json).",
                           kind="unsupported-media-type",
                           headers={"Accept-Post": "application/json"})
        return None

    async def _read(self, path: str, receive: Receive) -> bytes | Reply:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return problem(path, 400, "The client went away.", kind="bad-request")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return problem(path, 413, "The body is larger than the limit of "
                               f"{self.max_body_bytes} bytes.", kind="payload-too-large")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


async def _send(send: Send, reply: Reply) -> None:
    headers = [(b"content-type", reply.media_type.encode()),
               (b"content-length", str(len(reply.body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in reply.headers.items()]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})
