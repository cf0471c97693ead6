"""Invitations: created by members with `members:invite`, emailed with a single-use token (only
its SHA-256 is stored) valid for 7 days, and accepted by new or existing users."""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from brain.audit.service import record_audit
from brain.core.auth import AuthContext, SubjectType
from brain.core.cache import Cache
from brain.core.clock import Clock
from brain.core.db import set_system_mode, set_tenant
from brain.core.email import queue_email
from brain.core.errors import NotFound, ProblemError
from brain.core.jobs import JobBuffer
from brain.core.pagination import SortOptions
from brain.core.tenancy import TenantRepository
from brain.identity.models import TotpFactor, User
from brain.identity.password_policy import check_password
from brain.identity.passwords import hash_password, verify_password
from brain.identity.sessions import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, resolve_session
from brain.identity.sessions import hash_token as sha256_hex
from brain.identity.sso import sso_enforced_for_email
from brain.organizations.actor import Actor
from brain.organizations.context_cache import evict_member_contexts
from brain.organizations.members import MemberRepository, target_role
from brain.organizations.models import Invite, Membership, Organization
from brain.organizations.plans import seat_check
from brain.organizations.roles import ensure_may_grant
from brain.organizations.schemas_members import InviteAccept, InviteCreate, InviteRead

INVITE_LIFETIME = timedelta(days=7)
INVITE_SORT = SortOptions(Invite.id, "created_at", created_at=Invite.created_at)
_MAX_TOKEN_LENGTH = 200


class InviteRepository(TenantRepository[Invite]):
    model = Invite
    label = "Invite"

    def pending(self, now: datetime) -> Select[Invite]:
        """Invites not accepted, not revoked and not expired."""
        return self.select().where(Invite.accepted_at.is_(None), Invite.expires_at > now)


def invite_read(invite: Invite) -> InviteRead:
    return InviteRead.model_validate(invite)


async def _user_by_email(session: AsyncSession, email: str) -> User | None:
    user: User | None = await session.scalar(select(User).where(User.email == email))
    return user


async def create_invite(
    session: AsyncSession, actor: Actor, body: InviteCreate
) -> Invite:
    """Record the invite and queue its email (sent after commit)."""
    auth = actor.auth
    role, custom_role_id, permissions = await target_role(
        session, auth, role=body.role, custom_role_id=body.custom_role_id
    )
    ensure_may_grant(auth, role=role, permissions=permissions)
    invitee = await _user_by_email(session, body.email)
    if invitee is not None and await MemberRepository(session, auth).by_user(invitee.id):
        raise ProblemError(409, "This person is already a member of the organization.")
    repo = InviteRepository(session, auth)
    now = actor.clock.now()
    pending = await session.scalar(repo.pending(now).where(Invite.email == body.email))
    if pending is not None:
        raise ProblemError(
            409, "An invitation to this email is already pending: revoke it to send a new one.",
            extra={"invite_id": str(pending.id)},
        )
    org = await session.get(Organization, auth.organization_id)
    if org is None:
        raise NotFound("Organization")
    await seat_check(session, auth, org, actor.clock, adding_invite=True)
    token = secrets.token_urlsafe(32)
    invite = repo.add(
        Invite(
            email=body.email,
            role=role,
            custom_role_id=custom_role_id,
            token_hash=sha256_hex(token),
            invited_by_user_id=auth.user_id,
            expires_at=now + INVITE_LIFETIME,
        )
    )
    await session.flush()
    inviter = await session.get(User, auth.user_id) if auth.user_id else None
    await queue_email(
        actor.jobs,
        to=body.email,
        template="invite",
        locale=(invitee.locale if invitee else inviter.locale if inviter else "en"),
        context={
            "token": token,
            "organization_name": org.name,
            "inviter_name": inviter.name if inviter else f"An administrator of {org.name}",
            "recipient_name": invitee.name if invitee else "",
        },
    )
    await actor.audit(
        session, "invite.create", target_type="invite", target_id=invite.id,
        details={"email": invite.email, "role": role,
                 "custom_role_id": str(custom_role_id) if custom_role_id else None},
    )
    return invite


async def revoke_invite(session: AsyncSession, actor: Actor, invite: Invite) -> None:
    invite.deleted_at = actor.clock.now()
    await session.flush()
    await actor.audit(session, "invite.revoke", target_type="invite", target_id=invite.id,
                      details={"email": invite.email})


# Acceptance (public: the token is the credential) ------------------------------------------


@dataclass(frozen=True)
class Acceptance:
    organization: Organization
    membership: Membership
    user: User
    # Set when this request must start a session for the user.
    start_session: bool


def _gone(detail: str) -> ProblemError:
    return ProblemError(410, detail, kind="gone")


async def _find_invite(
    session: AsyncSession, token: str, now: datetime
) -> tuple[Invite, Organization]:
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        raise NotFound("Invitation")
    await set_system_mode(session, True)
    try:
        row = (
            await session.execute(
                select(Invite, Organization)
                .join(Organization, Organization.id == Invite.organization_id)
                .where(
                    Invite.token_hash == sha256_hex(token),
                    Invite.deleted_at.is_(None),
                    Organization.deleted_at.is_(None),
                )
                # Concurrent acceptances of one invite queue here; the later ones see it used.
                .with_for_update(of=Invite)
            )
        ).first()
    finally:
        await set_system_mode(session, False)
    if row is None:
        raise NotFound("Invitation")
    invite, org = row
    if invite.accepted_at is not None:
        raise _gone("This invitation was already used; ask for a new one.")
    if invite.expires_at <= now:
        raise _gone("This invitation has expired; ask for a new one.")
    return invite, org


