"""Fixtures of the webhook tests: a loopback receiver and a frozen clock on the runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import pytest_asyncio

from brain.core.clock import FrozenClock
from brain.core.runtime import Runtime
from tests.webhooks.receiver import Receiver, running_receiver


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running_receiver() as running:
        yield running


@pytest.fixture
def clock(runtime: Runtime) -> FrozenClock:
    """The runtime's clock, frozen at the current second (signatures need a real now)."""
    frozen = FrozenClock(datetime.now(UTC).replace(microsecond=0))
    runtime.clock = frozen
    return frozen
