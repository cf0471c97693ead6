"""The provider registry: each connector module registers its class and its sandbox simulator.

`register(connector_class, sandbox=factory)` is called at import time of a provider module
(`brain/integrations/providers/<id>.py`); `load_providers()` imports them all.
`sandbox` builds the in-process simulator transport (`httpx.AsyncBaseTransport`) for one
sandbox connection from a `SandboxContext` (see `brain.integrations.sandbox.common`).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from brain.integrations.base import Connector

if TYPE_CHECKING:
    from brain.integrations.sandbox.common import SandboxContext

SandboxFactory = Callable[["SandboxContext"], httpx.AsyncBaseTransport]
# The provider config of a new sandbox connection (account ids, shop domain, …).
SandboxConfig = Callable[["SandboxContext"], dict[str, Any]]

logger = logging.getLogger("brain.integrations")

# The catalogue order shown by the connect wizard.
PROVIDER_MODULES = (
    "ga4",
    "hubspot",
    "salesforce",
    "meta_ads",
    "google_ads",
    "tiktok_ads",
    "shopify",
)


@dataclass(frozen=True)
class ProviderEntry:
    """A registered provider: its connector class and its sandbox simulator factory."""

    connector: type[Connector]
    sandbox: SandboxFactory
    sandbox_config: SandboxConfig | None = None

    @property
    def id(self) -> str:
        return self.connector.spec.id


_REGISTRY: dict[str, ProviderEntry] = {}


def register(
    connector: type[Connector],
    *,
    sandbox: SandboxFactory,
    sandbox_config: SandboxConfig | None = None,
) -> type[Connector]:
    """Add a provider (idempotent for the same class; a different class under a taken id fails).

    `sandbox_config(context)` gives the provider config a new sandbox connection starts with
    (e.g. the simulated account ids); without it the config is empty."""
    provider_id = connector.spec.id
    existing = _REGISTRY.get(provider_id)
    if existing is not None and existing.connector is not connector:
        raise RuntimeError(f"provider {provider_id!r} registered twice")
    _REGISTRY[provider_id] = ProviderEntry(
        connector=connector, sandbox=sandbox, sandbox_config=sandbox_config
    )
    return connector


def load_providers() -> None:
    """Import every provider module that exists, so the registry is complete."""
    for name in PROVIDER_MODULES:
        module = f"brain.integrations.providers.{name}"
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                logger.exception("provider module %s failed to import; skipped", module)
        except ImportError:
            # One broken provider must not take the whole catalogue down; it is logged and
            # the catalogue test (all seven providers present) fails loudly instead.
            logger.exception("provider module %s failed to import; skipped", module)


def providers() -> list[ProviderEntry]:
    """Registered providers in catalogue order."""
    load_providers()
    order = {name: i for i, name in enumerate(PROVIDER_MODULES)}
    return sorted(_REGISTRY.values(), key=lambda e: order.get(e.id, len(order)))


def get_provider(provider_id: str) -> ProviderEntry | None:
    """The registered provider `provider_id`, or None."""
    load_providers()
    return _REGISTRY.get(provider_id)
