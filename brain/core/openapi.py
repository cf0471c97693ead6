"""OpenAPI post-processing: every error documented as RFC 9457 problem details."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail", "instance"],
    "properties": {
        "type": {"type": "string", "description": "Stable URI of the error kind."},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "message"],
                "properties": {
                    "loc": {"type": "array", "items": {"anyOf": [{"type": "string"},
                                                                 {"type": "integer"}]}},
                    "message": {"type": "string"},
                },
            },
        },
    },
}

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_ERROR_DESCRIPTIONS = {
    "400": "Bad request (e.g. an invalid cursor)",
    "401": "No or invalid credentials",
    "403": "The role lacks the permission",
    "404": "Not found (another organization's objects included)",
    "422": "Validation error",
    "429": "Rate limited",
}


def _needs_credentials(dependant: Dependant) -> bool:
    """Whether a dependency in the tree was marked by brain.core.deps as identifying the caller."""
    return any(
        getattr(dep.call, "needs_credentials", False) or _needs_credentials(dep)
        for dep in dependant.dependencies
    )


def _secured_operations(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route whose dependencies identify the caller."""
    secured: set[tuple[str, str]] = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if (
            isinstance(route, APIRoute)
            and context.path is not None
            and _needs_credentials(route.dependant)
        ):
            secured.update((m.lower(), context.path) for m in context.methods or ())
    return secured


def install_openapi(app: FastAPI) -> None:
    def custom_openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            servers=app.servers,
        )
        components = schema.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        schemas["Problem"] = PROBLEM_SCHEMA
        components.setdefault("securitySchemes", {})["ApiKey"] = {
            "type": "http",
            "scheme": "bearer",
            "description": "An organization API key: `Authorization: Bearer brn_…`.",
        }
        components["securitySchemes"]["Session"] = {
            "type": "apiKey",
            "in": "cookie",
            "name": "brain_session",
            "description": "A login session (unsafe methods also need `X-CSRF-Token`).",
        }
        secured = _secured_operations(app)
        for path, item in schema.get("paths", {}).items():
            for method, operation in item.items():
                if method not in {"get", "post", "put", "patch", "delete"}:
                    continue
                responses = operation.setdefault("responses", {})
                public = (method, path) not in secured
                codes = ["400", "422"] if public else ["400", "401", "403", "404", "422", "429"]
                for code in codes:
                    responses[code] = {
                        "description": _ERROR_DESCRIPTIONS[code],
                        "content": {"application/problem+json": {"schema": _PROBLEM_REF}},
                    }
                responses["default"] = {
                    "description": "Any other error, as problem details",
                    "content": {"application/problem+json": {"schema": _PROBLEM_REF}},
                }
                if not public:
                    operation["security"] = [{"ApiKey": []}, {"Session": []}]
        app.openapi_schema = schema
        return schema

    app.openapi = custom_openapi  # type: ignore[method-assign]
