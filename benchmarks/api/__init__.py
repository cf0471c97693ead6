"""The HTTP API benchmark: `python -m benchmarks.api` (see benchmarks/README.md)."""
