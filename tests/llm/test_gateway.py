"""The LLM kit: cache hits and hit rate, per-tenant budgets enforced before the call, usage
recorded, batching and embeddings de-duplication; contract tests of the requests the
official OpenAI and Anthropic SDKs send."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.billing.catalog import Quota
from brain.billing.overrides import add_override, parse_override
from brain.billing.problems import QuotaExceeded
from brain.billing.quotas import usage_of
from brain.core.cache import Cache
from brain.core.clock import FrozenClock
from brain.finops.models import UsageDaily
from brain.llm.gateway import LLMGateway, request_key
from brain.llm.providers import (
    AnthropicProvider,
    LLMError,
    LLMRequest,
    OfflineProvider,
    OpenAIProvider,
    count_tokens,
    create_provider,
)
from brain.settings import Settings
from tests.factories import Tenant

CLOCK_START = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


class CountingProvider(OfflineProvider):
    def __init__(self) -> None:
        self.calls: list[LLMRequest] = []
        self.embedded: list[str] = []

    async def complete(self, request: LLMRequest):  # type: ignore[no-untyped-def]
        self.calls.append(request)
        return await super().complete(request)

    async def embed(self, model: str, texts: list[str]):  # type: ignore[no-untyped-def]
        self.embedded.extend(texts)
        return await super().embed(model, texts)


async def test_cache_budget_usage_and_batching(db: AsyncSession, tenant: Tenant,
                                               cache: Cache) -> None:
    clock = FrozenClock(CLOCK_START)
    provider = CountingProvider()
    gateway = LLMGateway(provider, cache, clock=clock)
    request = LLMRequest(model="offline-echo-1", prompt="Write a caption for C12 serum",
                         max_tokens=64)
    first = await gateway.complete(db, tenant.id, request)
    again = await gateway.complete(db, tenant.id, request)
    assert first.text.startswith(OfflineProvider.LABEL)
    assert (first.cached, again.cached, again.text) == (False, True, first.text)
    assert len(provider.calls) == 1
    assert gateway.stats.as_json() == {"hits": 1, "misses": 1, "hit_rate": 0.5}
    # Another parameter is another cache entry.
    other = LLMRequest(model="offline-echo-1", prompt=request.prompt, max_tokens=65)
    assert request_key(other) != request_key(request)
    # A batch asks each distinct request once.
    batch = [LLMRequest(model="offline-echo-1", prompt=f"variant {i % 3}") for i in range(9)]
    results = await gateway.complete_many(db, tenant.id, batch)
    assert len(results) == 9
    assert len(provider.calls) == 4
    assert results[0].text == results[3].text
    rows = (await db.scalars(select(UsageDaily).where(
        UsageDaily.organization_id == tenant.id))).all()
    meters = {(r.meter, r.dimension): r.amount for r in rows}
    assert meters[("llm_tokens_in", "offline-echo-1")] > 0
    assert meters[("llm_tokens_out", "offline-echo-1")] > 0
    used = await usage_of(db, tenant.id, Quota.llm_tokens_per_day, 50_000, clock.now())
    assert used.used == sum(int(v) for v in meters.values())


async def test_budget_is_enforced_before_the_call(db: AsyncSession, tenant: Tenant,
                                                  cache: Cache) -> None:
    clock = FrozenClock(CLOCK_START)
    await add_override(db, tenant.id, parse_override("llm_tokens_per_day", "100"),
                       until=datetime(2026, 4, 1, tzinfo=UTC), reason="budget test",
                       actor="tests", clock=clock)
    provider = CountingProvider()
    gateway = LLMGateway(provider, cache, clock=clock)
    with pytest.raises(QuotaExceeded):
        await gateway.complete(db, tenant.id, LLMRequest(model="m", prompt="hi",
                                                         max_tokens=500))
    assert provider.calls == []
    ok = await gateway.complete(db, tenant.id, LLMRequest(model="m", prompt="hi",
                                                          max_tokens=20))
    assert ok.output_tokens <= 20


async def test_embeddings_are_deduplicated_by_content(db: AsyncSession, tenant: Tenant,
                                                      cache: Cache) -> None:
    provider = CountingProvider()
    gateway = LLMGateway(provider, cache, clock=FrozenClock(CLOCK_START))
    texts = ["glow serum", "glow serum", "night cream", "glow serum"]
    vectors = await gateway.embed(db, tenant.id, "emb-1", texts)
    assert provider.embedded == ["glow serum", "night cream"]
    assert vectors[0] == vectors[1] == vectors[3]
    assert vectors[0] != vectors[2]
    await gateway.embed(db, tenant.id, "emb-1", ["night cream"])
    assert provider.embedded == ["glow serum", "night cream"]


def test_token_estimate_and_provider_factory(settings: Settings) -> None:
    assert count_tokens("") == 0
    assert 2 <= count_tokens("Shift ten percent of TikTok budget to Meta") <= 15
    assert isinstance(create_provider(settings), OfflineProvider)
    with pytest.raises(LLMError, match="BRAIN_LLM_API_KEY"):
        create_provider(settings.model_copy(update={"llm_provider": "openai"}))


async def test_openai_sdk_request_contract() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "llama-3",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": "Hello"}}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}})

    provider = OpenAIProvider(api_key="sk-self-hosted", base_url="http://llm.internal:8080/v1",
                              http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)))
    result = await provider.complete(LLMRequest(model="llama-3", prompt="Say hello",
                                                system="Be brief", max_tokens=16,
                                                temperature=0.2))
    assert (result.text, result.input_tokens, result.output_tokens) == ("Hello", 12, 3)
    (request,) = seen
    assert (request.method, str(request.url)) == (
        "POST", "http://llm.internal:8080/v1/chat/completions")
    assert request.headers["authorization"] == "Bearer sk-self-hosted"
    assert json.loads(request.content) == {
        "model": "llama-3", "max_tokens": 16, "temperature": 0.2,
        "messages": [{"role": "system", "content": "Be brief"},
                     {"role": "user", "content": "Say hello"}]}


async def test_anthropic_sdk_request_contract() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-test",
            "content": [{"type": "text", "text": "Hola"}], "stop_reason": "end_turn",
            "stop_sequence": None, "usage": {"input_tokens": 9, "output_tokens": 2}})

    provider = AnthropicProvider(
        api_key="sk-ant-test", base_url="https://anthropic.internal",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)))
    result = await provider.complete(LLMRequest(model="claude-test", prompt="Di hola",
                                                system="Breve", max_tokens=32))
    assert (result.text, result.input_tokens, result.output_tokens) == ("Hola", 9, 2)
    (request,) = seen
    assert (request.method, str(request.url)) == ("POST",
                                                  "https://anthropic.internal/v1/messages")
    assert request.headers["x-api-key"] == "sk-ant-test"
    assert "anthropic-version" in request.headers
    assert json.loads(request.content) == {
        "model": "claude-test", "max_tokens": 32, "system": "Breve", "temperature": 0.0,
        "messages": [{"role": "user", "content": "Di hola"}]}
    with pytest.raises(LLMError, match="no embeddings"):
        await provider.embed("x", ["a"])
