"""The LLM kit: a gateway (cache, budgets, usage, batching, embeddings de-duplication) over
OpenAI-compatible, Anthropic and offline deterministic providers."""