async def _logged_in_user(
    session: AsyncSession, request: Request, cache: Cache, clock: Clock
) -> User | None:
    """The user of a valid session cookie (CSRF-checked like any cookie write), or None."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    active = await resolve_session(session, cache, cookie, clock=clock)
    if active is None:
        return None
    sent = request.headers.get(CSRF_HEADER, "")
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not sent or not expected or not hmac.compare_digest(sent, expected):
        raise ProblemError(
            403, "Send the brain_csrf cookie's value in the X-CSRF-Token header.",
            kind="csrf-failed",
        )
    return await session.get(User, active.user_id)


async def _has_mfa(session: AsyncSession, user_id: uuid.UUID) -> bool:
    return bool(await session.scalar(select(exists().where(
        TotpFactor.user_id == user_id, TotpFactor.confirmed_at.is_not(None)))))


async def _account_for(
    session: AsyncSession, invite: Invite, body: InviteAccept, now: datetime
) -> tuple[User, bool]:
    """The invitee's account without a session: the existing one (its password checked when
    given), or a new one; (user, whether it was created)."""
    if await sso_enforced_for_email(session, invite.email) is not None:
        raise ProblemError(
            409, "Your email domain signs in with single sign-on: sign in with SSO first, then "
            "accept the invitation again.",
        )
    user = await _user_by_email(session, invite.email)
    if user is not None:
        if user.deleted_at is not None:
            raise ProblemError(403, "This account is closed.")
        if body.password is not None and not verify_password(user.password_hash, body.password):
            raise ProblemError(401, "The password is wrong.",
                               headers={"WWW-Authenticate": 'Bearer realm="brain"'})
        if await _has_mfa(session, user.id):
            raise ProblemError(
                401,
                "This account uses two-factor authentication: log in first, then accept the "
                "invitation again.",
                headers={"WWW-Authenticate": 'Bearer realm="brain"'},
            )
        return user, False
    missing = [f for f in ("name", "password") if getattr(body, f) is None]
    if missing:
        raise ProblemError(
            422, "There is no account for this email yet: give a name and a password.",
            errors=[{"loc": ["body", f], "message": "Required for a new account."}
                    for f in missing],
        )
    assert body.name is not None
    assert body.password is not None
    violation = check_password(body.password, email=invite.email, name=body.name)
    if violation is not None:
        raise ProblemError(
            422, violation.message,
            errors=[{"loc": ["body", "password"], "message": violation.message}],
            extra={"reason": violation.code},
        )
    user = User(
        email=invite.email,
        name=body.name,
        password_hash=hash_password(body.password),
        password_changed_at=now,
        email_verified_at=now,
    )
    session.add(user)
    await session.flush()
    return user, True


async def accept_invite(
    session: AsyncSession,
    *,
    token: str,
    body: InviteAccept,
    request: Request,
    cache: Cache,
    clock: Clock,
    jobs: JobBuffer,
) -> Acceptance:
    """Make the invitee a member: the logged-in user (whose email must match), else the
    account for the invited email, created when there is none. Single use."""
    now = clock.now()
    invite, org = await _find_invite(session, token, now)
    logged_in = await _logged_in_user(session, request, cache, clock)
    if logged_in is not None:
        if logged_in.email.lower() != invite.email.lower():
            raise ProblemError(
                403, "This invitation was sent to another email address: log in as that "
                "person, or log out, to accept it.",
            )
        user, created = logged_in, False
    else:
        user, created = await _account_for(session, invite, body, now)
    await set_tenant(session, org.id)
    auth = AuthContext(organization_id=org.id, role=invite.role, permissions=frozenset(),
                       subject_type=SubjectType.user, subject_id=user.id)
    if await MemberRepository(session, auth).by_user(user.id) is not None:
        raise ProblemError(409, "You are already a member of this organization.")
    await seat_check(session, auth, org, clock, adding_invite=False)
    if user.email_verified_at is None:
        # The token came from the invited mailbox: that proves the address.
        user.email_verified_at = now
    membership = MemberRepository(session, auth).add(
        Membership(user_id=user.id, role=invite.role, custom_role_id=invite.custom_role_id)
    )
    invite.accepted_at = now
    if user.default_organization_id is None:
        user.default_organization_id = org.id
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        # A concurrent acceptance (or sign-up) won the race.
        raise ProblemError(409, "You are already a member of this organization.") from None
    await evict_member_contexts(cache, jobs, org.id, [user.id])
    await record_audit(
        session, clock=clock, action="invite.accept", organization_id=org.id,
        actor_type="user", actor_id=user.id, target_type="invite", target_id=invite.id,
        request=request, details={"membership_id": str(membership.id), "role": invite.role,
                                  "new_account": created},
    )
    return Acceptance(organization=org, membership=membership, user=user,
                      start_session=logged_in is None)
