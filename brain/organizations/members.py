"""Members: listing, role and restriction changes, removal (never of the last owner), and the
resource grants that limit a restricted member to some channels."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.auth import AuthContext
from brain.core.errors import NotFound, ProblemError
from brain.core.pagination import SortOptions
from brain.core.tenancy import TenantRepository, scope_to_tenant
from brain.identity.models import User
from brain.organizations.actor import Actor
from brain.organizations.context_cache import evict_member_contexts
from brain.organizations.models import Membership, ResourceGrant
from brain.organizations.permissions import Permission, Role, parse_permissions, permissions_for
from brain.organizations.roles import CustomRoleRepository, ensure_may_grant
from brain.organizations.schemas_members import GrantCreate, MemberRead, MemberUpdate
from brain.warehouse.repository import ChannelRepository

OWNER = Role.owner.value
MEMBER_SORT = SortOptions(Membership.id, "created_at", created_at=Membership.created_at)
GRANT_SORT = SortOptions(ResourceGrant.id, "created_at", created_at=ResourceGrant.created_at)


class MemberRepository(TenantRepository[Membership]):
    model = Membership
    label = "Member"

    def list_statement(self, *, role: str | None = None) -> Select[Membership]:
        stmt = self.select()
        if role is not None:
            stmt = stmt.where(Membership.role == role)
        return stmt

    async def by_user(self, user_id: uuid.UUID) -> Membership | None:
        found: Membership | None = await self.session.scalar(
            self.select().where(Membership.user_id == user_id)
        )
        return found


class GrantRepository(TenantRepository[ResourceGrant]):
    model = ResourceGrant
    label = "Grant"

    def of_member(self, membership_id: uuid.UUID) -> Select[ResourceGrant]:
        return self.select().where(ResourceGrant.membership_id == membership_id)


async def users_by_id(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, User]:
    """Users are global (not tenant rows): loaded by the ids of memberships already scoped."""
    if not ids:
        return {}
    rows = await session.scalars(select(User).where(User.id.in_(set(ids))))
    return {user.id: user for user in rows.all()}


def member_read(membership: Membership, user: User) -> MemberRead:
    return MemberRead(
        id=membership.id,
        created_at=membership.created_at,
        updated_at=membership.updated_at,
        user_id=membership.user_id,
        email=user.email,
        name=user.name,
        role=membership.role,
        custom_role_id=membership.custom_role_id,
        restricted=membership.restricted,
    )


async def member_reads(session: AsyncSession, rows: Sequence[Membership]) -> list[MemberRead]:
    users = await users_by_id(session, [m.user_id for m in rows])
    return [member_read(m, users[m.user_id]) for m in rows if m.user_id in users]


async def load_member(
    session: AsyncSession, auth: AuthContext, member_id: uuid.UUID
) -> tuple[Membership, User]:
    membership = await MemberRepository(session, auth).get_or_404(member_id)
    user = await session.get(User, membership.user_id)
    if user is None:
        raise NotFound("Member")
    return membership, user


async def owner_ids(session: AsyncSession, auth: AuthContext) -> list[uuid.UUID]:
    """The owners' membership ids, locked (PostgreSQL) so two concurrent demotions cannot
    leave the organization without an owner."""
    stmt = (
        scope_to_tenant(select(Membership.id), Membership, auth)
        .where(Membership.role == OWNER)
        .with_for_update()
    )
    return list((await session.scalars(stmt)).all())


async def ensure_not_last_owner(
    session: AsyncSession, auth: AuthContext, membership: Membership, what: str
) -> None:
    """409 when `membership` is the organization's only owner; `what` says what was tried
    ("be demoted", "be removed", "leave")."""
    if membership.role != OWNER:
        return
    owners = await owner_ids(session, auth)
    if owners == [membership.id] or not owners:
        raise ProblemError(
            409,
            f"The organization's last owner cannot {what}: make another member an owner "
            "first, or delete the organization.",
            extra={"required_change": "make another member an owner"},
        )


def ensure_may_manage(auth: AuthContext, membership: Membership) -> None:
    """Only owners change or remove owners."""
    if membership.role == OWNER and auth.role != OWNER:
        raise ProblemError(
            403, "Only an owner may change or remove an owner.", extra={"required_role": "owner"}
        )


async def target_role(
    session: AsyncSession, auth: AuthContext, *, role: Role | None,
    custom_role_id: uuid.UUID | None,
) -> tuple[str, uuid.UUID | None, frozenset[Permission]]:
    """(role name, custom role id, permissions) of a requested built-in or custom role; a
    custom role of another organization is a 404."""
    if custom_role_id is not None:
        custom = await CustomRoleRepository(session, auth).get_or_404(custom_role_id)
        return "custom", custom.id, parse_permissions(custom.permissions)
    chosen = role or Role.viewer
    return chosen.value, None, permissions_for(chosen)


async def update_member(
    session: AsyncSession, actor: Actor, membership: Membership, changes: MemberUpdate
) -> Membership:
    """Change a member's role and/or restriction (owner and last-owner rules applied)."""
    before = {"role": membership.role, "custom_role_id": str(membership.custom_role_id or ""),
              "restricted": membership.restricted}
    if changes.role is not None or changes.custom_role_id is not None:
        new_role, new_custom, permissions = await target_role(
            session, actor.auth, role=changes.role, custom_role_id=changes.custom_role_id
        )
        if (new_role, new_custom) != (membership.role, membership.custom_role_id):
            ensure_may_manage(actor.auth, membership)
            ensure_may_grant(actor.auth, role=new_role, permissions=permissions)
            if new_role != OWNER:
                await ensure_not_last_owner(session, actor.auth, membership, "be demoted")
            membership.role, membership.custom_role_id = new_role, new_custom
    if changes.restricted is not None and changes.restricted != membership.restricted:
        ensure_may_manage(actor.auth, membership)
        membership.restricted = changes.restricted
    if membership.role == OWNER and membership.restricted:
        raise ProblemError(
            409, "Owners see everything and cannot be restricted: give the member another "
            "role first, or leave restricted false.",
        )
    after = {"role": membership.role, "custom_role_id": str(membership.custom_role_id or ""),
             "restricted": membership.restricted}
    if after == before:
        return membership
    membership.updated_at = actor.clock.now()
    await session.flush()
    await evict_member_contexts(actor.cache, actor.jobs, actor.organization_id,
                                [membership.user_id])
    action = ("member.role_change" if (before["role"], before["custom_role_id"])
              != (after["role"], after["custom_role_id"]) else "member.restriction_change")
    await actor.audit(session, action, target_type="member", target_id=membership.id,
                      details={"user_id": str(membership.user_id), "before": before,
                               "after": after})
    return membership


