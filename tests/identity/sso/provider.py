"""The real OpenID provider of the SSO tests (tests/oidc_provider/provider.mjs, built on the
certified `oidc-provider` npm package), started on loopback, and a browser that walks the
authorization code flow through it without a login page."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

PROVIDER_DIR = Path(__file__).resolve().parents[2] / "oidc_provider"
PROVIDER_SCRIPT = PROVIDER_DIR / "provider.mjs"
INSTALL_HINT = "npm ci --prefix tests/oidc_provider"


class ProviderUnavailable(Exception):
    """Node is missing (the tests skip) — anything else is a failure."""


@dataclass
class OidcProvider:
    """A running provider: its issuer, its clients and its users."""

    issuer: str
    config: dict[str, Any]
    process: subprocess.Popen[bytes] = field(repr=False)
    log_path: Path = field(repr=False)

    @property
    def discovery_url(self) -> str:
        return self.issuer + "/.well-known/openid-configuration"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.process.stdin is not None:
            self.process.stdin.close()


def start_provider(config: dict[str, Any], workdir: Path, *, timeout: float = 30) -> OidcProvider:
    """Start provider.mjs on a free loopback port and wait for its discovery document."""
    node = shutil.which("node")
    if node is None:
        raise ProviderUnavailable("node is not installed")
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        raise RuntimeError(f"the OpenID provider's packages are missing: run `{INSTALL_HINT}`")
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "config.json"
    config_path.write_text(json.dumps(config))
    out_path, log_path = workdir / "stdout.log", workdir / "stderr.log"
    with out_path.open("wb") as out, log_path.open("wb") as err:
        process = subprocess.Popen(
            [node, str(PROVIDER_SCRIPT), "--port", "0", "--config", str(config_path),
             "--watch-stdin"],
            stdin=subprocess.PIPE, stdout=out, stderr=err, cwd=PROVIDER_DIR,
        )
    deadline = time.monotonic() + timeout
    issuer = None
    while time.monotonic() < deadline:
        for line in out_path.read_text().splitlines():
            if line.startswith("READY "):
                issuer = line.split(" ", 1)[1].strip()
        if issuer or process.poll() is not None:
            break
        time.sleep(0.05)
    if issuer is None:
        process.kill()
        raise RuntimeError(f"the OpenID provider did not start: {log_path.read_text()[-2000:]}")
    provider = OidcProvider(issuer=issuer, config=config, process=process, log_path=log_path)
    while time.monotonic() < deadline:
        try:
            if httpx.get(provider.discovery_url, timeout=2).status_code == 200:
                return provider
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    provider.stop()
    raise RuntimeError("the OpenID provider never served its discovery document")


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


class IdpBrowser:
    """The browser's side at the provider: its own cookie jar, redirects followed by hand."""

    def __init__(self) -> None:
        self.http = httpx.AsyncClient(timeout=10)

    async def close(self) -> None:
        await self.http.aclose()

    async def authorize(self, authorization_url: str, *, user: str | None = None,
                        deny: bool = False, fresh: bool = True) -> str:
        """Follow the authorization request through the provider's login (as `user`) and
        return the URL it redirects the browser back to (our callback, with code and state).
        `fresh`: forget the provider's session first, so the login page is not skipped."""
        if fresh:
            self.http.cookies.clear()
        response = await self.http.get(authorization_url)
        url = authorization_url
        for _ in range(10):
            if response.status_code not in (302, 303):
                raise AssertionError(f"provider answered {response.status_code}: "
                                     f"{response.text[:300]}")
            location = urljoin(url, response.headers["location"])
            if not location.startswith(self.issuer_of(authorization_url)):
                return location
            if "/interaction/" in location:
                params: dict[str, str] = {"deny": "1"} if deny else {}
                if user is not None and not deny:
                    params["user"] = user
                response = await self.http.get(location, params=params)
            else:
                response = await self.http.get(location)
            url = location
        raise AssertionError("too many redirects at the provider")

    @staticmethod
    def issuer_of(url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"
