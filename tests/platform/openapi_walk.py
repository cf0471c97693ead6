"""Walking the OpenAPI spec: every tenant operation, the permission its route requires, and a
syntactically valid request for it built from its own schemas."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from brain.organizations.permissions import Permission

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
ORG_PREFIX = "/api/v1/organizations/{org_id}"
WALK_DAY = "2024-03-01"
SAMPLE_CSV = (
    b"date,channel,campaign,creative,impressions,clicks,spend,conversions,revenue\n"
    b"2024-03-01,Walker channel,Walker campaign,,100,5,10.5,1,20\n"
)


class WalkerError(Exception):
    """The walker cannot build a request for an operation (so it would have to skip it)."""


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    spec: dict[str, Any]
    permissions: frozenset[Permission]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.operation_id})"

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    @property
    def object_params(self) -> list[str]:
        """Path parameters naming an object inside the organization."""
        return [p for p in self.path_params if p != "org_id"]


@dataclass
class RequestPlan:
    method: str
    url: str
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    data: dict[str, str] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    # Body members the builder filled with an object id: name -> id.
    body_ids: dict[str, str] = field(default_factory=dict)

    def kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"params": self.params}
        if self.json is not None:
            kwargs["json"] = self.json
        if self.data is not None or self.files is not None:
            kwargs["data"] = self.data or {}
            kwargs["files"] = self.files or {}
        return kwargs


def spec_operations(spec: Mapping[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield method.upper(), path, operation


def _permissions(dependant: Dependant) -> Iterator[Permission]:
    for sub in dependant.dependencies:
        permission = getattr(sub.call, "required_permission", None)
        if isinstance(permission, Permission):
            yield permission
        yield from _permissions(sub)


def route_permissions(app: FastAPI) -> dict[tuple[str, str], frozenset[Permission]]:
    """(METHOD, path) of every API route -> the permissions its `require()` dependencies ask."""
    found: dict[tuple[str, str], frozenset[Permission]] = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or context.path is None:
            continue
        permissions = frozenset(_permissions(route.dependant))
        for method in context.methods or ():
            found[(method, context.path)] = permissions
    return found


def is_tenant_path(path: str) -> bool:
    return path == ORG_PREFIX or path.startswith(ORG_PREFIX + "/")


def tenant_operations(app: FastAPI) -> list[Operation]:
    """Every operation of the spec under `/api/v1/organizations/{org_id}`."""
    permissions = route_permissions(app)
    return [
        Operation(
            method=method,
            path=path,
            operation_id=str(operation.get("operationId", "")),
            spec=operation,
            permissions=permissions.get((method, path), frozenset()),
        )
        for method, path, operation in spec_operations(app.openapi())
        if is_tenant_path(path)
    ]


def tenant_routes_missing_from_spec(app: FastAPI) -> list[str]:
    """Tenant routes the app serves that the spec (and so the walker) does not show."""
    documented = {(m, p) for m, p, _ in spec_operations(app.openapi())}
    missing: list[str] = []
    for (method, path), _ in route_permissions(app).items():
        if is_tenant_path(path) and (method, path) not in documented:
            missing.append(f"{method} {path}")
    return sorted(missing)


def _id_for(name: str, ids: Mapping[str, str]) -> str | None:
    """The id a body member or parameter called `name` should carry, by its name."""
    if name == "organization_id":
        return ids.get("org_id")
    if name in ids:
        return ids[name]
    matches = [key for key in ids if key != "org_id" and name.endswith("_" + key)]
    return ids[max(matches, key=len)] if matches else None


class RequestBuilder:
    """Builds minimal valid requests from the spec; object ids come from `ids` by name."""

    def __init__(self, spec: Mapping[str, Any], ids: Mapping[str, str]) -> None:
        self.spec = spec
        self.ids = ids
        self._body_ids: dict[str, str] = {}

    def build(
        self, operation: Operation, path_ids: Mapping[str, str] | None = None
    ) -> RequestPlan:
        path_values = dict(path_ids or self.ids)
        unknown = [p for p in operation.path_params if p not in path_values]
        if unknown:
            raise WalkerError(f"{operation}: no object for path parameters {unknown}")
        plan = RequestPlan(method=operation.method, url=operation.path.format(**path_values))
        self._body_ids = {}
        for parameter in operation.spec.get("parameters", []):
            parameter = self._resolve(parameter)
            where, name = parameter.get("in"), str(parameter.get("name"))
            if where == "path" or not parameter.get("required"):
                continue
            value = str(self._value(parameter.get("schema", {}), name, f"{where} {name}"))
            if where == "query":
                plan.params[name] = value
            elif where == "header":
                plan.headers[name] = value
            else:
                raise WalkerError(f"{operation}: cannot send a required {where} parameter")
        body = operation.spec.get("requestBody")
        if body is not None:
            self._fill_body(operation, self._resolve(body), plan)
        plan.body_ids = dict(self._body_ids)
        return plan

    def _fill_body(self, operation: Operation, body: dict[str, Any], plan: RequestPlan) -> None:
        content: dict[str, Any] = body.get("content", {})
        if "application/json" in content:
            plan.json = self._value(content["application/json"].get("schema", {}), "body", "body")
            return
        if "multipart/form-data" in content:
            schema = self._resolve(content["multipart/form-data"].get("schema", {}))
            plan.data, plan.files = {}, {}
            required = set(schema.get("required", []))
            for name, sub in schema.get("properties", {}).items():
                sub = self._resolve(sub)
                if self._is_binary(sub):
                    plan.files[name] = ("walker.csv", SAMPLE_CSV, "text/csv")
                elif name in required:
                    plan.data[name] = str(self._value(sub, name, f"form {name}"))
            return
        raise WalkerError(f"{operation}: cannot send a body of type {sorted(content)}")

    def _resolve(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        resolved = dict(schema)
        while "$ref" in resolved:
            ref = str(resolved.pop("$ref"))
            if not ref.startswith("#/"):
                raise WalkerError(f"external $ref {ref}")
            target: Any = self.spec
            for part in ref[2:].split("/"):
                target = target[part]
            resolved = {**target, **resolved}
        return resolved

    @staticmethod
    def _is_binary(schema: Mapping[str, Any]) -> bool:
        return schema.get("format") == "binary" or "contentMediaType" in schema

    def _value(self, schema: Mapping[str, Any], name: str, where: str) -> Any:
        schema = self._resolve(schema)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return schema["enum"][0]
        for combinator in ("anyOf", "oneOf"):
            if combinator in schema:
                options = [self._resolve(o) for o in schema[combinator]]
                usable = [o for o in options if o.get("type") != "null"]
                return self._value(usable[0], name, where) if usable else None
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                merged.update(self._resolve(part))
            return self._value(merged, name, where)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind == "object" or "properties" in schema:
            return self._object(schema, where)
        if kind == "array":
            count = max(int(schema.get("minItems", 0)), 1)
            return [self._value(schema.get("items", {}), name, f"{where}[]") for _ in range(count)]
        if kind == "string":
            return self._string(schema, name, where)
        if kind in ("integer", "number"):
            return self._number(schema, integer=kind == "integer")
        if kind == "boolean":
            return False
        if kind == "null":
            return None
        raise WalkerError(f"cannot build a value for {where}: {dict(schema)}")

    def _object(self, schema: Mapping[str, Any], where: str) -> dict[str, Any]:
        required = set(schema.get("required", []))
        result: dict[str, Any] = {}
        for prop, sub in schema.get("properties", {}).items():
            # Optional references to other objects are sent too, to exercise them.
            if prop in required or _id_for(prop, self.ids) is not None:
                result[prop] = self._value(sub, prop, f"{where}.{prop}")
        if not required <= result.keys():
            raise WalkerError(f"{where}: required members without a schema")
        return result

    def _string(self, schema: Mapping[str, Any], name: str, where: str) -> str:
        fmt = schema.get("format")
        if fmt == "uuid":
            known = _id_for(name, self.ids)
            if known is not None:
                self._body_ids[name] = known
                return known
            return str(uuid.uuid4())
        formatted = {
            "date": WALK_DAY,
            "date-time": f"{WALK_DAY}T00:00:00Z",
            "email": "walker@example.com",
            "uri": "https://example.com/",
        }
        if fmt in formatted:
            return formatted[fmt]
        min_length = int(schema.get("minLength", 1))
        max_length = int(schema.get("maxLength", 10_000))
        pattern = schema.get("pattern")
        candidates = [f"walker {name}".replace("_", " "), "walker", "a", "1", WALK_DAY]
        for candidate in candidates:
            candidate = candidate.ljust(min_length, "x")[:max_length]
            if pattern is None or re.search(str(pattern), candidate):
                return candidate
        raise WalkerError(f"cannot build a string for {where} matching {pattern!r}")

    @staticmethod
    def _number(schema: Mapping[str, Any], *, integer: bool) -> int | float:
        value: float = 1
        if "minimum" in schema:
            value = max(value, float(schema["minimum"]))
        if "exclusiveMinimum" in schema:
            value = max(value, float(schema["exclusiveMinimum"]) + 1)
        if "maximum" in schema:
            value = min(value, float(schema["maximum"]))
        if "exclusiveMaximum" in schema:
            value = min(value, float(schema["exclusiveMaximum"]) - 1)
        return int(value) if integer else value
