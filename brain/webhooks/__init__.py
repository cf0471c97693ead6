"""Outbound webhooks: tenants' endpoints, the event outbox, signed deliveries with retries,
dead letters (Standard Webhooks)."""
