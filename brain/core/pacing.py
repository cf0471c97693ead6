"""Background work that gives way to requests when both share one process (embedded mode).

In the embedded mode `brain serve` runs its job worker on a thread of the API's own process.
Python runs one thread at a time, so while a job computes, the API's event loop waits its turn
(up to the interpreter's switch interval, again and again): under a burst of webhooks, the
processing of the events already stored would double the time each new one takes to be
acknowledged. Providers time out and retry slow acknowledgements; processing can wait a little.

So the API counts the requests it is serving (`RequestGauge`, kept by `GaugeMiddleware`, the
outermost layer), and a job running on a paced thread calls `give_way(busy_seconds)` between
units of work: while requests are being served, it sleeps long enough that its own work takes
at most `share` of the time. When the API is idle it does not sleep at all, and the share
guarantees progress however long the burst lasts. Threads that are not paced (a separate
`brain worker` process, a job run inline by a request or a test) never sleep here.
"""

from __future__ import annotations

import asyncio
import threading
import time

from starlette.types import ASGIApp, Receive, Scope, Send

# The largest share of the time paced work takes while requests are in flight; the rest of
# the time the API has the interpreter to itself. Measured on the inbound webhook benchmark
# (32 senders, the embedded worker processing the events meanwhile; ack p95, closed / open
# loop): no pacing 28.7 / 21.1 ms at 1,869 acks/s; 20 % 14.1 / 23.3 ms; 5 % 11.5-12.9 /
# 11.3-39.7 ms; 2 % 11.8-13.6 / 11.1-13.3 ms at 3,658-3,866 acks/s. The price: a backlog
# built during a burst is processed after it (about 50 s for the benchmark's 75,000 events).
# A set-up that takes sustained webhook traffic runs separate workers (README, production).
DEFAULT_SHARE = 0.02
# One pause is at most this long (a long unit of work must not stall the backlog for long).
MAX_PAUSE_SECONDS = 1.0
# A request that ended this recently still counts: the next one of a burst is on its way.
RECENT_SECONDS = 0.005


class RequestGauge:
    """How many HTTP requests this process is serving, and when the last one ended. Updated
    on the event loop's thread; read from a worker thread (plain attribute reads)."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.last_end = 0.0

    def busy(self, now: float | None = None) -> bool:
        if self.in_flight > 0:
            return True
        return (time.monotonic() if now is None else now) - self.last_end < RECENT_SECONDS


REQUESTS = RequestGauge()


class GaugeMiddleware:
    """Counts the HTTP requests in flight into `REQUESTS` (the outermost layer of the app)."""

    def __init__(self, app: ASGIApp, gauge: RequestGauge = REQUESTS) -> None:
        self.app = app
        self.gauge = gauge

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        gauge = self.gauge
        gauge.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            gauge.in_flight -= 1
            gauge.last_end = time.monotonic()


class _Pacing(threading.local):
    share: float | None = None


_pacing = _Pacing()


def pace_current_thread(share: float = DEFAULT_SHARE) -> None:
    """Make the jobs of this thread give way to the process's requests (the embedded worker
    calls this as its thread starts)."""
    if not 0 < share <= 1:
        raise ValueError("share must be in (0, 1]")
    _pacing.share = share


def is_paced() -> bool:
    """Whether this thread's jobs give way to requests."""
    return _pacing.share is not None


def pause_for(busy_seconds: float, *, gauge: RequestGauge = REQUESTS) -> float:
    """How long a paced thread should pause after `busy_seconds` of work (0 when it is not
    paced or no request is being served)."""
    share = _pacing.share
    if share is None or busy_seconds <= 0 or not gauge.busy():
        return 0.0
    return min(MAX_PAUSE_SECONDS, busy_seconds * (1 - share) / share)


async def give_way(busy_seconds: float, *, gauge: RequestGauge = REQUESTS) -> float:
    """Sleep as `pause_for` says; returns the seconds slept."""
    pause = pause_for(busy_seconds, gauge=gauge)
    if pause > 0:
        await asyncio.sleep(pause)
    return pause
