"""The OAuth test harness: a runtime with an OAuth app configured for Meta and the app
serving it (the provider's token endpoint is an `httpx.MockTransport` set per test on
`app.state.integrations_oauth_transport`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from brain.app import create_app
from brain.core.jobs import InlineDispatcher
from brain.core.runtime import Runtime
from tests.integrations.helpers import OAUTH_CLIENTS


@pytest.fixture
def oauth_runtime(runtime: Runtime) -> Runtime:
    settings = runtime.settings.model_copy(update={"integrations_oauth_clients": OAUTH_CLIENTS})
    return Runtime(settings=settings, engine=runtime.engine,
                   session_factory=runtime.session_factory, cache=runtime.cache,
                   owns_engine=False)


@pytest_asyncio.fixture
async def oauth_app(oauth_runtime: Runtime) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    app = create_app(oauth_runtime.settings, runtime=oauth_runtime,
                     dispatcher=InlineDispatcher(oauth_runtime))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver") as http:
        yield http, app
