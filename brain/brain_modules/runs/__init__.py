"""Brain pipeline runs: tables, queries, the one-run-per-tenant guard and the background job."""
