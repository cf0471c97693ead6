"""The floor of any Python API: a raw ASGI callable returning fixed JSON bytes.

It serves the response bodies captured from Brain (a JSON file `{"path": "body", ...}` named
by the environment variable `BENCH_BARE_BODIES`), keyed by path (the query string is ignored),
so the load generator can send the very same requests to both servers. Run it with the same
uvicorn settings as `brain serve`:

    BENCH_BARE_BODIES=bodies.json uvicorn benchmarks.api.bare_app:app --log-level warning
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_NOT_FOUND = b'{"title":"Not Found","status":404}'


def _load_bodies() -> dict[str, tuple[bytes, list[tuple[bytes, bytes]]]]:
    source = os.environ.get("BENCH_BARE_BODIES")
    if not source:
        return {}
    raw: dict[str, str] = json.loads(Path(source).read_text(encoding="utf-8"))
    routes: dict[str, tuple[bytes, list[tuple[bytes, bytes]]]] = {}
    for path, text in raw.items():
        body = text.encode("utf-8")
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        routes[path] = (body, headers)
    return routes


ROUTES = _load_bodies()


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Answer every HTTP request from `ROUTES`; ignore lifespan events politely."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    route = ROUTES.get(scope["path"])
    if route is None:
        status, body = 404, _NOT_FOUND
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
    else:
        status, (body, headers) = 200, route
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
