"""`Idempotency-Key` for POST (IETF httpapi draft): same key + same payload replays the stored
response, a different payload is 422, a request still in flight is 409. Keys are scoped to
the credential and route and kept for `idempotency_ttl_hours`."""

from __future__ import annotations

import hashlib
import logging
import tempfile
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import LargeBinary, String, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from brain.core.crypto import Keyring
from brain.core.errors import problem_response
from brain.core.models import Base, IdMixin, utcnow

logger = logging.getLogger("brain.idempotency")

_MAX_STORED_BODY = 1024 * 1024
_SPOOL_MEMORY = 1024 * 1024
_CHUNK = 64 * 1024
# Responses that must not be replayed: the request may well succeed when retried.
_NOT_STORED = {401, 408, 409, 425, 429}
# Not stored: hop-by-hop headers, and cookies (a replay must never hand out a session).
_HOP_HEADERS = {
    "content-length", "date", "server", "transfer-encoding", "connection", "set-cookie",
}


class IdempotencyRecord(IdMixin, Base):
    """A credential's POST and its stored response (platform table, keyed by credential hash)."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("scope_hash", "key"),)

    scope_hash: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    completed: Mapped[bool] = mapped_column(default=False)
    response_status: Mapped[int | None] = mapped_column(default=None)
    response_headers: Mapped[str | None] = mapped_column(String(8000), default=None)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


def _context(record: IdempotencyRecord) -> str:
    return f"idempotency:{record.scope_hash}:{record.key}"


def _valid_key(key: str) -> bool:
    return 0 < len(key) <= 255 and all(32 <= ord(c) < 127 for c in key)


def _credential(headers: Headers) -> str | None:
    auth = headers.get("authorization")
    if auth:
        return "auth:" + auth
    cookie = headers.get("cookie")
    if cookie and "brain_session=" in cookie:
        for part in cookie.split(";"):
            name, _, value = part.strip().partition("=")
            if name == "brain_session":
                return "session:" + value
    return None


class IdempotencyMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        session_factory: async_sessionmaker[AsyncSession],
        ttl: timedelta,
        keyring: Keyring,
        path_prefix: str = "/api/",
    ) -> None:
        self.app = app
        self.session_factory = session_factory
        self.ttl = ttl
        self.keyring = keyring
        self.path_prefix = path_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not scope["path"].startswith(self.path_prefix)
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key = headers.get("idempotency-key")
        credential = _credential(headers)
        if key is None or credential is None:
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if not _valid_key(key):
            await problem_response(
                path, 400, "Idempotency-Key must be 1-255 printable ASCII characters.",
                kind="invalid-idempotency-key",
            )(scope, receive, send)
            return
        scope_hash = hashlib.sha256(f"{credential}\n{scope['method']} {path}".encode()).hexdigest()

        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_MEMORY) as spool:
            digest = hashlib.sha256()
            digest.update(headers.get("content-type", "").encode() + b"\n")
            digest.update(scope.get("query_string", b"") + b"\n")
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                digest.update(chunk)
                spool.write(chunk)
                more = message.get("more_body", False)
            fingerprint = digest.hexdigest()

            outcome = await self._claim(scope_hash, key, fingerprint)
            if isinstance(outcome, IdempotencyRecord):
                await self._replay(outcome, send)
                return
            if outcome is not None:
                status, detail, kind = outcome
                await problem_response(path, status, detail, kind=kind)(scope, receive, send)
                return

            spool.seek(0)
            await self._run(scope, spool, send, scope_hash, key)

    async def _claim(
        self, scope_hash: str, key: str, fingerprint: str
    ) -> IdempotencyRecord | tuple[int, str, str] | None:
        """Record the key as in flight; or return the stored record, or the problem to send."""
        async with self.session_factory() as session:
            record = await session.scalar(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.scope_hash == scope_hash, IdempotencyRecord.key == key
                )
            )
            if record is not None and record.created_at < utcnow() - self.ttl:
                await session.delete(record)
                await session.flush()
                record = None
            if record is not None:
                if record.fingerprint != fingerprint:
                    return (422, "This Idempotency-Key was already used with a different "
                            "payload.", "idempotency-key-reused")
                if not record.completed:
                    return (409, "A request with this Idempotency-Key is still in progress.",
                            "idempotency-in-flight")
                return record
            session.add(IdempotencyRecord(scope_hash=scope_hash, key=key,
                                          fingerprint=fingerprint))
            try:
                await session.commit()
            except IntegrityError:
                return (409, "A request with this Idempotency-Key is still in progress.",
                        "idempotency-in-flight")
        return None

    async def _replay(self, record: IdempotencyRecord, send: Send) -> None:
        stored: list[list[str]] = orjson.loads(record.response_headers or "[]")
        # Stored bodies are encrypted: a replayed create response may hold a new secret.
        body = (
            self.keyring.decrypt_bytes(record.response_body, context=_context(record))
            if record.response_body
            else b""
        )
        raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in stored]
        raw.append((b"content-length", str(len(body)).encode()))
        raw.append((b"idempotent-replayed", b"true"))
        await send({"type": "http.response.start", "status": record.response_status or 200,
                    "headers": raw})
        await send({"type": "http.response.body", "body": body})

    async def _run(
        self, scope: Scope, spool: Any, send: Send, scope_hash: str, key: str
    ) -> None:
        status = 500
        headers: list[tuple[bytes, bytes]] = []
        body = bytearray()
        storable = True

        async def replay_receive() -> Message:
            chunk = spool.read(_CHUNK)
            if chunk:
                return {"type": "http.request", "body": chunk, "more_body": True}
            return {"type": "http.request", "body": b"", "more_body": False}

        async def capture(message: Message) -> None:
            nonlocal status, headers, storable
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body" and storable:
                body.extend(message.get("body", b""))
                if len(body) > _MAX_STORED_BODY:
                    storable = False
            await send(message)

        try:
            await self.app(scope, replay_receive, capture)
        except BaseException:
            await self._forget(scope_hash, key)
            raise
        if not storable or status >= 500 or status in _NOT_STORED:
            await self._forget(scope_hash, key)
            return
        kept = [
            [k.decode("latin-1"), v.decode("latin-1")]
            for k, v in headers
            if k.decode("latin-1").lower() not in _HOP_HEADERS
        ]
        async with self.session_factory() as session:
            record = await session.scalar(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.scope_hash == scope_hash, IdempotencyRecord.key == key
                )
            )
            if record is not None:
                record.completed = True
                record.response_status = status
                record.response_headers = orjson.dumps(kept).decode()
                record.response_body = self.keyring.encrypt_bytes(
                    bytes(body), context=_context(record)
                )
                await session.commit()

    async def _forget(self, scope_hash: str, key: str) -> None:
        async with self.session_factory() as session:
            await session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.scope_hash == scope_hash, IdempotencyRecord.key == key
                )
            )
            await session.commit()


async def purge_expired(session: AsyncSession, ttl: timedelta) -> int:
    result = await session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - ttl)
    )
    return int(getattr(result, "rowcount", 0) or 0)
