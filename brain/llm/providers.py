"""LLM providers behind one interface: OpenAI-compatible (official `openai` SDK; any
base URL, so a self-hosted model works), Anthropic (official `anthropic` SDK), and an
offline deterministic provider for development and tests.

The offline provider is NOT a language model: it returns text derived from a hash of the
request, so tests and the embedded mode are reproducible and free."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Any, Protocol

from brain.settings import Settings


class LLMError(RuntimeError):
    """The provider failed or cannot do what was asked."""


@dataclass(frozen=True)
class LLMRequest:
    model: str
    prompt: str
    system: str | None = None
    max_tokens: int = 512
    temperature: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LLMResult:
    text: str
    model: str
    provider: str
    input_tokens: int
    output_tokens: int
    cached: bool = False


class LLMProvider(Protocol):
    name: str

    async def complete(self, request: LLMRequest) -> LLMResult: ...

    async def embed(self, model: str, texts: list[str]) -> tuple[list[list[float]], int]: ...


def count_tokens(text: str) -> int:
    """An estimate for budgets made before a call (~4 characters or 0.75 words per token in
    English and Spanish); the provider's reported usage is what gets recorded."""
    if not text:
        return 0
    return max(1, math.ceil(max(len(text) / 4, len(text.split()) * 4 / 3)))


class OfflineProvider:
    """Deterministic stand-in for development and tests (clearly not a model)."""

    name = "offline"
    LABEL = "[offline deterministic provider: not a language model]"

    async def complete(self, request: LLMRequest) -> LLMResult:
        digest = hashlib.sha256(
            f"{request.model}\0{request.system or ''}\0{request.prompt}".encode()
        ).hexdigest()
        words = request.prompt.split()[:40]
        text = f"{self.LABEL} {digest[:12]}: {' '.join(words)}"
        budget = max(1, request.max_tokens) * 4
        text = text[:budget]
        return LLMResult(text=text, model=request.model, provider=self.name,
                         input_tokens=count_tokens((request.system or "") + request.prompt),
                         output_tokens=count_tokens(text))

    async def embed(self, model: str, texts: list[str]) -> tuple[list[list[float]], int]:
        vectors = []
        for text in texts:
            raw = hashlib.sha256(f"{model}\0{text}".encode()).digest()
            values = [(byte - 127.5) / 127.5 for byte in raw[:16]]
            norm = math.sqrt(sum(v * v for v in values)) or 1.0
            vectors.append([v / norm for v in values])
        return vectors, sum(count_tokens(t) for t in texts)


class OpenAIProvider:
    """Chat completions and embeddings through the official `openai` SDK."""

    name = "openai"

    def __init__(self, *, api_key: str, base_url: str | None = None,
                 http_client: Any = None, max_retries: int = 2) -> None:
        import openai

        self.client = openai.AsyncOpenAI(api_key=api_key, base_url=base_url,
                                         http_client=http_client, max_retries=max_retries)

    async def complete(self, request: LLMRequest) -> LLMResult:
        import openai

        messages: list[Any] = []
        if request.system:
            messages.append({"role": "system", "content": request.system})
        messages.append({"role": "user", "content": request.prompt})
        try:
            response = await self.client.chat.completions.create(
                model=request.model, messages=messages, max_tokens=request.max_tokens,
                temperature=request.temperature, **request.params,
            )
        except openai.OpenAIError as exc:
            raise LLMError(f"openai-compatible provider failed: {type(exc).__name__}") from exc
        usage = response.usage
        return LLMResult(
            text=response.choices[0].message.content or "", model=response.model,
            provider=self.name, input_tokens=usage.prompt_tokens if usage else 0,
            output_tokens=usage.completion_tokens if usage else 0,
        )

    async def embed(self, model: str, texts: list[str]) -> tuple[list[list[float]], int]:
        import openai

        try:
            response = await self.client.embeddings.create(model=model, input=texts)
        except openai.OpenAIError as exc:
            raise LLMError(f"openai-compatible embeddings failed: {type(exc).__name__}") from exc
        ordered = sorted(response.data, key=lambda item: item.index)
        return [list(item.embedding) for item in ordered], response.usage.prompt_tokens


class AnthropicProvider:
    """Messages through the official `anthropic` SDK (`params` may carry e.g.
    `stop_sequences`)."""

    name = "anthropic"

    def __init__(self, *, api_key: str, base_url: str | None = None,
                 http_client: Any = None, max_retries: int = 2) -> None:
        import anthropic

        self.client = anthropic.AsyncAnthropic(api_key=api_key, base_url=base_url,
                                               http_client=http_client,
                                               max_retries=max_retries)

    async def complete(self, request: LLMRequest) -> LLMResult:
        import anthropic

        kwargs: dict[str, Any] = dict(request.params)
        if request.system:
            kwargs["system"] = request.system
        try:
            message = await self.client.messages.create(
                model=request.model, max_tokens=request.max_tokens,
                temperature=request.temperature,
                messages=[{"role": "user", "content": request.prompt}], **kwargs,
            )
        except anthropic.AnthropicError as exc:
            raise LLMError(f"anthropic provider failed: {type(exc).__name__}") from exc
        text = "".join(getattr(block, "text", "") for block in message.content)
        return LLMResult(text=text, model=message.model, provider=self.name,
                         input_tokens=message.usage.input_tokens,
                         output_tokens=message.usage.output_tokens)

    async def embed(self, model: str, texts: list[str]) -> tuple[list[list[float]], int]:
        raise LLMError("Anthropic offers no embeddings endpoint; configure an "
                       "OpenAI-compatible provider for embeddings")


def create_provider(settings: Settings, *, http_client: Any = None) -> LLMProvider:
    """The configured provider (`BRAIN_LLM_PROVIDER`); offline unless a key is set."""
    if settings.llm_provider == "offline":
        return OfflineProvider()
    if not settings.llm_api_key:
        raise LLMError(f"BRAIN_LLM_API_KEY is required for the {settings.llm_provider} "
                       "provider")
    if settings.llm_provider == "openai":
        return OpenAIProvider(api_key=settings.llm_api_key, base_url=settings.llm_base_url,
                              http_client=http_client)
    return AnthropicProvider(api_key=settings.llm_api_key, base_url=settings.llm_base_url,
                             http_client=http_client)
