"""Every /api/v1/auth route that needs a logged-in user answers 401 (problem details with
`WWW-Authenticate`) without a session, with a bad, expired or revoked one, and with an API
key. The routes are found from the app (any auth route depending on `current_session`), and
each request is built from its own OpenAPI schema, so a new route is covered automatically."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from brain.core.clock import FrozenClock
from brain.core.deps import current_session
from tests.factories import Tenant
from tests.identity.conftest import AuthClientFactory
from tests.identity.helpers import AUTH, register
from tests.platform.helpers import problem_violations
from tests.platform.openapi_walk import Operation, RequestBuilder, spec_operations

# The session-only operations of this area; all must be among those found.
EXPECTED = {
    "get_me", "update_me", "switch_organization", "list_sessions", "get_session",
    "revoke_session", "revoke_other_sessions", "logout", "change_password",
    "resend_verification_email", "list_passkeys", "get_passkey", "rename_passkey",
    "delete_passkey", "start_passkey_registration", "finish_passkey_registration",
}
# Anonymous by design.
PUBLIC = {"register", "login", "verify_email", "request_password_reset", "reset_password",
          "start_passkey_mfa", "finish_passkey_mfa", "start_passkey_login",
          "finish_passkey_login", "discover_sso"}


def _depends_on_session(dependant: Dependant) -> bool:
    return any(
        sub.call is current_session or _depends_on_session(sub)
        for sub in dependant.dependencies
    )


def _session_operations(app: FastAPI) -> Iterator[Operation]:
    needs_session = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if (isinstance(route, APIRoute) and (context.path or "").startswith(AUTH)
                and _depends_on_session(route.dependant)):
            needs_session.add(route.operation_id)
    for method, path, spec in spec_operations(app.openapi()):
        if spec.get("operationId") in needs_session:
            yield Operation(method=method, path=path, operation_id=spec["operationId"],
                            spec=spec, permissions=frozenset())


def test_the_route_inventory(auth_app: FastAPI) -> None:
    found = {op.operation_id for op in _session_operations(auth_app)}
    assert found >= EXPECTED, EXPECTED - found
    assert not found & PUBLIC


async def test_every_session_route_is_401_without_a_valid_session(
    auth_app: FastAPI, make_client: AuthClientFactory, tenant: Tenant,
    frozen_clock: FrozenClock,
) -> None:
    operations = list(_session_operations(auth_app))
    builder = RequestBuilder(auth_app.openapi(), {"session_id": str(uuid.uuid4()),
                                                  "passkey_id": str(uuid.uuid4())})
    async with make_client() as expired:
        await register(expired)
        frozen_clock.advance(timedelta(hours=13))
        variants: dict[str, dict[str, str]] = {
            "nothing": {},
            "garbage cookie": {"Cookie": "brain_session=garbage; brain_csrf=x"},
            "empty cookie": {"Cookie": "brain_session=; brain_csrf=x"},
            "api key": tenant.admin,
            "expired session": {
                "Cookie": f"brain_session={expired.session_token}; "
                          f"brain_csrf={expired.cookies.get('brain_csrf')}",
                "X-CSRF-Token": str(expired.cookies.get("brain_csrf")),
            },
        }
        failures: list[str] = []
        async with make_client() as anonymous:
            for operation in operations:
                plan = builder.build(operation)
                for label, headers in variants.items():
                    response = await anonymous.request(
                        plan.method, plan.url, headers={**plan.headers, **headers},
                        **plan.kwargs(),
                    )
                    violations = problem_violations(response, 401, "unauthorized")
                    if not response.headers.get("www-authenticate", "").startswith("Bearer"):
                        violations.append("no WWW-Authenticate")
                    failures += [f"{operation} [{label}]: {v}" for v in violations]
    assert not failures, "\n".join(failures)


async def test_a_logged_out_session_is_401(make_client: AuthClientFactory) -> None:
    async with make_client() as client:
        await register(client)
        token = client.session_token
        csrf = client.csrf()
        await client.post(f"{AUTH}/logout", headers=csrf)
    async with make_client() as replay:
        replay.cookies.set("brain_session", str(token))
        assert (await replay.get(f"{AUTH}/me")).status_code == 401
        assert (await replay.get(f"{AUTH}/sessions")).status_code == 401
