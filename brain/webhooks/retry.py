"""The retry schedule of outbound deliveries and the `Retry-After` header."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

# Delay before attempt n+1 after attempt n failed: immediate, 5 s, 5 min, 30 min, 2 h, 5 h,
# 10 h, 10 h — eight attempts over about 28 hours, then the delivery is a dead letter.
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
MAX_ATTEMPTS = len(RETRY_DELAYS)
# Each delay is stretched by up to 10 % at random, so failed endpoints' retries spread out.
JITTER_FRACTION = 0.1
# A receiver's Retry-After is honoured up to a day.
MAX_RETRY_AFTER = timedelta(hours=24)
# An endpoint failing without a single success for this long is disabled.
AUTO_DISABLE_AFTER = timedelta(days=5)

_rng = random.SystemRandom()


def retry_delay(attempts_made: int, retry_after: timedelta | None = None) -> timedelta | None:
    """When to try again after `attempts_made` failed attempts (None: give up). The
    scheduled delay with jitter, or the receiver's `Retry-After` when that is later."""
    if attempts_made >= MAX_ATTEMPTS:
        return None
    base = RETRY_DELAYS[attempts_made]
    delay = base * (1 + _rng.uniform(0, JITTER_FRACTION))
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """`Retry-After` as delta-seconds or an HTTP date (RFC 9110 §10.2.3); None if absent or
    unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(moment - now, timedelta(0))
