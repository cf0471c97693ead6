"""Device descriptions from User-Agent strings."""

from __future__ import annotations

import pytest

from brain.identity.useragent import describe_device
from tests.identity.helpers import CHROME_MAC, FIREFOX_WINDOWS


@pytest.mark.parametrize(
    ("agent", "device"),
    [
        (CHROME_MAC, "Chrome 120 on macOS"),
        (FIREFOX_WINDOWS, "Firefox 121 on Windows 10"),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
         "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
         "Mobile Safari 17 on iOS 17"),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/120.0.0.0 Mobile Safari/537.36", "Chrome Mobile 120 on Android 14"),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
         "Firefox 121 on Linux"),
        ("curl/8.5.0", "curl 8"),
        ("", "Unknown device"),
        (None, "Unknown device"),
        ("\x00<script>", "Unknown device"),
    ],
)
def test_describe_device(agent: str | None, device: str) -> None:
    assert describe_device(agent) == device
