"""The auth benchmark: login throughput and the per-request cost of session validation."""
