"""Integrations: connectors to outside platforms, sandbox simulators and the sync engine."""
