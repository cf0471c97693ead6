"""How the OAuth callback answers: a browser (the provider redirected the user there) goes on
to the web app's connections page; an API client that asks for JSON gets JSON.

Success → `303 /connections/{id}?connected=1`; the user refused at the provider →
`303 /connections/{id}?error=authorization-refused`; any other failure →
`303 /connections?error=<problem type slug>` (the `type` of the problem an API client
would have got). Never a raw JSON document in a browser tab.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from brain.core.errors import PROBLEM_KINDS, ProblemError

PROBLEM_KINDS.setdefault("authorization-refused", (
    "Authorization refused",
    "The user (or the provider) declined the authorization; the connection stays pending. "
    "Start connecting again.",
))
PROBLEM_KINDS.setdefault("provider-error", (
    "Provider error",
    "The provider refused or failed a request Brain made on the user's behalf (e.g. "
    "exchanging the OAuth code for tokens); nothing was stored. Try again later.",
))

CONNECTIONS_PATH = "/connections"
_NO_STORE = {"Cache-Control": "no-store"}


def wants_json(request: Request) -> bool:
    """An API client that asked for JSON (and not for a page)."""
    accept = request.headers.get("accept", "").lower()
    if "text/html" in accept:
        return False
    return "application/json" in accept or "application/problem+json" in accept


def _redirect(path: str, query: dict[str, str]) -> Response:
    return RedirectResponse(f"{path}?{urlencode(query)}", status_code=303, headers=_NO_STORE)


def connected(connection_id: uuid.UUID) -> Response:
    return _redirect(f"{CONNECTIONS_PATH}/{connection_id}", {"connected": "1"})


def refused(connection_id: uuid.UUID) -> Response:
    return _redirect(f"{CONNECTIONS_PATH}/{connection_id}", {"error": "authorization-refused"})


def failed(problem: ProblemError) -> Response:
    return _redirect(CONNECTIONS_PATH, {"error": problem.kind})
