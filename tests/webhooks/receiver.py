"""A real HTTP receiver on loopback for webhook tests: answers with scripted responses
(status, headers, delay) and records every request it gets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn


@dataclass
class Scripted:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    body: bytes = b"ok"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Responds with `script` in order (then `default`) and keeps what it received."""

    port: int = 0
    script: list[Scripted] = field(default_factory=list)
    default: Scripted = field(default_factory=Scripted)
    received: list[Received] = field(default_factory=list)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def then(self, *responses: Scripted) -> None:
        self.script.extend(responses)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.received.append(Received(path=scope["path"], headers=headers, body=body))
        answer = self.script.pop(0) if self.script else self.default
        if answer.delay:
            await asyncio.sleep(answer.delay)
        await send({
            "type": "http.response.start", "status": answer.status,
            "headers": [(k.encode(), v.encode()) for k, v in answer.headers.items()],
        })
        await send({"type": "http.response.body", "body": answer.body})


@asynccontextmanager
async def running_receiver() -> AsyncIterator[Receiver]:
    """A uvicorn server on 127.0.0.1 with a free port, in the test's event loop."""
    receiver = Receiver()
    config = uvicorn.Config(receiver, host="127.0.0.1", port=0, log_level="error",
                            lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    receiver.port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task
