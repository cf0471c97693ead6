"""The LLM gateway every text-generating feature goes through (VOICE first): a result cache
keyed by a hash of model + prompt + parameters, the tenant's daily token budget checked
before the call, usage recorded after it (tokens in/out by model), request batching and
de-duplicated embeddings.

Typical use::

    gateway = LLMGateway(create_provider(settings), runtime.cache, clock=runtime.clock)
    result = await gateway.complete(session, org_id, LLMRequest(model=..., prompt=...))
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from dataclasses import dataclass, field

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from brain.billing import quotas
from brain.billing.catalog import Quota
from brain.core.cache import Cache
from brain.core.clock import Clock, SystemClock
from brain.finops.metering import record_usage
from brain.llm.providers import LLMProvider, LLMRequest, LLMResult, count_tokens

CACHE_PREFIX = "llm:"


def request_key(request: LLMRequest) -> str:
    """sha256 of the canonical JSON of model, system, prompt and every parameter."""
    canonical = orjson.dumps({
        "model": request.model, "system": request.system, "prompt": request.prompt,
        "max_tokens": request.max_tokens, "temperature": request.temperature,
        "params": request.params,
    }, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()


def content_key(model: str, text: str) -> str:
    return hashlib.sha256(f"{model}\0{text}".encode()).hexdigest()


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    hit_seconds: list[float] = field(default_factory=list)

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0

    def as_json(self) -> dict[str, float | int]:
        return {"hits": self.hits, "misses": self.misses, "hit_rate": round(self.hit_rate, 4)}


class LLMGateway:
    def __init__(self, provider: LLMProvider, cache: Cache, *, cache_seconds: int = 86_400,
                 clock: Clock | None = None, concurrency: int = 4) -> None:
        self.provider = provider
        self.cache = cache
        self.cache_seconds = cache_seconds
        self.clock = clock or SystemClock()
        self.concurrency = concurrency
        self.stats = CacheStats()

    async def cached(self, request: LLMRequest) -> LLMResult | None:
        """The cached result of an identical request (counted as a hit or a miss)."""
        started = time.perf_counter()
        raw = await self.cache.get(CACHE_PREFIX + "c:" + request_key(request))
        if raw is None:
            self.stats.misses += 1
            return None
        data = orjson.loads(raw)
        self.stats.hits += 1
        self.stats.hit_seconds.append(time.perf_counter() - started)
        return LLMResult(text=data["text"], model=data["model"], provider=data["provider"],
                         input_tokens=data["input_tokens"], output_tokens=data["output_tokens"],
                         cached=True)

    async def _store(self, request: LLMRequest, result: LLMResult) -> None:
        if self.cache_seconds <= 0:
            return
        await self.cache.set(CACHE_PREFIX + "c:" + request_key(request), orjson.dumps({
            "text": result.text, "model": result.model, "provider": result.provider,
            "input_tokens": result.input_tokens, "output_tokens": result.output_tokens,
        }), self.cache_seconds)

    @staticmethod
    def estimate(request: LLMRequest) -> int:
        """Tokens a request may use: its prompt (estimated) plus the output cap."""
        return count_tokens((request.system or "") + request.prompt) + request.max_tokens

    async def _charge(self, session: AsyncSession, organization_id: uuid.UUID,
                      result: LLMResult) -> None:
        await record_usage(session, organization_id, "llm_tokens_in", result.input_tokens,
                           dimension=result.model, clock=self.clock)
        await record_usage(session, organization_id, "llm_tokens_out", result.output_tokens,
                           dimension=result.model, clock=self.clock)
        await quotas.consume(session, organization_id, Quota.llm_tokens_per_day,
                             result.input_tokens + result.output_tokens, clock=self.clock,
                             enforce=False)

    async def complete(self, session: AsyncSession, organization_id: uuid.UUID,
                       request: LLMRequest) -> LLMResult:
        """One completion: from the cache, or within the tenant's budget from the provider."""
        return (await self.complete_many(session, organization_id, [request]))[0]

    async def complete_many(self, session: AsyncSession, organization_id: uuid.UUID,
                            requests: list[LLMRequest]) -> list[LLMResult]:
        """A batch: identical requests are asked once, cache hits are free, the budget is
        checked for the whole batch before any call, the calls run `concurrency` at a time."""
        results: dict[str, LLMResult] = {}
        pending: dict[str, LLMRequest] = {}
        for request in requests:
            key = request_key(request)
            if key in results or key in pending:
                continue
            hit = await self.cached(request)
            if hit is not None:
                results[key] = hit
            else:
                pending[key] = request
        if pending:
            estimate = sum(self.estimate(r) for r in pending.values())
            await quotas.check(session, organization_id, Quota.llm_tokens_per_day, estimate,
                               clock=self.clock)
            limiter = asyncio.Semaphore(self.concurrency)

            async def call(request: LLMRequest) -> LLMResult:
                async with limiter:
                    return await self.provider.complete(request)

            answers = await asyncio.gather(*(call(r) for r in pending.values()))
            for (key, request), result in zip(pending.items(), answers, strict=True):
                await self._store(request, result)
                await self._charge(session, organization_id, result)
                results[key] = result
        return [results[request_key(r)] for r in requests]

    async def embed(self, session: AsyncSession, organization_id: uuid.UUID, model: str,
                    texts: list[str]) -> list[list[float]]:
        """Embeddings with each distinct text computed once (cached by content hash)."""
        vectors: dict[str, list[float]] = {}
        missing: dict[str, str] = {}
        for text in texts:
            key = content_key(model, text)
            if key in vectors or key in missing:
                continue
            raw = await self.cache.get(CACHE_PREFIX + "e:" + key)
            if raw is not None:
                vectors[key] = orjson.loads(raw)
            else:
                missing[key] = text
        if missing:
            estimate = sum(count_tokens(t) for t in missing.values())
            await quotas.check(session, organization_id, Quota.llm_tokens_per_day, estimate,
                               clock=self.clock)
            computed, tokens = await self.provider.embed(model, list(missing.values()))
            for key, vector in zip(missing, computed, strict=True):
                vectors[key] = vector
                if self.cache_seconds > 0:
                    await self.cache.set(CACHE_PREFIX + "e:" + key, orjson.dumps(vector),
                                         self.cache_seconds)
            await record_usage(session, organization_id, "llm_tokens_in", tokens,
                               dimension=model, clock=self.clock)
            await quotas.consume(session, organization_id, Quota.llm_tokens_per_day, tokens,
                                 clock=self.clock, enforce=False)
        return [vectors[content_key(model, t)] for t in texts]