async def remove_member(
    session: AsyncSession, actor: Actor, membership: Membership, *, leaving: bool = False
) -> None:
    """Delete a membership and its grants (never the last owner's); `leaving`: the member
    removes themselves."""
    if not leaving:
        ensure_may_manage(actor.auth, membership)
    await ensure_not_last_owner(
        session, actor.auth, membership, "leave" if leaving else "be removed"
    )
    action = "member.leave" if leaving else "member.remove"
    user_id, membership_id, role = membership.user_id, membership.id, membership.role
    await session.delete(membership)
    await session.flush()
    await evict_member_contexts(actor.cache, actor.jobs, actor.organization_id, [user_id])
    await actor.audit(session, action, target_type="member", target_id=membership_id,
                      details={"user_id": str(user_id), "role": role})


async def add_grant(
    session: AsyncSession, actor: Actor, membership: Membership, body: GrantCreate
) -> ResourceGrant:
    """Give a member access to one channel (the caller must be able to see it)."""
    channel = await ChannelRepository(session, actor.auth).get(body.resource_id)
    if channel is None:
        raise NotFound("Channel")
    repo = GrantRepository(session, actor.auth)
    existing = await session.scalar(
        repo.of_member(membership.id).where(
            ResourceGrant.resource_type == body.resource_type,
            ResourceGrant.resource_id == body.resource_id,
        )
    )
    if existing is not None:
        raise ProblemError(409, "The member already has this grant.",
                           extra={"grant_id": str(existing.id)})
    grant = repo.add(ResourceGrant(membership_id=membership.id,
                                   resource_type=body.resource_type,
                                   resource_id=body.resource_id))
    await session.flush()
    await evict_member_contexts(actor.cache, actor.jobs, actor.organization_id,
                                [membership.user_id])
    await actor.audit(session, "member.grant_add", target_type="member",
                      target_id=membership.id,
                      details={"grant_id": str(grant.id), "resource_type": grant.resource_type,
                               "resource_id": str(grant.resource_id)})
    return grant


async def remove_grant(
    session: AsyncSession, actor: Actor, membership: Membership, grant: ResourceGrant
) -> None:
    await session.delete(grant)
    await session.flush()
    await evict_member_contexts(actor.cache, actor.jobs, actor.organization_id,
                                [membership.user_id])
    await actor.audit(session, "member.grant_remove", target_type="member",
                      target_id=membership.id,
                      details={"grant_id": str(grant.id), "resource_type": grant.resource_type,
                               "resource_id": str(grant.resource_id)})


async def load_grant(
    session: AsyncSession, auth: AuthContext, membership: Membership, grant_id: uuid.UUID
) -> ResourceGrant:
    grant = await session.scalar(
        GrantRepository(session, auth).of_member(membership.id).where(
            ResourceGrant.id == grant_id
        )
    )
    if grant is None:
        raise NotFound("Grant")
    return grant
