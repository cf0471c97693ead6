"""CSRF double-submit: cookie-authenticated writes must echo the `brain_csrf` cookie in
`X-CSRF-Token`; bearer API keys are exempt."""

from __future__ import annotations

from typing import Any

from tests.factories import Tenant
from tests.identity.helpers import (
    AUTH,
    AuthClient,
    problem_kind,
    register,
)

# (method, path template, json body) of cookie-authenticated writes.
_WRITES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("PATCH", f"{AUTH}/me", {"name": "New Name"}),
    ("POST", f"{AUTH}/switch-organization", {"organization_id": "{org}"}),
    ("POST", f"{AUTH}/password", {"current_password": "x", "new_password": "y" * 12}),
    ("POST", f"{AUTH}/verify/resend", None),
    ("DELETE", f"{AUTH}/sessions", None),
    ("DELETE", f"{AUTH}/sessions/{{session}}", None),
    ("POST", f"{AUTH}/logout", None),
    ("PATCH", "/api/v1/organizations/{org}", {"name": "Renamed"}),
]


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


async def test_cookie_writes_without_or_with_a_wrong_token_are_403(
    browser: AuthClient,
) -> None:
    _, account = await register(browser)
    session_id = (await browser.get(f"{AUTH}/sessions")).json()["data"][0]["id"]
    ids = {"org": str(account.organization_id), "session": session_id}
    for method, template, body in _WRITES:
        url = _fill(template, ids)
        for headers in ({}, {"X-CSRF-Token": "wrong"}, {"X-CSRF-Token": ""}):
            response = await browser.request(method, url, json=_fill(body, ids),
                                             headers=headers)
            assert response.status_code == 403, (method, url, headers, response.text)
            assert problem_kind(response) == "csrf-failed"
    # The session survived every refused write.
    me = await browser.get(f"{AUTH}/me")
    assert me.status_code == 200
    assert me.json()["user"]["name"] == "Ana Torres"


async def test_the_csrf_cookie_must_be_present_too(browser: AuthClient) -> None:
    """Echoing a value without the cookie (a forged header alone) is refused."""
    await register(browser)
    csrf = browser.csrf()
    browser.cookies.delete("brain_csrf")
    response = await browser.patch(f"{AUTH}/me", json={"name": "X"}, headers=csrf)
    assert response.status_code == 403
    assert problem_kind(response) == "csrf-failed"


async def test_cookie_writes_with_the_token_pass(browser: AuthClient) -> None:
    _, account = await register(browser)
    response = await browser.patch_csrf(f"{AUTH}/me", json={"name": "Ana María"})
    assert response.status_code == 200
    response = await browser.patch_csrf(f"/api/v1/organizations/{account.organization_id}",
                                        json={"name": "Renamed Co"})
    assert response.status_code == 200


async def test_reads_need_no_csrf_token(browser: AuthClient) -> None:
    await register(browser)
    assert (await browser.get(f"{AUTH}/me")).status_code == 200
    assert (await browser.get(f"{AUTH}/sessions")).status_code == 200


async def test_bearer_api_keys_are_exempt(browser: AuthClient, tenant: Tenant) -> None:
    """An API key writes without any CSRF token, even with a session cookie alongside."""
    response = await browser.post(tenant.path("/api-keys"), json={"name": "ci"},
                                  headers=tenant.admin)
    assert response.status_code == 201, response.text
    await register(browser)
    response = await browser.patch(tenant.path(), json={"name": "Renamed by key"},
                                   headers=tenant.admin)
    assert response.status_code == 200, response.text
