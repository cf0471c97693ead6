"""The SSRF guard: which addresses webhooks may reach, in development and outside it."""

from __future__ import annotations

import ipaddress

import pytest

from brain.webhooks.ssrf import UnsafeTarget, address_refusal, pinned_url, resolve_target


@pytest.mark.parametrize(("address", "reason"), [
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local"),
    ("224.0.0.1", "multicast"),
    ("0.0.0.0", "unspecified"),  # noqa: S104 - refused, not bound
    ("240.0.0.1", "reserved"),
    ("100.64.0.1", "not globally routable"),
    ("fe80::1", "link-local"),
    ("fc00::1", "private"),
    ("::ffff:10.0.0.1", "private"),
])
def test_non_public_addresses_are_refused_everywhere(address: str, reason: str) -> None:
    ip = ipaddress.ip_address(address)
    assert address_refusal(ip, allow_loopback=False) == reason
    assert address_refusal(ip, allow_loopback=True) == reason


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
def test_loopback_only_in_development(address: str) -> None:
    ip = ipaddress.ip_address(address)
    assert address_refusal(ip, allow_loopback=True) is None
    assert address_refusal(ip, allow_loopback=False) == "loopback"


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address), allow_loopback=False) is None


async def test_every_resolved_address_is_checked() -> None:
    target = await resolve_target("http://localhost:8123/x", development=True)
    assert all(a.is_loopback for a in target.addresses)
    with pytest.raises(UnsafeTarget, match="loopback"):
        await resolve_target("https://localhost/x", development=False)


@pytest.mark.parametrize(("url", "development", "message"), [
    ("ftp://example.com/x", True, "scheme"),
    ("http://93.184.216.34/x", False, "scheme"),
    ("https://user:pw@93.184.216.34/x", False, "credentials"),
    ("https:///x", False, "host"),
    ("https://10.0.0.1/x", True, "private"),
    ("https://[::1]/x", False, "loopback"),
    ("https://no-such-host.invalid/x", False, "does not resolve"),
    ("https://93.184.216.34:99999/x", False, "malformed"),
])
async def test_bad_targets_are_refused(url: str, development: bool, message: str) -> None:
    with pytest.raises(UnsafeTarget, match=message):
        await resolve_target(url, development=development)


async def test_requests_are_pinned_to_the_checked_address() -> None:
    target = await resolve_target("http://127.0.0.1:9000/a?b=1", development=True)
    assert pinned_url(target) == "http://127.0.0.1:9000/a?b=1"
    target6 = await resolve_target("https://[2606:2800:220:1:248:1893:25c8:1946]/p",
                                   development=False)
    assert pinned_url(target6) == "https://[2606:2800:220:1:248:1893:25c8:1946]:443/p"
