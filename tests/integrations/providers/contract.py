"""Shared kit of the provider contract tests: a connector wired to an `httpx.MockTransport`
that records every request and answers from a script of recorded responses."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from brain.integrations.base import (
    Connector,
    ConnectorContext,
    Credentials,
    Message,
    Record,
    StateCheckpoint,
    Stream,
    SyncWindow,
)
from brain.integrations.http import ProviderHttpClient, RetryPolicy
from brain.settings import Settings

Responder = Callable[[httpx.Request], httpx.Response]


@dataclass
class Recorder:
    """Answers requests in order from `responses` and keeps the requests."""

    responses: list[httpx.Response | Responder]
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.responses:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        answer = self.responses.pop(0)
        return answer(request) if callable(answer) else answer


async def _no_sleep(_seconds: float) -> None:
    return None


def make_connector(
    cls: type[Connector],
    recorder: Recorder,
    *,
    config: dict[str, Any],
    credentials: Credentials,
    settings: Settings | None = None,
    max_attempts: int = 3,
) -> Connector:
    http = ProviderHttpClient(
        cls.spec.id,
        base_url=cls.base_url(config),
        classify=cls.classify,
        transport=httpx.MockTransport(recorder),
        headers=cls.auth_headers(credentials, config, settings=settings),
        retry=RetryPolicy(max_attempts=max_attempts, base_delay=0.0, max_delay=0.0),
        rate=1000.0,
        burst=1000,
        limiter_key=f"contract:{uuid.uuid4()}",
        sleep=_no_sleep,
    )
    context = ConnectorContext(
        organization_id=uuid.uuid4(),
        connection_id=uuid.uuid4(),
        config=config,
        credentials=credentials,
        http=http,
    )
    return cls(context)


async def read_all(
    connector: Connector, stream: Stream, window: SyncWindow, state: dict[str, Any] | None = None
) -> tuple[list[Record], list[StateCheckpoint]]:
    records: list[Record] = []
    checkpoints: list[StateCheckpoint] = []
    message: Message
    async for message in connector.read(stream, state, window):
        if isinstance(message, Record):
            records.append(message)
        else:
            checkpoints.append(message)
    return records, checkpoints


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode(),
                          headers={"content-type": "application/json", **(headers or {})})
