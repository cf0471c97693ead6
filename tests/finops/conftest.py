"""The finops tests share the billing tests' fixtures (frozen clock, plan limits on)."""

from tests.billing.conftest import billing_settings, client, clock, owner, runtime

__all__ = ["billing_settings", "client", "clock", "owner", "runtime"]
