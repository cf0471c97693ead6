"""Sync engine benchmark: sandbox backfill into PostgreSQL next to a raw COPY."""
