"""The one HTTP client: retries with back-off and jitter on 5xx/429, Retry-After, limits."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import httpx
import pytest

from brain.integrations.base import ConnectorError, ConnectorErrorKind
from brain.integrations.http import (
    ProviderHttpClient,
    RateLimiter,
    RetryPolicy,
    parse_retry_after,
)


class Script:
    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def client(script: Script, waits: list[float], **retry: float) -> ProviderHttpClient:
    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    return ProviderHttpClient(
        "test", base_url="https://api.example.test/", transport=httpx.MockTransport(script),
        retry=RetryPolicy(**retry),  # type: ignore[arg-type]
        rate=1000, burst=1000, limiter_key=f"t{random.random()}", sleep=sleep,
        rng=random.Random(1),
    )


async def test_5xx_then_success_backs_off_exponentially_with_jitter() -> None:
    waits: list[float] = []
    script = Script(httpx.Response(503), httpx.Response(502), httpx.Response(200, json={}))
    http = client(script, waits, base_delay=1.0, max_delay=60.0)
    response = await http.request("GET", "x")
    assert response.status_code == 200
    assert script.calls == 3
    assert 0 <= waits[0] <= 1.0
    assert 0 <= waits[1] <= 2.0  # full jitter within the doubled ceiling


async def test_429_honours_retry_after_seconds_and_dates() -> None:
    waits: list[float] = []
    script = Script(httpx.Response(429, headers={"Retry-After": "12"}), httpx.Response(200))
    await client(script, waits, base_delay=0.0).request("GET", "x")
    assert waits == [12.0]
    moment = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now=moment) == 30.0
    assert parse_retry_after("soon") is None


async def test_retry_after_beyond_the_cap_is_raised_for_rescheduling() -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "3600"}))
    with pytest.raises(ConnectorError) as caught:
        await client(script, [], max_retry_after=120).request("GET", "x")
    assert caught.value.kind is ConnectorErrorKind.rate_limited
    assert caught.value.retry_after == 3600


async def test_gives_up_after_max_attempts_and_never_retries_4xx() -> None:
    script = Script(*(httpx.Response(500) for _ in range(3)))
    with pytest.raises(ConnectorError) as caught:
        await client(script, [], max_attempts=3, base_delay=0.0).request("GET", "x")
    assert caught.value.kind is ConnectorErrorKind.provider_unavailable
    assert script.calls == 3
    unauthorized = Script(httpx.Response(401))
    with pytest.raises(ConnectorError) as caught:
        await client(unauthorized, []).request("GET", "x")
    assert caught.value.kind is ConnectorErrorKind.expired_token
    assert unauthorized.calls == 1


async def test_network_errors_and_timeouts_are_retried() -> None:
    request = httpx.Request("GET", "https://api.example.test/x")
    script = Script(httpx.ConnectError("boom", request=request),
                    httpx.ReadTimeout("slow", request=request), httpx.Response(200))
    response = await client(script, [], base_delay=0.0).request("GET", "x")
    assert response.status_code == 200
    assert script.calls == 3


async def test_rate_limiter_spaces_requests() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        limiter._tokens += seconds * limiter.rate  # time passes while we "sleep"

    limiter = RateLimiter(rate=2.0, burst=2)
    for _ in range(4):
        await limiter.acquire(sleep)
    assert len(waits) >= 2
    assert all(w <= 0.5 + 1e-9 for w in waits)
