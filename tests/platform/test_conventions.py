"""API conventions: RFC 9457 problem details for every error, validation without echo, HTTP
method handling, the OpenAPI document, timestamps, text sanitization and health checks."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError

from brain.app import create_app
from brain.core.cache import MemoryCache
from brain.core.db import create_engine
from brain.core.jobs import InlineDispatcher
from brain.core.runtime import Runtime
from brain.core.schemas import RequestModel
from brain.settings import Settings
from tests.factories import Tenant
from tests.platform.helpers import (
    add_test_route,
    assert_problem,
    describe,
    http_client,
    timestamps_not_rfc3339,
)

# --- problem details ------------------------------------------------------------------------


async def _assert_type_is_documented(api: httpx.AsyncClient, body: dict[str, object]) -> None:
    """The problem's `type` URI dereferences to its description."""
    response = await api.get(str(body["type"]))
    assert response.status_code == 200, describe(response)
    assert response.json()["type"] == body["type"]


async def test_401_problem(api: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await api.get(tenant.path("/api-keys"))
    body = assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == 'Bearer realm="brain"'
    await _assert_type_is_documented(api, body)


async def test_403_problem_names_the_permission(api: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await api.patch(tenant.path(), json={"name": "Renamed"}, headers=tenant.viewer)
    body = assert_problem(response, 403, "forbidden")
    assert body["required_permission"] == "organization:manage"
    await _assert_type_is_documented(api, body)


async def test_404_for_another_tenant_and_for_unknown_ids(
    api: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    other = assert_problem(await api.get(other_tenant.path(), headers=tenant.admin), 404)
    missing = assert_problem(
        await api.get(f"/api/v1/organizations/{uuid.uuid4()}", headers=tenant.admin), 404
    )
    # Indistinguishable: the same detail whether the organization exists or not.
    assert other["detail"] == missing["detail"]
    assert_problem(
        await api.get(tenant.path(f"/api-keys/{uuid.uuid4()}"), headers=tenant.admin),
        404, "not-found",
    )
    await _assert_type_is_documented(api, other)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/api/v1/no-such-thing"),
        ("GET", "/api/v2/organizations"),
        ("GET", "/api/"),
        ("POST", "/api/v1/no-such-thing"),
        ("DELETE", "/api/v1/organizations/x/y/z/w"),
        ("GET", "/api/v1/problems/no-such-kind"),
    ],
)
async def test_unknown_api_routes_are_404_problems(
    api: httpx.AsyncClient, method: str, url: str
) -> None:
    assert_problem(await api.request(method, url), 404, "not-found")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "", {"GET", "PATCH", "DELETE"}),
        ("POST", "", {"GET", "PATCH", "DELETE"}),
        ("OPTIONS", "", {"GET", "PATCH", "DELETE"}),
        ("PATCH", "/api-keys", {"GET", "POST"}),
        ("PUT", "/api-keys/{key}", {"GET", "DELETE"}),
    ],
)
async def test_405_lists_every_allowed_method(
    api: httpx.AsyncClient, tenant: Tenant, method: str, path: str, allowed: set[str]
) -> None:
    url = tenant.path(path.format(key=uuid.uuid4()))
    response = await api.request(method, url, headers=tenant.admin)
    assert_problem(response, 405, "method-not-allowed")
    assert {m.strip() for m in response.headers["allow"].split(",")} == allowed


async def test_405_on_public_routes(api: httpx.AsyncClient) -> None:
    response = await api.delete("/api/v1/healthz")
    assert_problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == "GET"


async def test_409_for_integrity_errors(app: FastAPI) -> None:
    async def conflicting() -> None:
        raise IntegrityError("INSERT ...", {}, Exception("duplicate key: secret-row-value"))

    add_test_route(app, "/api/v1/test-conflict", conflicting, methods=["POST"])
    async with http_client(app) as client:
        response = await client.post("/api/v1/test-conflict", json={})
    body = assert_problem(response, 409, "conflict")
    assert "secret-row-value" not in response.text
    assert "INSERT" not in body["detail"]


async def test_500_is_a_problem_without_internals(app: FastAPI) -> None:
    async def failing() -> None:
        raise RuntimeError("password=hunter2 in /srv/brain/secret.py line 12")

    add_test_route(app, "/api/v1/test-failure", failing, methods=["GET"])
    async with http_client(app, raise_app_exceptions=False) as client:
        response = await client.get("/api/v1/test-failure")
    assert_problem(response, 500, "internal-error")
    assert "hunter2" not in response.text
    assert "secret.py" not in response.text


