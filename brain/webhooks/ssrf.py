"""SSRF guard for outbound webhook targets: only public unicast addresses outside development
(loopback is also allowed in development). Every resolved address is checked, at
registration and again at delivery time, and the request is pinned to a checked address
so DNS cannot change between the check and the connection (rebinding)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_URL_LENGTH = 2000


class UnsafeTarget(ValueError):
    """The URL is malformed or points at an address webhooks may not reach."""


@dataclass(frozen=True)
class ResolvedTarget:
    """A checked URL and the addresses its host resolved to (all allowed)."""

    url: str
    host: str
    port: int
    scheme: str
    addresses: tuple[IPAddress, ...]


def address_refusal(address: IPAddress, *, allow_loopback: bool) -> str | None:
    """Why `address` may not be a webhook target, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address_refusal(address.ipv4_mapped, allow_loopback=allow_loopback)
    if address.is_loopback:
        return None if allow_loopback else "loopback"
    checks = (
        ("unspecified", address.is_unspecified),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("not globally routable", not address.is_global),
    )
    for reason, hit in checks:
        if hit:
            return reason
    return None


def parse_target(url: str, *, development: bool) -> SplitResult:
    """Syntax checks: http(s) (https only outside development), a host, no credentials."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeTarget(f"the URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget("the URL is malformed") from exc
    allowed_schemes = {"https", "http"} if development else {"https"}
    if parts.scheme not in allowed_schemes:
        raise UnsafeTarget(f"the URL scheme must be one of {sorted(allowed_schemes)}")
    if not parts.hostname:
        raise UnsafeTarget("the URL has no host")
    if parts.username or parts.password:
        raise UnsafeTarget("the URL must not carry credentials")
    if port == 0:
        raise UnsafeTarget("the URL port must not be 0")
    return parts


async def resolve_target(url: str, *, development: bool) -> ResolvedTarget:
    """Parse `url`, resolve its host and refuse it unless every address is allowed."""
    parts = parse_target(url, development=development)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses: tuple[IPAddress, ...] = (literal,)
    else:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise UnsafeTarget(f"the host {host!r} does not resolve") from exc
        addresses = tuple(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
        if not addresses:
            raise UnsafeTarget(f"the host {host!r} does not resolve")
    for address in addresses:
        reason = address_refusal(address, allow_loopback=development)
        if reason is not None:
            raise UnsafeTarget(f"the host resolves to a {reason} address ({address})")
    return ResolvedTarget(url=url, host=host, port=port, scheme=parts.scheme,
                          addresses=addresses)


def pinned_url(target: ResolvedTarget) -> str:
    """The target URL with its host replaced by the first checked address."""
    parts = urlsplit(target.url)
    address = target.addresses[0]
    host = f"[{address}]" if isinstance(address, ipaddress.IPv6Address) else str(address)
    netloc = f"{host}:{target.port}"
    return parts._replace(netloc=netloc).geturl()
