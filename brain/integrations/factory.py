"""Builds a ready connector for a stored connection: credentials, HTTP client, sandbox.

The single place where a `Connection` row becomes a `Connector` instance, so that a sandbox
connection differs from a real one only in the transport its HTTP client uses (the
provider simulator instead of the network) and in gentler retry timings.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable

import httpx

from brain.core.crypto import Keyring
from brain.integrations.base import Connector, ConnectorContext, Credentials
from brain.integrations.http import ProviderHttpClient, RetryPolicy
from brain.integrations.models import Connection, open_credentials
from brain.integrations.registry import ProviderEntry
from brain.integrations.sandbox.common import SandboxContext
from brain.settings import Settings

# Sandbox retries: same algorithm, milliseconds instead of seconds.
SANDBOX_RETRY = RetryPolicy(max_attempts=8, base_delay=0.005, max_delay=0.05, max_retry_after=5)


def sandbox_context(connection: Connection) -> SandboxContext:
    return SandboxContext.from_config(connection.organization_id, connection.id, connection.config)


def build_connector(
    entry: ProviderEntry,
    connection: Connection,
    *,
    keyring: Keyring,
    settings: Settings | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    credentials: Credentials | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> Connector:
    """A connector instance for `connection` (close it with `await connector.http.aclose()`)."""
    cls = entry.connector
    creds = credentials if credentials is not None else open_credentials(keyring, connection)
    retry: RetryPolicy | None = None
    limiter_key = cls.spec.id
    rate, burst = cls.rate_per_second, cls.burst
    if connection.sandbox:
        if transport is None:
            transport = entry.sandbox(sandbox_context(connection))
        retry = SANDBOX_RETRY
        limiter_key = f"{cls.spec.id}:sandbox:{connection.id}"
        rate, burst = 10_000.0, 10_000
    http = ProviderHttpClient(
        cls.spec.id,
        base_url=cls.base_url(dict(connection.config)),
        classify=cls.classify,
        transport=transport,
        headers=cls.auth_headers(creds, dict(connection.config), settings=settings),
        retry=retry,
        rate=rate,
        burst=burst,
        limiter_key=limiter_key,
        sleep=sleep,
        rng=random.Random(),
    )
    context = ConnectorContext(
        organization_id=connection.organization_id,
        connection_id=connection.id,
        config=dict(connection.config),
        credentials=creds,
        http=http,
        sandbox=connection.sandbox,
    )
    return cls(context)
