"""What organization SSO and social login share: the pending login kept server-side and bound to
the browser, the error redirects, account linking / just-in-time provisioning, and the session
that ends a successful login."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from brain.audit.service import record_audit, request_origin
from brain.core.cache import Cache
from brain.core.clock import Clock
from brain.core.db import set_system_mode
from brain.identity.models import ExternalIdentity, User
from brain.identity.sessions import revoke_sessions, start_session
from brain.organizations.models import Membership
from brain.settings import Settings

# HttpOnly cookie binding a pending login to the browser that started it.
BINDING_COOKIE = "brain_oidc"
BINDING_COOKIE_PATH = "/api/v1/auth"
PENDING_TTL_SECONDS = 600
LOGIN_ERROR_PATH = "/login"
_STATE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
_MAX_NEXT_LENGTH = 1000


class LoginFailure(Exception):
    """A browser login that ends at `/login?error=<code>` (and in the audit trail)."""

    def __init__(
        self,
        code: str,
        reason: str,
        *,
        organization_id: uuid.UUID | None = None,
        user_id: uuid.UUID | None = None,
    ) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
        self.organization_id = organization_id
        self.user_id = user_id


@dataclass(frozen=True, slots=True)
class PendingLogin:
    """An authorization request in flight (kept in the cache under its `state`)."""

    kind: str  # "sso" or "social"
    target: str  # the organization id, or the social provider's name
    nonce: str
    code_verifier: str
    next_path: str
    binding_hash: str
    redirect_uri: str
    issuer: str | None = None

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: bytes) -> PendingLogin:
        return cls(**orjson.loads(raw))


@dataclass(frozen=True, slots=True)
class ExternalProfile:
    """Who the provider says signed in."""

    issuer: str
    subject: str
    email: str | None
    # True/False as the provider states it; None when it says nothing.
    email_verified: bool | None
    name: str | None
    claims: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def email_domain(self) -> str | None:
        return self.email.rsplit("@", 1)[-1] if self.email and "@" in self.email else None


@dataclass(frozen=True, slots=True)
class LoginResult:
    """A login that succeeded: a session, or (the user has MFA) a second-factor challenge."""

    user_id: uuid.UUID
    next_path: str
    session_token: str | None = field(default=None, repr=False)
    mfa_challenge: str | None = field(default=None, repr=False)
    organization_id: uuid.UUID | None = None
    # With `mfa_challenge`: the second factors that can answer it ("totp", "webauthn").
    mfa_methods: tuple[str, ...] = ()


def safe_next(value: str | None) -> str:
    """A same-site relative path to return to after login; anything else becomes "/"."""
    if not value or len(value) > _MAX_NEXT_LENGTH:
        return "/"
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


def normalize_email(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    email = value.strip().lower()
    if len(email) > 320 or email.count("@") != 1 or email.startswith("@") or email.endswith("@"):
        return None
    if any(c.isspace() for c in email):
        return None
    return email


def error_redirect(code: str) -> Response:
    """Browser flows never end in a problem document: back to the login page with a code."""
    return RedirectResponse(
        f"{LOGIN_ERROR_PATH}?{urlencode({'error': code})}", status_code=302,
        headers={"Cache-Control": "no-store"},
    )


def success_redirect(next_path: str) -> RedirectResponse:
    return RedirectResponse(safe_next(next_path), status_code=302,
                            headers={"Cache-Control": "no-store"})


def mfa_redirect(
    challenge: str, next_path: str, methods: tuple[str, ...] = ()
) -> RedirectResponse:
    """To the login page's second-factor step (POST /api/v1/auth/mfa/challenge, or a passkey
    through /api/v1/auth/webauthn/mfa/…); `mfa_methods` says which factors can answer."""
    params = {"mfa_challenge": challenge, "next": safe_next(next_path)}
    if methods:
        params["mfa_methods"] = ",".join(methods)
    query = urlencode(params)
    return RedirectResponse(f"{LOGIN_ERROR_PATH}?{query}", status_code=302,
                            headers={"Cache-Control": "no-store"})


def browser_binding(request: Request) -> str:
    """The browser's binding secret: the existing cookie's, or a new one."""
    current = request.cookies.get(BINDING_COOKIE, "")
    if _STATE_PATTERN.match(current):
        return current
    return secrets.token_urlsafe(32)


def set_binding_cookie(response: Response, binding: str, *, settings: Settings) -> None:
    # SameSite=Lax: sent on the provider's top-level redirect back to the callback.
    response.set_cookie(
        BINDING_COOKIE, binding, max_age=PENDING_TTL_SECONDS, httponly=True,
        secure=settings.cookie_secure, samesite="lax", path=BINDING_COOKIE_PATH,
    )


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def pending_key(state: str) -> str:
    return f"oidc:pending:{_digest(state)}"


async def save_pending(cache: Cache, state: str, pending: PendingLogin) -> None:
    await cache.set(pending_key(state), pending.to_json(), PENDING_TTL_SECONDS)


def binding_hash(binding: str) -> str:
    return _digest("binding:" + binding)


async def take_pending(
    cache: Cache, state: str | None, binding: str | None, *, kind: str
) -> PendingLogin:
    """The pending login of `state`, once: it must exist, be of `kind`, and have been started
    by this browser (its binding cookie). LoginFailure("invalid-state") otherwise."""
    if not state or not _STATE_PATTERN.match(state):
        raise LoginFailure("invalid-state", "no or malformed state")
    raw = await cache.get(pending_key(state))
    if raw is None:
        raise LoginFailure("invalid-state", "unknown or expired state")
    pending = PendingLogin.from_json(raw)
    if not binding or not hmac.compare_digest(binding_hash(binding), pending.binding_hash):
        # Checked before consuming: a replay from another browser does not burn the state.
        raise LoginFailure("invalid-state", "the state belongs to another browser")
    if pending.kind != kind:
        raise LoginFailure("invalid-state", "the state belongs to another flow")
    if await cache.incr(f"oidc:used:{_digest(state)}", PENDING_TTL_SECONDS) != 1:
        raise LoginFailure("invalid-state", "the state was already used")
    await cache.delete(pending_key(state))
    return pending


async def limit_attempts(cache: Cache, request: Request, *, per_minute: int,
                         clock: Clock) -> None:
    """Login starts and callbacks per client IP and minute."""
    ip, _ = request_origin(request)
    window = int(clock.now().timestamp() // 60)
    if await cache.incr(f"oidc:ip:{ip or '-'}:{window}", 60) > per_minute:
        raise LoginFailure("rate-limited", "too many login attempts from this address")


async def _find_user_by_email(db: AsyncSession, email: str) -> User | None:
    # Emails are stored lower-cased.
    result: User | None = await db.scalar(select(User).where(User.email == email))
    return result


async def is_member(db: AsyncSession, user_id: uuid.UUID, organization_id: uuid.UUID) -> bool:
    found = await db.scalar(
        select(Membership.id).where(
            Membership.user_id == user_id, Membership.organization_id == organization_id
        )
    )
    return found is not None


async def resolve_user(
    db: AsyncSession,
    cache: Cache,
    *,
    profile: ExternalProfile,
    source: str,
    email_is_verified: bool,
    clock: Clock,
    link_requires_membership_of: uuid.UUID | None = None,
) -> tuple[User, str]:
    """The user this external identity signs in, and how it was found: "linked" (by issuer and
    subject), "email" (an existing account, linked now) or "created" (just in time).

    Linking by email needs a verified email. For organization SSO the existing account must
    already be a member of that organization: a tenant's identity provider is trusted for its
    own members, never to take over anyone else's account."""
    now = clock.now()
    identity = await db.scalar(
        select(ExternalIdentity).where(
            ExternalIdentity.issuer == profile.issuer,
            ExternalIdentity.subject == profile.subject,
        )
    )
    if identity is not None:
        user = await db.get(User, identity.user_id)
        if user is None or user.deleted_at is not None:
            raise LoginFailure("account-disabled", "the linked account is deleted")
        identity.last_login_at = now
        if profile.email:
            identity.email = profile.email
        return user, "linked"
    if not profile.email:
        raise LoginFailure("email-missing", "the provider shared no email address")
    if not email_is_verified:
        raise LoginFailure("email-not-verified", "the provider has not verified the email")
    how = "email"
    user = await _find_user_by_email(db, profile.email)
    if user is not None:
        if user.deleted_at is not None:
            raise LoginFailure("account-disabled", "the account is deleted", user_id=user.id)
        if link_requires_membership_of is not None and not await is_member(
            db, user.id, link_requires_membership_of
        ):
            raise LoginFailure(
                "account-exists",
                "an account with this email exists and is not a member of the organization",
                user_id=user.id,
            )
        if user.email_verified_at is None:
            if user.password_hash is not None:
                # Whoever set this password never proved they own the email (account
                # pre-hijacking): the password and its sessions go.
                user.password_hash = None
                await revoke_sessions(db, cache, user_id=user.id, clock=clock)
            user.email_verified_at = now
    else:
        how = "created"
        name = (profile.name or profile.email.split("@", 1)[0]).strip()[:200] or profile.email
        user = User(email=profile.email, name=name, email_verified_at=now, password_hash=None)
        db.add(user)
        await db.flush()
    db.add(
        ExternalIdentity(
            user_id=user.id, issuer=profile.issuer[:500], subject=profile.subject[:255],
            source=source[:80], email=profile.email, last_login_at=now,
        )
    )
    await db.flush()
    return user, how


async def open_session(
    db: AsyncSession, *, user: User, clock: Clock, request: Request, method: str
) -> str:
    """Start the login session; returns the cookie token."""
    ip, agent = request_origin(request)
    _, token = await start_session(db, user=user, clock=clock, ip=ip, user_agent=agent,
                                   method=method)
    # start_session reads timeouts in system mode and leaves it; the login flow stays in it.
    await set_system_mode(db, True)
    return token


async def audit_login(
    db: AsyncSession,
    *,
    clock: Clock,
    request: Request,
    action: str,
    outcome: str,
    organization_id: uuid.UUID | None,
    user_id: uuid.UUID | None,
    details: dict[str, Any],
) -> None:
    await record_audit(
        db, clock=clock, action=action, outcome=outcome, organization_id=organization_id,
        actor_type="user" if user_id else "anonymous", actor_id=user_id,
        target_type="user" if user_id else None, target_id=user_id, request=request,
        details=details,
    )
