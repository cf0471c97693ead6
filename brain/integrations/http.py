"""The one HTTP client connectors use: timeouts, retries with back-off and jitter, rate limits.

Every provider call goes through `ProviderHttpClient.request`. A provider-specific
`classify(response)` turns a response into a `ConnectorError` (or None when it succeeded):
HTTP status alone is not enough because some APIs (TikTok) answer 200 with an error code in
the body. Retryable errors (5xx, 429 / rate-limit codes, network failures) are retried with
exponential back-off and full jitter, waiting at least the server's `Retry-After`; all others
are raised at once. A token bucket per provider (shared by all clients of that provider in
the process) keeps us under the provider's documented request rate.

The transport is injectable: contract tests pass an `httpx.MockTransport`, sandbox
connections pass the provider simulator's transport, production uses the network.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

from brain.integrations.base import ConnectorError, ConnectorErrorKind

Classifier = Callable[[httpx.Response], ConnectorError | None]
Sleep = Callable[[float], Awaitable[None]]

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
USER_AGENT = "Brain-Integrations/1.0"


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry retryable failures."""

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 60.0
    # Never wait longer than this for a Retry-After; beyond it the error is raised so the
    # engine can reschedule the sync instead of holding a worker.
    max_retry_after: float = 120.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full-jitter exponential back-off for the `attempt`-th retry (1-based)."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return rng.uniform(0, ceiling)


class RateLimiter:
    """A token bucket: `rate` requests per second with bursts up to `burst`."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._updated = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self, sleep: Sleep) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await sleep((1 - self._tokens) / self.rate)


# Process-wide buckets, one per provider key ("meta_ads", "meta_ads:sandbox", …).
_LIMITERS: dict[str, RateLimiter] = {}


def rate_limiter(key: str, rate: float, burst: int) -> RateLimiter:
    """The shared bucket for `key` (created on first use with `rate`/`burst`)."""
    limiter = _LIMITERS.get(key)
    if limiter is None or limiter.rate != rate or limiter.burst != burst:
        limiter = _LIMITERS[key] = RateLimiter(rate, burst)
    return limiter


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def default_classify(provider: str) -> Classifier:
    """Status-code classification for providers whose errors follow HTTP semantics."""

    def classify(response: httpx.Response) -> ConnectorError | None:
        status = response.status_code
        if status < 400:
            return None
        kind = classify_status(status)
        return ConnectorError(
            kind,
            f"HTTP {status}",
            provider=provider,
            status_code=status,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )

    return classify


def classify_status(status: int) -> ConnectorErrorKind:
    """The error kind an HTTP status means when the body says nothing more precise."""
    if status == 401:
        return ConnectorErrorKind.expired_token
    if status == 403:
        return ConnectorErrorKind.missing_scope
    if status == 404:
        return ConnectorErrorKind.not_found
    if status == 429:
        return ConnectorErrorKind.rate_limited
    if status >= 500:
        return ConnectorErrorKind.provider_unavailable
    return ConnectorErrorKind.invalid_request


async def _asyncio_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


class ProviderHttpClient:
    """An httpx client bound to one provider: base URL, auth headers, classification, limits."""

    def __init__(
        self,
        provider: str,
        *,
        base_url: str,
        classify: Classifier | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        rate: float = 10.0,
        burst: int = 10,
        limiter_key: str | None = None,
        sleep: Sleep | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.provider = provider
        self.classify = classify or default_classify(provider)
        self.retry = retry or RetryPolicy()
        self.limiter = rate_limiter(limiter_key or provider, rate, burst)
        self.sleep: Sleep = sleep or _asyncio_sleep
        self.rng = rng or random.Random()
        self.requests_sent = 0
        self._client = httpx.AsyncClient(
            base_url=base_url,
            transport=transport,
            headers={"User-Agent": USER_AGENT, **(headers or {})},
            timeout=timeout,
            follow_redirects=False,
        )

    async def __aenter__(self) -> ProviderHttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send with retries; return the successful response or raise `ConnectorError`."""
        attempt = 0
        while True:
            attempt += 1
            await self.limiter.acquire(self.sleep)
            error: ConnectorError | None
            try:
                self.requests_sent += 1
                response = await self._client.request(
                    method, url, params=params, headers=headers, json=json, data=data
                )
            except httpx.TimeoutException as exc:
                error = ConnectorError(
                    ConnectorErrorKind.provider_unavailable,
                    f"timed out: {type(exc).__name__}",
                    provider=self.provider,
                )
            except httpx.TransportError as exc:
                error = ConnectorError(
                    ConnectorErrorKind.provider_unavailable,
                    f"network error: {type(exc).__name__}",
                    provider=self.provider,
                )
            else:
                error = self.classify(response)
                if error is None:
                    return response
                if error.retry_after is None:
                    error.retry_after = parse_retry_after(response.headers.get("retry-after"))
            if not error.retryable or attempt >= self.retry.max_attempts:
                raise error
            wait = self.retry.backoff(attempt, self.rng)
            if error.retry_after is not None:
                if error.retry_after > self.retry.max_retry_after:
                    raise error
                wait = max(wait, error.retry_after)
            await self.sleep(wait)

    async def get_json(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """GET and decode JSON (an undecodable body is a provider error, retried no further)."""
        response = await self.request("GET", url, params=params, headers=headers)
        return decode_json(response, self.provider)

    async def post_json(
        self,
        url: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """POST a JSON body and decode the JSON answer."""
        response = await self.request("POST", url, params=params, headers=headers, json=json)
        return decode_json(response, self.provider)


# Bodies already decoded, per response (a classifier that reads the body and `get_json`
# then decode it once); entries go with their response.
_DECODED: weakref.WeakKeyDictionary[httpx.Response, Any] = weakref.WeakKeyDictionary()


def response_json(response: httpx.Response) -> Any:
    """The response's JSON body, decoded (with orjson) once however often it is asked for.
    Raises `ValueError` (`orjson.JSONDecodeError`) when the body is not JSON."""
    try:
        return _DECODED[response]
    except KeyError:
        body = _DECODED[response] = orjson.loads(response.content)
        return body


def decode_json(response: httpx.Response, provider: str) -> Any:
    """The response's JSON body, or a `provider_unavailable` error if it is not JSON."""
    try:
        return response_json(response)
    except orjson.JSONDecodeError as exc:
        raise ConnectorError(
            ConnectorErrorKind.provider_unavailable,
            "the provider answered with a body that is not JSON",
            provider=provider,
            status_code=response.status_code,
        ) from exc
