"""Creating and updating organizations."""

from __future__ import annotations

import re
import secrets
import uuid

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.auth import AuthContext, SubjectType
from brain.core.cache import Cache
from brain.core.db import set_tenant
from brain.core.errors import ProblemError
from brain.identity.models import TotpFactor, WebAuthnCredential
from brain.organizations.context_cache import (
    CONTEXT_CACHE_SECONDS,
    decode_context,
    encode_context,
    member_context_key,
)
from brain.organizations.models import CustomRole, Membership, Organization, ResourceGrant
from brain.organizations.permissions import parse_permissions, permissions_for
from brain.organizations.schemas import OrganizationUpdate


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60]
    return slug or "org"


async def create_organization(
    session: AsyncSession, *, name: str, demo_vertical: str | None = None
) -> Organization:
    """A new organization with a unique slug (the session must be in system mode)."""
    base = slugify(name)
    slug = base
    while await session.scalar(select(Organization.id).where(Organization.slug == slug)):
        slug = f"{base}-{secrets.token_hex(3)}"
    org = Organization(name=name, slug=slug, demo_vertical=demo_vertical)
    session.add(org)
    await session.flush()
    return org


def update_organization(
    org: Organization, *, changes: OrganizationUpdate
) -> dict[str, dict[str, object]]:
    """Apply the changes; returns `{field: {"from": old, "to": new}}` of what changed.

    422 when the idle timeout would exceed the absolute one."""
    values = {k: v for k, v in changes.model_dump(exclude_unset=True).items() if v is not None}
    idle = int(values.get("session_idle_minutes", org.session_idle_minutes))
    absolute = int(values.get("session_absolute_hours", org.session_absolute_hours))
    if idle > absolute * 60:
        field = (
            "session_idle_minutes" if "session_idle_minutes" in values
            else "session_absolute_hours"
        )
        raise ProblemError(
            422,
            f"The idle timeout ({idle} min) may not be longer than the absolute timeout "
            f"({absolute} h).",
            errors=[{"loc": ["body", field],
                     "message": "The idle timeout must not exceed the absolute timeout."}],
        )
    changed: dict[str, dict[str, object]] = {}
    for field, value in values.items():
        before = getattr(org, field)
        if before != value:
            changed[field] = {"from": before, "to": value}
            setattr(org, field, value)
    return changed


class MfaEnrolmentRequired(ProblemError):
    """The organization requires MFA and the user has not confirmed an authenticator app."""

    def __init__(self, organization_id: uuid.UUID) -> None:
        super().__init__(
            403,
            "This organization requires two-factor authentication: set up an authenticator "
            "app (POST /api/v1/auth/mfa/totp/setup) or add a passkey "
            "(POST /api/v1/auth/webauthn/register/options), then try again.",
            kind="mfa-enrolment-required",
            extra={"organization_id": str(organization_id)},
        )


async def member_context(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    organization_id: uuid.UUID,
    session_id: uuid.UUID | None,
    cache: Cache | None = None,
    mfa_exempt: bool = False,
) -> AuthContext | None:
    """A user's `AuthContext` in an organization, or None if they are not a member of it.

    When the organization requires MFA and the user has no second factor (a confirmed TOTP
    factor or a passkey), raises
    `MfaEnrolmentRequired` (unless `mfa_exempt`, for reading the organization itself).
    With `cache`, a resolved context is kept for `CONTEXT_CACHE_SECONDS`; membership, role
    and grant changes evict it (`brain.organizations.context_cache`)."""
    key = member_context_key(organization_id, user_id)
    if cache is not None:
        raw = await cache.get(key)
        if raw is not None:
            cached = decode_context(
                raw, organization_id=organization_id, user_id=user_id, session_id=session_id
            )
            if cached is not None:
                return cached
    await set_tenant(session, organization_id)
    row = (
        await session.execute(
            select(Membership, CustomRole.permissions, Organization.mfa_required)
            .join(Organization, Organization.id == Membership.organization_id)
            .outerjoin(
                CustomRole,
                (CustomRole.id == Membership.custom_role_id) & CustomRole.deleted_at.is_(None),
            )
            .where(
                Membership.organization_id == organization_id,
                Membership.user_id == user_id,
                Organization.deleted_at.is_(None),
            )
        )
    ).first()
    if row is None:
        return None
    membership, custom_permissions, mfa_required = row
    mfa_missing = bool(mfa_required) and not await session.scalar(
        select(
            or_(
                exists().where(
                    TotpFactor.user_id == user_id, TotpFactor.confirmed_at.is_not(None)
                ),
                exists().where(WebAuthnCredential.user_id == user_id),
            )
        )
    )
    if mfa_missing and not mfa_exempt:
        raise MfaEnrolmentRequired(organization_id)
    if membership.custom_role_id is not None:
        permissions = parse_permissions(custom_permissions or [])
    else:
        permissions = permissions_for(membership.role)
    channel_ids = None
    if membership.restricted:
        grants = await session.scalars(
            select(ResourceGrant.resource_id).where(
                ResourceGrant.membership_id == membership.id,
                ResourceGrant.resource_type == "channel",
            )
        )
        channel_ids = frozenset(grants.all())
    auth = AuthContext(
        organization_id=organization_id,
        role=membership.role,
        permissions=permissions,
        subject_type=SubjectType.user,
        subject_id=user_id,
        channel_ids=channel_ids,
        session_id=session_id,
    )
    # A context let through only by the exemption is never cached: it must not serve the
    # organization's other routes.
    if cache is not None and not mfa_missing:
        await cache.set(key, encode_context(auth), CONTEXT_CACHE_SECONDS)
    return auth
