"""Onboarding: the getting-started checklist of an organization, computed from its real state."""