# --- validation ------------------------------------------------------------------------------

MARKER = "ECHO-MARKER-7731"


async def test_422_body_errors_have_loc_and_message_and_no_echo(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await api.post(
        tenant.path("/api-keys"),
        json={"name": f"<b>{MARKER}</b>", "role": f"root-{MARKER}", f"x{MARKER}": MARKER},
        headers=tenant.admin,
    )
    body = assert_problem(response, 422, "validation-error")
    errors = body["errors"]
    locs = {tuple(e["loc"]) for e in errors}
    assert {("body", "name"), ("body", "role")} <= locs, errors
    assert any(loc[0] == "body" and loc[-1] == f"x{MARKER}" for loc in locs), errors
    for error in errors:
        assert set(error) == {"loc", "message"}
        assert isinstance(error["message"], str)
        assert error["message"]
    messages = " ".join(e["message"] for e in errors)
    assert MARKER not in messages
    assert MARKER not in body["detail"]
    assert "Unknown field." in messages


async def test_422_for_malformed_json(api: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await api.post(
        tenant.path("/api-keys"),
        content=b'{"name": ',
        headers={**tenant.admin, "Content-Type": "application/json"},
    )
    body = assert_problem(response, 422, "validation-error")
    assert body["errors"]


@pytest.mark.parametrize(
    ("query", "loc"),
    [
        ("limit=0", ["query", "limit"]),
        ("limit=201", ["query", "limit"]),
        ("limit=ten", ["query", "limit"]),
        ("sort=Robert%27);DROP", ["query", "sort"]),
    ],
)
async def test_422_for_query_parameters(
    api: httpx.AsyncClient, tenant: Tenant, query: str, loc: list[str]
) -> None:
    response = await api.get(tenant.path(f"/api-keys?{query}"), headers=tenant.admin)
    body = assert_problem(response, 422, "validation-error")
    assert loc in [e["loc"] for e in body["errors"]]
    assert "DROP" not in " ".join(e["message"] for e in body["errors"])


async def test_422_for_path_parameters(api: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await api.get(tenant.path("/api-keys/not-a-uuid"), headers=tenant.admin)
    body = assert_problem(response, 422, "validation-error")
    assert ["path", "key_id"] in [e["loc"] for e in body["errors"]]


async def test_request_models_forbid_unknown_fields() -> None:
    """Every request body model in the app inherits the strict base."""
    import brain.identity.schemas as identity
    import brain.organizations.schemas as organizations

    for module in (identity, organizations):
        for name in dir(module):
            model = getattr(module, name)
            if isinstance(model, type) and issubclass(model, RequestModel):
                assert model.model_config.get("extra") == "forbid", name


# --- sanitization ----------------------------------------------------------------------------


async def test_control_characters_are_stripped(api: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await api.post(
        tenant.path("/api-keys"),
        json={"name": "  Nightly\x00 ETL\x07\u202e\x1b  ", "role": "viewer"},
        headers=tenant.admin,
    )
    assert response.status_code == 201, describe(response)
    assert response.json()["name"] == "Nightly ETL"
    key_id = response.json()["id"]
    stored = await api.get(tenant.path(f"/api-keys/{key_id}"), headers=tenant.admin)
    assert stored.json()["name"] == "Nightly ETL"


@pytest.mark.parametrize(
    "name",
    [
        "<script>alert(1)</script>",
        "Sale <img src=x onerror=alert(1)>",
        "<b>bold</b>",
        "two\nlines",
        "",
        "   \x00  ",
        "x" * 201,
    ],
)
async def test_html_and_bad_names_are_rejected(
    api: httpx.AsyncClient, tenant: Tenant, name: str
) -> None:
    response = await api.post(
        tenant.path("/api-keys"), json={"name": name}, headers=tenant.admin
    )
    body = assert_problem(response, 422, "validation-error")
    assert ["body", "name"] in [e["loc"] for e in body["errors"]]
    response = await api.patch(tenant.path(), json={"name": name}, headers=tenant.admin)
    assert_problem(response, 422, "validation-error")


# --- timestamps --------------------------------------------------------------------------------


async def test_every_timestamp_is_rfc3339_utc(api: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await api.post(
        tenant.path("/api-keys"), json={"name": "Timestamps"}, headers=tenant.admin
    )
    assert created.status_code == 201, describe(created)
    # Use the new key once so last_used_at is set too.
    key = created.json()["api_key"]
    assert (await api.get(tenant.path(), headers={"Authorization": f"Bearer {key}"})).is_success
    revoked = await api.delete(
        tenant.path(f"/api-keys/{created.json()['id']}"), headers=tenant.admin
    )
    assert revoked.status_code == 204
    responses = [
        created,
        await api.get(tenant.path(), headers=tenant.admin),
        await api.patch(tenant.path(), json={"name": "Renamed"}, headers=tenant.admin),
        await api.get(tenant.path("/api-keys"), headers=tenant.admin),
        await api.get(tenant.path(f"/api-keys/{created.json()['id']}"), headers=tenant.admin),
    ]
    seen = 0
    for response in responses:
        assert response.is_success, describe(response)
        assert timestamps_not_rfc3339(response.json()) == [], describe(response)
        seen += response.text.count("Z\"")
    detail = responses[-1].json()
    for field in ("created_at", "updated_at", "last_used_at", "revoked_at"):
        assert detail[field], field
        assert detail[field].endswith("Z"), field
    assert seen >= 8


# --- OpenAPI and docs ----------------------------------------------------------------------------


async def test_openapi_31_and_docs(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.1")
    assert spec["info"]["title"] == "Brain API"
    assert "Problem" in spec["components"]["schemas"]
    docs = await api.get("/api/docs")
    assert docs.status_code == 200
    assert "text/html" in docs.headers["content-type"]
    assert "/api/v1/openapi.json" in docs.text
    # `/` is the web app (or, before it is built, a page saying how to build it).
    root = await api.get("/")
    assert "text/html" in root.headers["content-type"]


async def test_security_headers(api: httpx.AsyncClient, tenant: Tenant) -> None:
    for response in (await api.get("/api/v1/healthz"), await api.get(tenant.path())):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"


# --- health -------------------------------------------------------------------------------------


async def test_healthz_and_readyz(api: httpx.AsyncClient) -> None:
    health = await api.get("/api/v1/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    ready = await api.get("/api/v1/readyz")
    assert ready.status_code == 200, describe(ready)
    body = ready.json()
    assert body["status"] == "ready"
    assert {c["name"]: c["ok"] for c in body["checks"]} == {
        "database": True, "cache": True, "broker": True,
    }


def _unreachable_database_url(settings: Settings, tmp_path: Path) -> str:
    if settings.is_sqlite:
        # A directory cannot be opened as a database file.
        return f"sqlite+aiosqlite:///{tmp_path}"
    return "postgresql+psycopg://brain:wrong@127.0.0.1:1/missing"


class _DeadCache(MemoryCache):
    async def ping(self) -> bool:
        raise ConnectionError("cache down")


@pytest.mark.parametrize("broken", ["database", "cache"])
async def test_readyz_503_when_a_dependency_is_down(
    settings: Settings, tmp_path: Path, broken: str
) -> None:
    if broken == "database":
        broken_settings = settings.model_copy(
            update={"database_url": _unreachable_database_url(settings, tmp_path)}
        )
        cache = MemoryCache()
    else:
        broken_settings = settings
        cache = _DeadCache()
    engine = create_engine(broken_settings, null_pool=True)
    from brain.core.db import create_session_factory

    runtime = Runtime(
        settings=broken_settings,
        engine=engine,
        session_factory=create_session_factory(engine),
        cache=cache,
    )
    app = create_app(broken_settings, runtime=runtime, dispatcher=InlineDispatcher(runtime))
    try:
        async with http_client(app) as client:
            ready = await client.get("/api/v1/readyz")
            health = await client.get("/api/v1/healthz")
    finally:
        await engine.dispose()
    assert ready.status_code == 503, describe(ready)
    body = ready.json()
    assert body["status"] == "unavailable"
    checks = {c["name"]: c for c in body["checks"]}
    assert checks[broken]["ok"] is False
    assert all(c["ok"] for name, c in checks.items() if name != broken)
    # Details name the failure's class, never its message (which may hold a DSN).
    assert "wrong" not in ready.text
    assert health.status_code == 200


async def test_readyz_checks_the_broker(runtime: Runtime) -> None:
    settings = runtime.settings.model_copy(update={"broker_url": "redis://127.0.0.1:1/0"})
    broken = Runtime(settings=settings, engine=runtime.engine,
                     session_factory=runtime.session_factory, cache=runtime.cache,
                     owns_engine=False)
    app = create_app(settings, runtime=broken, dispatcher=InlineDispatcher(broken))
    async with http_client(app) as client:
        ready = await client.get("/api/v1/readyz")
    assert ready.status_code == 503, describe(ready)
    checks = {c["name"]: c["ok"] for c in ready.json()["checks"]}
    assert checks == {"database": True, "cache": True, "broker": False}
