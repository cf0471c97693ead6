"""Roles and the `resource:action` permissions they grant (one table, used by every route)."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    organization_read = "organization:read"
    organization_manage = "organization:manage"
    organization_delete = "organization:delete"
    members_read = "members:read"
    members_invite = "members:invite"
    members_manage = "members:manage"
    roles_manage = "roles:manage"
    data_read = "data:read"
    data_write = "data:write"
    imports_write = "imports:write"
    brain_run = "brain:run"
    api_keys_manage = "api_keys:manage"
    integrations_read = "integrations:read"
    integrations_write = "integrations:write"
    billing_read = "billing:read"
    billing_manage = "billing:manage"
    audit_read = "audit:read"
    sso_manage = "sso:manage"
    webhooks_manage = "webhooks:manage"


class Role(StrEnum):
    """Built-in roles, from most to least privileged."""

    owner = "owner"
    admin = "admin"
    analyst = "analyst"
    viewer = "viewer"


class ApiKeyRole(StrEnum):
    """Roles an API key may have (ownership belongs to people)."""

    admin = "admin"
    analyst = "analyst"
    viewer = "viewer"


_VIEWER = frozenset(
    {
        Permission.organization_read,
        Permission.data_read,
        Permission.members_read,
        Permission.integrations_read,
    }
)
_ANALYST = _VIEWER | {Permission.data_write, Permission.imports_write, Permission.brain_run}
_ADMIN = _ANALYST | {
    Permission.organization_manage,
    Permission.members_invite,
    Permission.members_manage,
    Permission.roles_manage,
    Permission.api_keys_manage,
    Permission.integrations_write,
    Permission.billing_read,
    Permission.audit_read,
    Permission.sso_manage,
    Permission.webhooks_manage,
}
_OWNER = _ADMIN | {Permission.billing_manage, Permission.organization_delete}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.viewer: frozenset(_VIEWER),
    Role.analyst: frozenset(_ANALYST),
    Role.admin: frozenset(_ADMIN),
    Role.owner: frozenset(_OWNER),
}


def permissions_for(role: Role | ApiKeyRole | str) -> frozenset[Permission]:
    return ROLE_PERMISSIONS[Role(str(role))]


def parse_permissions(values: list[str]) -> frozenset[Permission]:
    """Known permission strings from a custom role (unknown ones are ignored)."""
    known = {p.value for p in Permission}
    return frozenset(Permission(v) for v in values if v in known)
