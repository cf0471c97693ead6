"""Roles and the `resource:action` permissions they grant (one table, used by every route)."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    organization_read = "organization:read"
    organization_manage = "organization:manage"
    data_read = "data:read"
    data_write = "data:write"
    imports_write = "imports:write"
    brain_run = "brain:run"
    api_keys_manage = "api_keys:manage"


class Role(StrEnum):
    admin = "admin"
    analyst = "analyst"
    viewer = "viewer"


_READ = frozenset({Permission.organization_read, Permission.data_read})
_ANALYST = _READ | {Permission.data_write, Permission.imports_write, Permission.brain_run}
_ADMIN = _ANALYST | {Permission.api_keys_manage, Permission.organization_manage}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.viewer: _READ,
    Role.analyst: frozenset(_ANALYST),
    Role.admin: frozenset(_ADMIN),
}


def permissions_for(role: Role) -> frozenset[Permission]:
    return ROLE_PERMISSIONS[role]
