"""Cross-cutting kit shared by every domain."""
