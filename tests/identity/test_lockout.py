"""The auth throttle on its own: back-off arithmetic, the cap, keyed hashes, IP strikes and
fixed windows, with a frozen clock and the in-process cache (Redis in the PostgreSQL run)."""

from __future__ import annotations

from datetime import timedelta

from brain.core.cache import Cache
from brain.core.clock import FrozenClock
from brain.identity.lockout import LOCKOUT_CAP, AuthThrottle
from brain.settings import Settings


def _throttle(cache: Cache, settings: Settings, clock: FrozenClock, **changes: int) -> AuthThrottle:
    return AuthThrottle(cache, settings.model_copy(update=changes), clock)


async def test_account_backoff_doubles_and_is_capped(
    cache: Cache, settings: Settings, frozen_clock: FrozenClock
) -> None:
    guard = _throttle(cache, settings, frozen_clock, login_max_failures=3,
                      login_lockout_base_seconds=10)
    email = "victim@example.com"
    for _ in range(2):
        await guard.login_failed(email=email, ip=None)
    assert await guard.login_locked(email=email, ip=None) is None
    waits = []
    for _ in range(12):
        await guard.login_failed(email=email, ip=None)
        locked = await guard.login_locked(email=email, ip=None)
        assert locked is not None
        assert locked.scope == "account"
        waits.append(locked.retry_after)
        frozen_clock.advance(timedelta(seconds=locked.retry_after))
        assert await guard.login_locked(email=email, ip=None) is None
    assert waits[:6] == [10, 20, 40, 80, 160, 320]
    assert max(waits) == int(LOCKOUT_CAP.total_seconds())
    await guard.login_succeeded(email=email)
    await guard.login_failed(email=email, ip=None)
    assert await guard.login_locked(email=email, ip=None) is None


async def test_keys_are_keyed_hashes_not_raw_values(
    cache: Cache, settings: Settings, frozen_clock: FrozenClock
) -> None:
    guard = _throttle(cache, settings, frozen_clock)
    digest = guard.digest("Victim@Example.com ")
    assert digest == guard.digest("victim@example.com")
    assert "victim" not in digest
    other_secret = AuthThrottle(
        cache, settings.model_copy(update={"secret_key": "another-secret-" + "y" * 32}),
        frozen_clock,
    )
    assert other_secret.digest("victim@example.com") != digest


async def test_ip_strikes(cache: Cache, settings: Settings, frozen_clock: FrozenClock) -> None:
    guard = _throttle(cache, settings, frozen_clock, login_ip_per_minute=3,
                      login_lockout_base_seconds=30, login_max_failures=100)
    ip = "198.51.100.7"
    for n in range(3):
        await guard.login_failed(email=f"u{n}@example.com", ip=ip)
    assert await guard.login_locked(email="fresh@example.com", ip=ip) is None
    await guard.login_failed(email="u4@example.com", ip=ip)
    locked = await guard.login_locked(email="fresh@example.com", ip=ip)
    assert locked is not None
    assert (locked.scope, locked.retry_after) == ("ip", 30)
    assert await guard.login_locked(email="fresh@example.com", ip="198.51.100.8") is None
    frozen_clock.advance(timedelta(seconds=60))
    assert await guard.login_locked(email="fresh@example.com", ip=ip) is None
    for n in range(4):
        await guard.login_failed(email=f"v{n}@example.com", ip=ip)
    second = await guard.login_locked(email="fresh@example.com", ip=ip)
    assert second is not None
    assert second.retry_after == 60  # the second strike doubles


async def test_fixed_window_limit(cache: Cache, settings: Settings,
                                  frozen_clock: FrozenClock) -> None:
    guard = _throttle(cache, settings, frozen_clock)
    frozen_clock.set(frozen_clock.now().replace(minute=0, second=0) + timedelta(seconds=40))
    for _ in range(2):
        assert await guard.hit("b", "s", limit=2, window_seconds=60) is None
    over = await guard.hit("b", "s", limit=2, window_seconds=60)
    assert over is not None
    assert over.retry_after == 20
    assert await guard.hit("b", "other", limit=2, window_seconds=60) is None
    frozen_clock.advance(timedelta(seconds=20))
    assert await guard.hit("b", "s", limit=2, window_seconds=60) is None
