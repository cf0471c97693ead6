"""Login throttling: exponential back-off per account and per client IP, plus small fixed-window
limits for the other unauthenticated auth endpoints.

* **Account.** Failed logins for one email are counted (for 24 h from the first failure).
  From the `login_max_failures`-th failure on, the account is locked for
  `login_lockout_base_seconds`, doubling with every further failure, capped at one hour.
  A successful login (or a password reset) clears the count. Unknown emails are counted
  exactly like known ones, so a lock never tells whether an account exists.
* **IP.** Failed logins from one IP are counted per clock minute; each minute that goes over
  `login_ip_per_minute` failures is a strike, and the IP is locked for the same back-off
  (base * 2^(strikes - 1), capped), strikes remembered for 24 h.

Counters live in the cache (Redis when configured, so every API replica sees them) under
HMAC-SHA256 digests of the email and of the IP, never the raw values. Lock deadlines and
windows come from the runtime clock, so tests move time instead of sleeping.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from brain.core.cache import Cache
from brain.core.clock import Clock
from brain.settings import Settings

LOCKOUT_CAP = timedelta(hours=1)
ACCOUNT_WINDOW_SECONDS = 24 * 3600
STRIKE_WINDOW_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Locked:
    """The caller must wait `retry_after` seconds."""

    retry_after: int
    scope: str  # "account" | "ip" | "rate"


class AuthThrottle:
    """Back-off and rate limits for the auth endpoints; one per request."""

    def __init__(self, cache: Cache, settings: Settings, clock: Clock) -> None:
        self.cache = cache
        self.settings = settings
        self.clock = clock
        self._key = hashlib.sha256(
            b"brain-auth-throttle:" + settings.resolved_secret_key().encode()
        ).digest()

    def digest(self, value: str) -> str:
        """A keyed hash of an email or IP: stable across replicas, not reversible."""
        return hmac.new(self._key, value.strip().lower().encode(), hashlib.sha256).hexdigest()[
            :32
        ]

    def _backoff(self, step: int) -> timedelta:
        seconds = self.settings.login_lockout_base_seconds * (2 ** min(step, 20))
        return min(timedelta(seconds=seconds), LOCKOUT_CAP)

    async def _lock(self, key: str, duration: timedelta) -> None:
        until = self.clock.now() + duration
        await self.cache.set(key, until.isoformat().encode(), int(duration.total_seconds()) + 60)

    async def _remaining(self, key: str) -> int | None:
        raw = await self.cache.get(key)
        if raw is None:
            return None
        remaining = (datetime.fromisoformat(raw.decode()) - self.clock.now()).total_seconds()
        return math.ceil(remaining) if remaining > 0 else None

    def _minute(self) -> int:
        return int(self.clock.now().timestamp() // 60)

    # -- login ------------------------------------------------------------------------------

    async def login_locked(self, *, email: str, ip: str | None) -> Locked | None:
        """Whether a login for `email` from `ip` must wait (checked before the password)."""
        account = await self._remaining(f"auth-lock:acct:{self.digest(email)}")
        by_ip = await self._remaining(f"auth-lock:ip:{self.digest(ip)}") if ip else None
        if account is None and by_ip is None:
            return None
        if by_ip is not None and (account is None or by_ip > account):
            return Locked(retry_after=by_ip, scope="ip")
        assert account is not None
        return Locked(retry_after=account, scope="account")

    async def login_failed(self, *, email: str, ip: str | None) -> None:
        """Count a failed login; lock the account and/or IP once over their thresholds."""
        account = self.digest(email)
        failures = await self.cache.incr(f"auth-fail:acct:{account}", ACCOUNT_WINDOW_SECONDS)
        threshold = self.settings.login_max_failures
        if failures >= threshold:
            await self._lock(f"auth-lock:acct:{account}", self._backoff(failures - threshold))
        if not ip:
            return
        address = self.digest(ip)
        in_minute = await self.cache.incr(f"auth-fail:ip:{address}:{self._minute()}", 120)
        if in_minute > self.settings.login_ip_per_minute:
            strikes = await self.cache.incr(f"auth-strike:ip:{address}", STRIKE_WINDOW_SECONDS)
            await self._lock(f"auth-lock:ip:{address}", self._backoff(strikes - 1))

    async def login_succeeded(self, *, email: str) -> None:
        """Clear the account's failure count and lock (the IP's stay)."""
        account = self.digest(email)
        await self.cache.delete(f"auth-fail:acct:{account}")
        await self.cache.delete(f"auth-lock:acct:{account}")

    # -- other endpoints ----------------------------------------------------------------------

    async def hit(
        self, bucket: str, subject: str, *, limit: int, window_seconds: int
    ) -> Locked | None:
        """Count one request of `subject` in `bucket`'s current clock window; Locked when over
        `limit`."""
        now = self.clock.now().timestamp()
        window = int(now // window_seconds)
        key = f"auth-rate:{bucket}:{self.digest(subject)}:{window}"
        count = await self.cache.incr(key, window_seconds * 2)
        if count <= limit:
            return None
        retry_after = max(1, math.ceil((window + 1) * window_seconds - now))
        return Locked(retry_after=retry_after, scope="rate")
