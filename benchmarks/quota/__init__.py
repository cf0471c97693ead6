"""The quota benchmark: the per-request cost of the plan-aware rate limit + entitlement
check, and the LLM cache's hit latency."""
