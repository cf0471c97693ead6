"""Serving the web app (the React SPA built into `web/dist`) at `/`.

Why here and not behind a separate web server: the embedded mode is one process, and the SPA
talks to the API with the session cookie, so it must be same-origin. The rules:

* a file that exists in the build is served as is; hashed bundles under `/assets/` are
  immutable, so browsers cache them for a year;
* any other path is an app route (`/settings/members`, `/verify?token=…`): it gets
  `index.html`, which is never cached (it names the current bundles);
* `/api/*` never reaches here (the API's catch-all answers a JSON 404 problem first);
* every page carries a strict Content-Security-Policy: scripts only from this origin, no
  inline script, no framing. Styles allow inline attributes because the component library
  sets CSS variables through `style=""`; no script can be injected through them.

When `web/dist` is missing (the app was not built), `/` explains how to build it instead of
failing: the API keeps working.
"""

from __future__ import annotations

import gzip
import html
import mimetypes
import re
from functools import lru_cache
from pathlib import Path

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response

from brain.core.errors import problem_response
from brain.settings import PROJECT_ROOT

DEFAULT_DIST = PROJECT_ROOT / "web" / "dist"

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"
PAGE_HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY}

_NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Brain — web app not built</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>The web app is not built yet</h1>
<p>Run <code>scripts/bootstrap</code> (it builds <code>{dist}</code>), then reload this page.</p>
<p>The API is up: see <a href="/api/docs">the API documentation</a>.</p></main></body></html>
"""


def _resolve(dist: Path, path: str) -> Path | None:
    """The build file `path` names, or None (missing, a directory, or outside the build)."""
    if not path or "\x00" in path:
        return None
    try:
        candidate = (dist / path).resolve()
        root = dist.resolve()
    except (OSError, RuntimeError):
        return None
    if root not in candidate.parents or not candidate.is_file():
        return None
    return candidate


COMPRESSIBLE = {".js", ".css", ".svg", ".json", ".html", ".txt", ".map"}


@lru_cache(maxsize=256)
def _compress(file: Path, mtime_ns: int, size: int) -> bytes:
    """The gzip of a build file, once per version of it (the key includes mtime and size)."""
    return gzip.compress(file.read_bytes(), compresslevel=9, mtime=0)


def _gzipped(file: Path, headers: dict[str, str]) -> Response:
    """A build file gzip-encoded: the bundles are text and shrink about 3x, which matters on
    slow links (the API's JSON is left alone; only these static files are compressed)."""
    stat = file.stat()
    body = _compress(file, stat.st_mtime_ns, stat.st_size)
    media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    return Response(
        body, media_type=media_type,
        headers={**headers, "Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
    )


def spa_response(dist: Path, path: str, *, gzip_ok: bool = False) -> Response:
    """The response for a non-API GET of `path` (without the leading slash); `gzip_ok` when
    the client accepts gzip."""
    index = dist / "index.html"
    if not index.is_file():
        return HTMLResponse(
            _NOT_BUILT.format(dist=html.escape(str(dist))),
            status_code=503,
            headers={**PAGE_HEADERS, "Cache-Control": NO_CACHE},
        )
    file = _resolve(dist, path)
    if file is not None and file.name != "index.html":
        cache = IMMUTABLE if path.startswith("assets/") else NO_CACHE
        headers = {**PAGE_HEADERS, "Cache-Control": cache}
        if gzip_ok and file.suffix in COMPRESSIBLE:
            return _gzipped(file, headers)
        return FileResponse(file, headers=headers)
    if path.startswith("assets/"):
        # A bundle that is gone (an old tab after a deploy): a real 404, not the HTML shell,
        # which the browser would try to execute as JavaScript.
        return Response(
            "Not found", status_code=404, media_type="text/plain",
            headers={"Cache-Control": NO_CACHE},
        )
    headers = {**PAGE_HEADERS, "Cache-Control": NO_CACHE}
    if gzip_ok:
        return _gzipped(index, headers)
    return FileResponse(index, media_type="text/html", headers=headers)


def install_spa(app: FastAPI, dist: Path | None = None) -> None:
    """Serve the SPA for every GET/HEAD that no other route took (register it last).

    The build directory is read from `app.state.web_dist` at request time, so tests can
    point it at a directory of their own."""
    app.state.web_dist = dist or DEFAULT_DIST

    @app.api_route("/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
    async def web_app(request: Request, path: str) -> Response:
        if path == "api":
            return problem_response(request.url.path, 404, "No such route.")
        accepts = request.headers.get("accept-encoding", "")
        return spa_response(Path(request.app.state.web_dist), path, gzip_ok="gzip" in accepts)

    # Never match `/api/…`: the API's catch-all answers those, and the `Allow` header of its
    # 405s is computed from the routes that match a path, which must not include this one.
    route = app.router.routes[-1]
    assert isinstance(route, APIRoute)
    assert route.endpoint is web_app
    route.path_regex = re.compile(r"^/(?!api/)(?P<path>.*)$")
