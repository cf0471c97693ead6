"""Jobs of the embedded worker give way to the requests of the process they share."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from brain.app import create_app
from brain.core import pacing
from brain.core.pacing import GaugeMiddleware, RequestGauge
from brain.settings import Settings


@pytest.fixture(autouse=True)
def _unpaced() -> None:
    """Each test starts on an unpaced thread (pytest runs them all on one)."""
    pacing._pacing.share = None


def test_the_gauge_is_busy_while_requests_are_in_flight_and_just_after() -> None:
    gauge = RequestGauge()
    assert not gauge.busy()
    gauge.in_flight = 1
    assert gauge.busy()
    gauge.in_flight = 0
    gauge.last_end = time.monotonic()
    assert gauge.busy()  # the next request of a burst is on its way
    assert not gauge.busy(now=gauge.last_end + 2 * pacing.RECENT_SECONDS)


async def test_the_middleware_counts_requests_until_they_end_even_on_error() -> None:
    gauge = RequestGauge()
    seen: list[int] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(gauge.in_flight)
        if scope["path"] == "/boom":
            raise RuntimeError("boom")
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    transport = httpx.ASGITransport(app=GaugeMiddleware(app, gauge), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/")).status_code == 204
        assert gauge.in_flight == 0
        assert (await client.get("/boom")).status_code == 500
    assert seen == [1, 1]
    assert gauge.in_flight == 0
    assert gauge.busy()  # it just ended


def test_only_a_paced_thread_pauses_and_only_while_requests_are_served() -> None:
    busy, idle = RequestGauge(), RequestGauge()
    busy.in_flight = 2
    assert pacing.pause_for(0.01, gauge=busy) == 0  # this thread is not paced
    pacing.pace_current_thread(0.2)
    assert pacing.is_paced()
    assert pacing.pause_for(0.01, gauge=busy) == pytest.approx(0.04)  # 20 % of the time
    assert pacing.pause_for(0.01, gauge=idle) == 0
    assert pacing.pause_for(10.0, gauge=busy) == pacing.MAX_PAUSE_SECONDS
    other: list[float] = []
    thread = threading.Thread(target=lambda: other.append(pacing.pause_for(0.01, gauge=busy)))
    thread.start()
    thread.join()
    assert other == [0]  # pacing belongs to the thread that asked for it


@pytest.mark.parametrize("share", [0, -0.1, 1.5])
def test_a_share_outside_zero_to_one_is_refused(share: float) -> None:
    with pytest.raises(ValueError, match="share"):
        pacing.pace_current_thread(share)


async def test_give_way_sleeps_the_pause() -> None:
    gauge = RequestGauge()
    gauge.in_flight = 1
    pacing.pace_current_thread(0.5)
    started = time.monotonic()
    slept = await pacing.give_way(0.02, gauge=gauge)
    assert slept == pytest.approx(0.02)
    assert time.monotonic() - started >= 0.015
    assert await asyncio.wait_for(pacing.give_way(0.02, gauge=RequestGauge()), 1) == 0


def test_the_gauge_wraps_the_app_only_when_the_embedded_worker_runs(tmp_path: object) -> None:
    def layers(**kwargs: object) -> list[type]:
        settings = Settings(secret_key="pacing-test-" + "x" * 32, var_dir=tmp_path,
                            _env_file=None, **kwargs)  # type: ignore[arg-type]
        app = create_app(settings, start_worker=True)
        return [m.cls for m in app.user_middleware]  # type: ignore[misc]

    assert layers()[0] is GaugeMiddleware  # outermost
    assert GaugeMiddleware not in layers(embedded_worker=False)
    assert GaugeMiddleware not in layers(broker_url="redis://127.0.0.1:6379/15")
