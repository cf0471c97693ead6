"""The SPA serving rules: files, the index fallback, JSON 404s for the API, caching, CSP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from brain.app import create_app
from brain.core.jobs import InlineDispatcher
from brain.core.runtime import Runtime
from brain.settings import Settings
from brain.web import CONTENT_SECURITY_POLICY

INDEX = '<!doctype html><html><head><script type="module" src="/assets/app-abc123.js"></script></head><body><div id="root"></div></body></html>'  # noqa: E501


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(INDEX)
    (tmp_path / "assets" / "app-abc123.js").write_text("console.log('brain')")
    (tmp_path / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    return tmp_path


@pytest_asyncio.fixture
async def web(
    settings: Settings, runtime: Runtime, dispatcher: InlineDispatcher, dist: Path
) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(settings, runtime=runtime, dispatcher=dispatcher)
    application.state.web_dist = dist
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def test_root_serves_index_without_caching(web: httpx.AsyncClient) -> None:
    response = await web.get("/")
    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    "path", ["/login", "/settings/members", "/verify?token=abc", "/a/b/c/d", "/index.html"]
)
async def test_app_routes_fall_back_to_index(web: httpx.AsyncClient, path: str) -> None:
    response = await web.get(path)
    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["cache-control"] == "no-cache"


async def test_hashed_assets_are_immutable(web: httpx.AsyncClient) -> None:
    response = await web.get("/assets/app-abc123.js")
    assert response.status_code == 200
    assert response.text == "console.log('brain')"
    assert "javascript" in response.headers["content-type"]
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


async def test_other_files_are_revalidated(web: httpx.AsyncClient) -> None:
    response = await web.get("/favicon.svg")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"


async def test_missing_asset_is_a_plain_404(web: httpx.AsyncClient) -> None:
    response = await web.get("/assets/app-gone.js")
    assert response.status_code == 404
    assert "html" not in response.headers["content-type"]


@pytest.mark.parametrize("path", ["/api", "/api/v1/nope", "/api/nothing/here"])
async def test_unknown_api_paths_are_json_problems(web: httpx.AsyncClient, path: str) -> None:
    response = await web.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404


async def test_path_traversal_does_not_escape_the_build(
    web: httpx.AsyncClient, dist: Path
) -> None:
    (dist.parent / "secret.txt").write_text("secret")
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt"):
        response = await web.get(path)
        assert "secret" not in response.text


async def test_csp_is_strict(web: httpx.AsyncClient) -> None:
    policy = (await web.get("/")).headers["content-security-policy"]
    directives = dict(
        (part.split(" ", 1)[0], part.split(" ", 1)[1]) for part in policy.split("; ")
    )
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in directives["script-src"]
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"


async def test_api_routes_still_work(web: httpx.AsyncClient) -> None:
    response = await web.get("/api/v1/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_missing_build_explains_how_to_build(
    web: httpx.AsyncClient, tmp_path: Path
) -> None:
    web_app = web._transport.app  # type: ignore[attr-defined]
    web_app.state.web_dist = tmp_path / "not-built"
    response = await web.get("/settings")
    assert response.status_code == 503
    assert "scripts/bootstrap" in response.text
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert (await web.get("/api/v1/healthz")).status_code == 200


async def test_text_files_are_gzipped_when_accepted(web: httpx.AsyncClient) -> None:
    response = await web.get("/assets/app-abc123.js", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.text == "console.log('brain')"  # httpx decodes it
    page = await web.get("/members", headers={"Accept-Encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip"
    assert page.text == INDEX
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


async def test_files_are_plain_without_gzip(web: httpx.AsyncClient) -> None:
    response = await web.get("/assets/app-abc123.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in response.headers
    assert response.text == "console.log('brain')"
