"""Reproducible benchmarks of Brain (see benchmarks/README.md)."""
