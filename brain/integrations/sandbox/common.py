"""What every provider simulator shares: its context, the demo data and fault injection.

A sandbox connection talks to an `httpx.MockTransport` built by the provider's simulator
module; the connector code is the same one that talks to the real API. The simulators serve
the demo simulator's world (`brain.demo.simulator.simulate`), deterministic in
(vertical, seed, days, today), so a sandbox backfill always yields the same rows.

Faults are part of the contract: `fault_rate` of the requests answer a provider-shaped 5xx
and every `rate_limit_every`-th request a provider-shaped rate-limit error, so retries and
back-off are exercised on every sandbox sync. Faults never change the data served.
"""

from __future__ import annotations

import bisect
import random
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import httpx
import orjson

from brain.demo.simulator import Simulation, simulate

SANDBOX_TOKEN_PREFIX = "sandbox-"  # noqa: S105  (not a secret: the simulators' fixed token)


@dataclass(frozen=True)
class SandboxContext:
    """One sandbox connection's view of the simulated world and its fault settings."""

    organization_id: uuid.UUID
    connection_id: uuid.UUID
    vertical: str = "beauty"
    seed: int = 7
    days: int = 365
    today: date = field(default_factory=date.today)
    fault_rate: float = 0.0
    rate_limit_every: int = 0
    page_size_cap: int = 500

    @property
    def access_token(self) -> str:
        """The token the simulator accepts (the sandbox connection holds the same)."""
        return f"{SANDBOX_TOKEN_PREFIX}{self.connection_id.hex}"

    @classmethod
    def from_config(
        cls, organization_id: uuid.UUID, connection_id: uuid.UUID, config: dict[str, Any]
    ) -> SandboxContext:
        """The context stored under `config["sandbox"]` of a sandbox connection."""
        raw = dict(config.get("sandbox") or {})
        today = raw.get("today")
        return cls(
            organization_id=organization_id,
            connection_id=connection_id,
            vertical=str(raw.get("vertical", "beauty")),
            seed=int(raw.get("seed", 7)),
            days=int(raw.get("days", 365)),
            today=date.fromisoformat(today) if today else date.today(),
            fault_rate=float(raw.get("fault_rate", 0.0)),
            rate_limit_every=int(raw.get("rate_limit_every", 0)),
            page_size_cap=int(raw.get("page_size_cap", 500)),
        )

    def simulation(self) -> Simulation:
        return cached_simulation(self.vertical, self.seed, self.days, self.today)


def default_sandbox_config(
    vertical: str = "beauty", *, today: date | None = None
) -> dict[str, Any]:
    """The `config["sandbox"]` of a new sandbox connection (the day pinned for determinism)."""
    return {
        "vertical": vertical,
        "seed": 7,
        "days": 365,
        "today": (today or date.today()).isoformat(),
        "fault_rate": 0.02,
        "rate_limit_every": 97,
    }


@lru_cache(maxsize=8)
def cached_simulation(vertical: str, seed: int, days: int, today: date) -> Simulation:
    """The demo world (simulated once per process per argument set)."""
    return simulate(vertical, days=days, seed=seed, today=today)


# One ad on one day of the simulated world, with provider-neutral ids and names:
# (day, account_id, campaign_id, campaign_name, objective, ad_set_id, ad_set_name, ad_id,
#  ad_name, ad_format, impressions, clicks, spend, conversions, revenue, frequency,
#  video_views) — the simulators unpack it in this order. A plain tuple of plain values on
# purpose: the garbage collector stops tracking those, and a world holds tens of thousands
# of rows for as long as the process lives (as objects, every full collection walked them).
AdRow = tuple[
    date, str, str, str, str, str, str, str, str, str, int, int, float, float, float, float,
    int | None,
]


