"""Credentials: API keys (users, sessions, MFA and SSO come with the identity issue)."""
