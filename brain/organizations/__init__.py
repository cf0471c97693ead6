"""Tenants: organizations, roles and permissions."""
