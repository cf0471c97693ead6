"""Roles: the built-in ones (read-only) and an organization's custom roles, with the rules
that keep anyone from handing out more than they hold."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.auth import AuthContext
from brain.core.errors import ProblemError
from brain.core.tenancy import TenantRepository, scope_to_tenant
from brain.organizations.actor import Actor
from brain.organizations.context_cache import evict_member_contexts
from brain.organizations.models import CustomRole, Invite, Membership
from brain.organizations.permissions import (
    ROLE_PERMISSIONS,
    Permission,
    Role,
    parse_permissions,
)
from brain.organizations.schemas_members import RoleCreate, RoleRead, RoleUpdate

# Permissions only owners hold; custom roles cannot carry them.
OWNER_ONLY_PERMISSIONS = ROLE_PERMISSIONS[Role.owner] - ROLE_PERMISSIONS[Role.admin]

BUILTIN_DESCRIPTIONS = {
    Role.owner: "Everything, including billing and deleting the organization.",
    Role.admin: "Manages members, roles, API keys, integrations, SSO and settings.",
    Role.analyst: "Reads and writes data, imports files and runs the brain.",
    Role.viewer: "Reads.",
}


class CustomRoleRepository(TenantRepository[CustomRole]):
    model = CustomRole
    label = "Role"


def builtin_roles() -> list[RoleRead]:
    return [
        RoleRead(
            id=role.value,
            name=role.value,
            description=BUILTIN_DESCRIPTIONS[role],
            permissions=sorted(p.value for p in ROLE_PERMISSIONS[role]),
            builtin=True,
            created_at=None,
            updated_at=None,
        )
        for role in Role
    ]


def role_read(role: CustomRole) -> RoleRead:
    return RoleRead(
        id=str(role.id),
        name=role.name,
        description=role.description,
        permissions=sorted(role.permissions),
        builtin=False,
        created_at=role.created_at,
        updated_at=role.updated_at,
    )


def ensure_may_grant(
    auth: AuthContext, *, role: str, permissions: Iterable[Permission]
) -> None:
    """403 unless the caller may hand out `role` with `permissions`: only owners make owners,
    and nobody gives a permission they do not hold themselves."""
    if role == Role.owner.value and auth.role != Role.owner.value:
        raise ProblemError(
            403, "Only an owner may make someone an owner.", extra={"required_role": "owner"}
        )
    missing = sorted(p.value for p in set(permissions) - auth.permissions)
    if missing:
        raise ProblemError(
            403,
            "You cannot give permissions you do not hold yourself: " + ", ".join(missing) + ".",
            extra={"missing_permissions": missing},
        )


def _check_permissions(permissions: list[Permission]) -> list[str]:
    owner_only = sorted(p.value for p in set(permissions) & OWNER_ONLY_PERMISSIONS)
    if owner_only:
        raise ProblemError(
            422,
            "Custom roles cannot carry owner-only permissions: " + ", ".join(owner_only) + ".",
            errors=[{"loc": ["body", "permissions"],
                     "message": "Owner-only permissions are not allowed."}],
        )
    return sorted({p.value for p in permissions})


async def _ensure_unique_name(
    session: AsyncSession, auth: AuthContext, name: str, *, except_id: uuid.UUID | None = None
) -> None:
    if name.lower() in {r.value for r in Role} or name.lower() == "custom":
        raise ProblemError(409, f"'{name}' is the name of a built-in role; choose another.")
    stmt = scope_to_tenant(select(CustomRole.id), CustomRole, auth).where(
        func.lower(CustomRole.name) == name.lower()
    )
    if except_id is not None:
        stmt = stmt.where(CustomRole.id != except_id)
    if await session.scalar(stmt) is not None:
        raise ProblemError(409, f"A role named '{name}' already exists; choose another name.")


async def create_role(session: AsyncSession, actor: Actor, body: RoleCreate) -> CustomRole:
    permissions = _check_permissions(body.permissions)
    ensure_may_grant(actor.auth, role="custom", permissions=parse_permissions(permissions))
    await _ensure_unique_name(session, actor.auth, body.name)
    role = CustomRoleRepository(session, actor.auth).add(
        CustomRole(name=body.name, description=body.description, permissions=permissions)
    )
    await session.flush()
    await actor.audit(session, "role.create", target_type="role", target_id=role.id,
                      details={"name": role.name, "permissions": permissions})
    return role


async def _holders(session: AsyncSession, auth: AuthContext, role_id: uuid.UUID) -> list[uuid.UUID]:
    stmt = scope_to_tenant(select(Membership.user_id), Membership, auth).where(
        Membership.custom_role_id == role_id
    )
    return list((await session.scalars(stmt)).all())


async def update_role(
    session: AsyncSession, actor: Actor, role: CustomRole, body: RoleUpdate
) -> CustomRole:
    changes = body.model_dump(exclude_unset=True)
    # Changing a role changes what its holders may do: the caller must hold both the old and
    # the new permissions.
    ensure_may_grant(actor.auth, role="custom", permissions=parse_permissions(role.permissions))
    if body.permissions is not None:
        permissions = _check_permissions(body.permissions)
        ensure_may_grant(actor.auth, role="custom", permissions=parse_permissions(permissions))
        role.permissions = permissions
    if body.name is not None and body.name != role.name:
        await _ensure_unique_name(session, actor.auth, body.name, except_id=role.id)
        role.name = body.name
    if "description" in changes:
        role.description = body.description
    await session.flush()
    await evict_member_contexts(
        actor.cache, actor.jobs, actor.organization_id,
        await _holders(session, actor.auth, role.id),
    )
    await actor.audit(
        session, "role.update", target_type="role", target_id=role.id,
        details={"changed": sorted(changes), "permissions": role.permissions},
    )
    return role


async def delete_role(session: AsyncSession, actor: Actor, role: CustomRole) -> None:
    """Soft-delete a custom role; 409 while members hold it or invites offer it."""
    holders = await _holders(session, actor.auth, role.id)
    invites_stmt = scope_to_tenant(select(func.count(Invite.id)), Invite, actor.auth).where(
        Invite.custom_role_id == role.id, Invite.accepted_at.is_(None)
    )
    invites = int(await session.scalar(invites_stmt) or 0)
    if holders or invites:
        raise ProblemError(
            409,
            f"The role is in use by {len(holders)} member(s) and {invites} pending invite(s): "
            "give those members another role and revoke those invites first.",
            extra={"members": len(holders), "pending_invites": invites},
        )
    ensure_may_grant(actor.auth, role="custom", permissions=parse_permissions(role.permissions))
    role.deleted_at = actor.clock.now()
    await session.flush()
    await actor.audit(session, "role.delete", target_type="role", target_id=role.id,
                      details={"name": role.name})