@dataclass(frozen=True)
class AdTable:
    """The ad-day rows of some channels per ad account, each account's ordered by (day, ad
    id) with a date index, as a provider's reporting store would hold them."""

    rows: dict[str, tuple[AdRow, ...]]
    days: dict[str, tuple[date, ...]]

    def between(self, account: str, start: date, end: date) -> Sequence[AdRow]:
        """The account's rows with `start <= day <= end`, in order (a slice of its table)."""
        days = self.days.get(account, ())
        lo = bisect.bisect_left(days, start)
        hi = bisect.bisect_right(days, end)
        return self.rows.get(account, ())[lo:hi]


def numeric_id(prefix: int, index: int) -> str:
    """A stable provider-style numeric id for the `index`-th object of a kind."""
    return str(prefix * 10**9 + 7_000_000 + index)


@lru_cache(maxsize=32)
def ad_table(
    vertical: str, seed: int, days: int, today: date, platforms: tuple[str, ...]
) -> AdTable:
    """The simulated world's ad-day rows for channels on `platforms`."""
    sim = cached_simulation(vertical, seed, days, today)
    m = sim.metrics
    by_account: dict[str, list[tuple[tuple[date, int], AdRow]]] = {}
    wanted = {i for i, ch in enumerate(sim.channels) if ch.platform in platforms}
    columns = zip(
        m.day.tolist(), m.creative.tolist(), m.channel.tolist(), m.campaign.tolist(),
        m.impressions.tolist(), m.clicks.tolist(), m.spend.tolist(), m.conversions.tolist(),
        m.revenue.tolist(), m.frequency.tolist(), m.video_views.tolist(), strict=True,
    )
    for day, k, c, cp, imps, clicks, spend, conv, revenue, freq, views in columns:
        if c not in wanted:
            continue
        creative = sim.creatives[k]
        campaign = sim.campaigns[cp]
        ad_set = sim.ad_sets[creative.ad_set]
        on = sim.start + timedelta(days=day)
        account = sim.channels[c].external_account_id
        row: AdRow = (
            on, account, numeric_id(23, cp), campaign.name, campaign.objective,
            numeric_id(24, creative.ad_set), ad_set.name, numeric_id(25, k), creative.name,
            creative.format, int(imps), int(clicks), float(spend), float(conv),
            float(revenue), float(freq), int(views) if views >= 0 else None,
        )
        by_account.setdefault(account, []).append(((on, k), row))
    rows: dict[str, tuple[AdRow, ...]] = {}
    for account, keyed in by_account.items():
        keyed.sort(key=lambda item: item[0])
        rows[account] = tuple(row for _, row in keyed)
    return AdTable(rows=rows, days={a: tuple(r[0] for r in rs) for a, rs in rows.items()})


def accounts(context: SandboxContext, platforms: tuple[str, ...]) -> list[tuple[str, str]]:
    """(external account id, channel name) of the simulated channels on `platforms`."""
    return [
        (ch.external_account_id, ch.name)
        for ch in context.simulation().channels
        if ch.platform in platforms
    ]


def context_ad_table(context: SandboxContext, platforms: tuple[str, ...]) -> AdTable:
    return ad_table(context.vertical, context.seed, context.days, context.today, platforms)


class FaultInjector:
    """Decides per request whether the simulator answers a 5xx or a rate-limit error."""

    def __init__(self, context: SandboxContext) -> None:
        self.fault_rate = context.fault_rate
        self.rate_limit_every = context.rate_limit_every
        self._rng = random.Random(context.connection_id.int)
        self._count = 0
        self._lock = threading.Lock()

    def next(self) -> str | None:
        """"rate_limited", "unavailable" or None for the next request."""
        with self._lock:
            self._count += 1
            if self.rate_limit_every and self._count % self.rate_limit_every == 0:
                return "rate_limited"
            if self.fault_rate and self._rng.random() < self.fault_rate:
                return "unavailable"
            return None


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    """A JSON response serialised with orjson (the simulators' hot path)."""
    return httpx.Response(
        status, content=orjson.dumps(body),
        headers={"content-type": "application/json", **(headers or {})},
    )
