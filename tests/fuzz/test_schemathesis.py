"""Property-based fuzzing of the whole OpenAPI spec with schemathesis, in process over ASGI.

Requests are authorized with an admin key of a tenant made for the run (committed to the test
database), whose organization id is fixed in the path so most requests get past
authentication; other path ids point at that tenant's own objects. The run is bounded
(`BRAIN_FUZZ_MAX_EXAMPLES` per operation, 25 by default) and deterministic, so CI stays fast
and stable; raise the number and set `BRAIN_FUZZ_RANDOM=1` locally to search deeper."""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode
from schemathesis.python import asgi

from brain.app import create_app
from brain.core.cache import create_cache
from brain.core.clock import SystemClock
from brain.core.db import create_engine, create_session_factory, system_session
from brain.core.jobs import InlineDispatcher
from brain.core.models import utcnow
from brain.core.runtime import Runtime
from brain.identity.models import User
from brain.identity.sessions import start_session
from brain.organizations.models import Membership
from brain.organizations.permissions import Role
from brain.settings import Settings
from tests.conftest import migrated_database
from tests.factories import make_tenant, put_on_plan
from tests.platform.openapi_walk import route_permissions
from tests.platform.tenant_objects import seed_objects

MAX_EXAMPLES = int(os.environ.get("BRAIN_FUZZ_MAX_EXAMPLES", "25"))
# Deterministic in CI; BRAIN_FUZZ_RANDOM=1 explores new inputs on every run.
DERANDOMIZE = os.environ.get("BRAIN_FUZZ_RANDOM", "") != "1"
REQUEST_TIMEOUT_SECONDS = 60
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass(frozen=True)
class FuzzTenant:
    admin_token: str
    owner_session: str
    path_ids: dict[str, str]


# Secured operations whose body carries a second secret (a current password, a TOTP code):
# a generated value is rightly refused with 401/403. Logout ends the fuzz session it uses.
SECRET_IN_BODY = {
    "POST /api/v1/auth/password",
    "POST /api/v1/auth/mfa/totp/confirm",
    "DELETE /api/v1/auth/mfa/totp",
    "POST /api/v1/auth/mfa/recovery-codes",
    "POST /api/v1/auth/logout",
    "POST /api/v1/auth/verify/resend",
    # Adding a passkey re-authenticates with the password or a code given in the body.
    "POST /api/v1/auth/webauthn/register/options",
    # Only owners make owners: a generated body asking for "owner" is rightly refused to
    # the admin key.
    "PATCH /api/v1/organizations/{org_id}/members/{member_id}",
    "POST /api/v1/organizations/{org_id}/invites",
}
# Permissions no API key holds (owner only): those operations run with the owner's session.
OWNER_ONLY = {"billing:manage", "organization:delete"}
CSRF = "fuzz-csrf-token"


@pytest.fixture(scope="session")
def fuzz_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A database of the fuzz's own: what it commits must not leak into other tests."""
    with migrated_database(tmp_path_factory.mktemp("fuzz"), "fuzz") as settings:
        yield settings


@pytest_asyncio.fixture(scope="session")
async def fuzz_tenant(fuzz_settings: Settings) -> FuzzTenant:
    """A tenant with one object of every kind, committed for the whole run."""
    engine = create_engine(fuzz_settings, null_pool=True)
    factory = create_session_factory(engine)
    try:
        tenant = await make_tenant(factory, "Fuzz tenant")
        # Enterprise: every module, feature and volume, so the plan lets the fuzz in.
        await put_on_plan(factory, tenant.id, "enterprise")
        async with system_session(factory) as session:
            # `key_id` is the viewer key's: revoking it must not end the admin's run.
            objects = await seed_objects(session, tenant, "Fuzz")
            # Also a platform operator, so /api/v1/admin/* lets the fuzz in.
            owner = User(email="fuzz-owner@example.com", name="Fuzz Owner",
                         email_verified_at=utcnow(), is_platform_operator=True)
            session.add(owner)
            await session.flush()
            session.add(Membership(organization_id=tenant.id, user_id=owner.id, role="owner"))
            await session.flush()
            _, owner_token = await start_session(
                session, user=owner, clock=SystemClock(), ip="127.0.0.1", user_agent="fuzz"
            )
    finally:
        await engine.dispose()
    return FuzzTenant(
        admin_token=tenant.tokens[Role.admin], owner_session=owner_token, path_ids=objects.ids
    )


@pytest.fixture(scope="session")
def fuzz_app(fuzz_settings: Settings, fuzz_tenant: FuzzTenant) -> Iterator[FastAPI]:
    """The app on its own engine and cache (schemathesis runs it on its own event loop)."""
    settings = fuzz_settings
    engine = create_engine(settings)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        session_factory=create_session_factory(engine),
        cache=create_cache(settings.redis_url, prefix=f"brain-fuzz:{uuid.uuid4().hex}:"),
    )
    yield create_app(settings, runtime=runtime, dispatcher=InlineDispatcher(runtime))
    # Runs the app's lifespan shutdown, which closes the runtime on schemathesis's loop.
    asgi.shutdown_lifespans()


