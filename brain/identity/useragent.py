"""A short, human description of a session's device from its User-Agent ("Chrome 120 on
macOS"), parsed with `ua-parser` (uap-core's regexes)."""

from __future__ import annotations

from functools import lru_cache

from ua_parser import parse

UNKNOWN_DEVICE = "Unknown device"
# uap-core's OS family -> the name people know.
_OS_NAMES = {
    "Mac OS X": "macOS",
    "Mac OS": "macOS",
    "Chrome OS": "ChromeOS",
}
# OS families whose major version is worth showing.
_VERSIONED_OS = {"Windows", "iOS", "iPadOS", "Android"}


@lru_cache(maxsize=2048)
def describe_device(user_agent: str | None) -> str:
    """"Chrome 120 on macOS", "Firefox 121 on Windows 10", "curl 8", or "Unknown device"."""
    if not user_agent:
        return UNKNOWN_DEVICE
    result = parse(user_agent[:500])
    browser = ""
    if result.user_agent is not None and result.user_agent.family != "Other":
        browser = result.user_agent.family
        if result.user_agent.major:
            browser += f" {result.user_agent.major}"
    system = ""
    if result.os is not None and result.os.family != "Other":
        family = result.os.family
        system = _OS_NAMES.get(family, family)
        if family in _VERSIONED_OS and result.os.major:
            system += f" {result.os.major}"
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or UNKNOWN_DEVICE