@pytest.fixture(scope="session")
def api_schema(fuzz_app: FastAPI, fuzz_tenant: FuzzTenant) -> schemathesis.BaseSchema:
    config = SchemathesisConfig.from_dict(
        {
            # The fuzz judges answers, not speed (benchmarks/ measures that): schemathesis's
            # 10 s default made a one-off stall of a busy CI machine fail a 404. A request
            # that really hangs still fails, after a minute.
            "request-timeout": REQUEST_TIMEOUT_SECONDS,
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": DERANDOMIZE,
                # The admin key is sent on every request instead of generated credentials.
                "with-security-parameters": False,
            },
        }
    )
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", fuzz_app, config=config)


def _with_tenant_ids(value: Any, ids: dict[str, str]) -> Any:
    """`value` with every `…_id` member naming a known kind of object set to the tenant's."""
    if isinstance(value, list):
        return [_with_tenant_ids(item, ids) for item in value]
    if not isinstance(value, dict):
        return value
    return {
        key: ids[key] if key in ids and key != "org_id" and isinstance(item, str)
        else _with_tenant_ids(item, ids)
        for key, item in value.items()
    }


def _refer_to_tenant_objects(
    case: schemathesis.Case[Any], ids: dict[str, str]
) -> schemathesis.Case[Any]:
    """Point a valid body's references at real objects, so writes get past the existence
    checks and reach the code behind them (random ids would only ever be rejected)."""
    if isinstance(case.body, dict | list):
        case.body = _with_tenant_ids(case.body, ids)
    return case


def _spec_operation_labels() -> list[str]:
    """`METHOD /path` of every operation, from the spec of an app built without a database
    (collection time: the run's database does not exist yet)."""
    spec_app = create_app(Settings(secret_key="collection-only-" + "x" * 32, _env_file=None))
    labels = [
        f"{method.upper()} {path}"
        for path, item in spec_app.openapi()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]
    # Deletes last, children before parents: the shared objects must live while the other
    # operations use them, and deleting a channel takes its campaigns with it. Deleting the
    # organization itself comes very last.
    # Logging the fuzz session out comes after that.
    last = ["DELETE /api/v1/organizations/{org_id}", "POST /api/v1/auth/logout"]
    deletes = [label for label in labels if label.startswith("DELETE ") and label not in last]
    rest = [label for label in labels if not label.startswith("DELETE ") and label not in last]
    return rest + deletes[::-1] + [label for label in last if label in labels]


_PERMISSIONS: dict[str, set[str]] = {}


def route_permissions_for(label: str) -> set[str]:
    """The permission values a `METHOD /path` operation requires."""
    if not _PERMISSIONS:
        spec_app = create_app(Settings(secret_key="collection-only-" + "x" * 32, _env_file=None))
        for (method, path), permissions in route_permissions(spec_app).items():
            _PERMISSIONS[f"{method} {path}"] = {p.value for p in permissions}
    return _PERMISSIONS.get(label, set())


@pytest.mark.parametrize("label", _spec_operation_labels())
def test_operation(
    api_schema: schemathesis.BaseSchema, fuzz_tenant: FuzzTenant, label: str
) -> None:
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None, f"{label} is not in the served spec"
    path_parameters = {
        name: value for name, value in fuzz_tenant.path_ids.items()
        if "{" + name + "}" in operation.path
    }
    secured = "security" in operation.definition.raw
    needs = route_permissions_for(label)
    member_only = (operation.path.startswith(("/api/v1/auth/", "/api/v1/admin/"))
                   or operation.path.endswith(("/leave", "/onboarding/dismiss")))
    if member_only or needs & OWNER_ONLY:
        headers = {
            "Cookie": f"brain_session={fuzz_tenant.owner_session}; brain_csrf={CSRF}",
            "X-CSRF-Token": CSRF,
        }
    else:
        headers = {"Authorization": f"Bearer {fuzz_tenant.admin_token}"}
    positive = operation.as_strategy(
        generation_mode=GenerationMode.POSITIVE, path_parameters=path_parameters, headers=headers
    )
    negative = operation.as_strategy(
        generation_mode=GenerationMode.NEGATIVE, path_parameters=path_parameters, headers=headers
    )
    strategy = st.one_of(
        positive.map(lambda case: _refer_to_tenant_objects(case, fuzz_tenant.path_ids)),
        negative,
    )

    @given(case=strategy)
    @hypothesis_settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=DERANDOMIZE,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: schemathesis.Case[Any]) -> None:
        response = case.call_and_validate(checks=CHECKS)
        statuses[response.status_code] += 1

    statuses: Counter[int] = Counter()
    fuzz()
    # What the run reached (shown with -rA): a fuzz stuck at the door tests nothing.
    print(f"{label}: {sorted(statuses.items())}")
    if secured and label not in SECRET_IN_BODY:
        assert not {401, 403} & statuses.keys(), f"the fuzz was not let in: {statuses}"
