"""Registration, email verification, login and logout, sessions, password change and reset,
the profile and organization switching. Services do not commit the request's work (the one
exception, `end_read_phase`, commits only reads before argon2 runs); failures that must still
be audited (wrong password, lockout) are returned as outcomes, not raised, so the request's
transaction commits the audit row while the client gets the error.

Enumeration safety:
* login answers a wrong password and an unknown email with the same 401 body after the same
  argon2 work, and locks unknown emails exactly like known ones;
* password reset requests answer 202 whatever the email;
* registration with an email that already has an account answers the same 201 shape, with
  fresh ids and cookies that open nothing, and emails the owner of the address that they
  already have an account (see `register`).
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from brain.audit.service import record_audit
from brain.core.db import BYPASS_INFO_KEY, set_system_mode
from brain.core.email import queue_email
from brain.core.errors import Conflict, NotFound, ProblemError
from brain.core.jobs import JobBuffer
from brain.core.models import uuid7
from brain.core.runtime import Runtime
from brain.identity.lockout import AuthThrottle, Locked
from brain.identity.models import OneTimeToken, User, UserSession
from brain.identity.password_policy import check_password, normalize_password
from brain.identity.passwords import hash_password, needs_rehash, verify_password
from brain.identity.schemas_auth import (
    LoginRequest,
    Me,
    MembershipSummary,
    MeUpdate,
    RegisterRequest,
    UserRead,
)
from brain.identity.sessions import ActiveSession, hash_token, revoke_sessions, start_session
from brain.identity.sessions import _cache_key as session_cache_key
from brain.identity.sso import sso_enforced_for_email
from brain.organizations.models import Membership, Organization
from brain.organizations.service import create_organization

VERIFY_PURPOSE = "verify_email"
RESET_PURPOSE = "reset_password"
VERIFY_LIFETIME = timedelta(hours=48)
RESET_LIFETIME = timedelta(hours=1)
# Verification emails a logged-in user may ask for per window.
RESEND_LIMIT, RESEND_WINDOW_SECONDS = 3, 15 * 60
# Reset emails per address per window; further requests still answer 202 but send nothing.
RESET_EMAIL_LIMIT, RESET_EMAIL_WINDOW_SECONDS = 3, 3600
OWNER_ROLE = "owner"

_BAD_CREDENTIALS = "The email or password is incorrect."

_ACCOUNT_EXISTS = {
    "en": (
        "You already have an account",
        "Someone (probably you) tried to sign up with this email address, but it already "
        "has an account. Log in instead; if you forgot your password, use \"Forgot "
        "password\" on the login page.\n\nIf it was not you, you can ignore this email.",
        "Log in",
    ),
    "es": (
        "Ya tienes una cuenta",
        "Alguien (probablemente tú) intentó registrarse con esta dirección de correo, pero "
        "ya tiene una cuenta. Inicia sesión; si olvidaste tu contraseña, usa \"¿Olvidaste "
        "tu contraseña?\" en la página de inicio de sesión.\n\nSi no fuiste tú, puedes "
        "ignorar este correo.",
        "Iniciar sesión",
    ),
}
_PASSWORD_CHANGED = {
    "en": (
        "Your password was changed",
        "The password of your account was just changed and your other sessions were ended."
        "\n\nIf this was not you, reset your password now and tell your administrator.",
    ),
    "es": (
        "Tu contraseña ha cambiado",
        "La contraseña de tu cuenta acaba de cambiar y tus otras sesiones se han cerrado."
        "\n\nSi no fuiste tú, restablece tu contraseña ahora y avisa a tu administrador.",
    ),
}


# -- small helpers --------------------------------------------------------------------------


def client_ip(request: Request | None) -> str | None:
    if request is None or request.client is None:
        return None
    return request.client.host[:64]


def user_agent(request: Request | None) -> str | None:
    agent = request.headers.get("user-agent") if request is not None else None
    return agent[:500] if agent else None


@asynccontextmanager
async def system_mode(db: AsyncSession) -> AsyncIterator[None]:
    """See every organization's rows for a moment (user-level routes have no tenant)."""
    was = bool(db.info.get(BYPASS_INFO_KEY))
    await set_system_mode(db, True)
    try:
        yield
    finally:
        await set_system_mode(db, was)


def throttle(runtime: Runtime) -> AuthThrottle:
    return AuthThrottle(runtime.cache, runtime.settings, runtime.clock)


def rate_limited(locked: Locked, detail: str) -> ProblemError:
    return ProblemError(
        429, detail.format(seconds=locked.retry_after),
        headers={"Retry-After": str(locked.retry_after)},
    )


def enforce_policy(password: str, *, email: str, name: str, field: str) -> None:
    """422 naming the broken rule (never echoing the password)."""
    violation = check_password(password, email=email, name=name)
    if violation is not None:
        raise ProblemError(
            422, "The password does not meet the password policy.",
            errors=[{"loc": ["body", field], "message": violation.message}],
        )


async def _hash(password: str) -> str:
    # argon2id takes tens of milliseconds of CPU; run it off the event loop.
    return await asyncio.to_thread(hash_password, normalize_password(password))


async def _verify(password_hash: str | None, password: str) -> bool:
    return await asyncio.to_thread(verify_password, password_hash, normalize_password(password))


verify_password_async = _verify


async def end_read_phase(db: AsyncSession) -> None:
    """Commit what the request did so far (reads, a session touch) before the ~50 ms of
    argon2 work, so no pooled connection or database snapshot is held while hashing. On
    SQLite a read snapshot that outlives another writer's commit makes this transaction's
    later write fail at once (SQLITE_BUSY_SNAPSHOT, which busy_timeout cannot wait out);
    concurrent logins would then fail. Nothing has been written by the service yet."""
    if db.in_transaction():
        await db.commit()


async def mfa_enabled(db: AsyncSession, user_id: uuid.UUID) -> bool:
    """Whether the user has a confirmed second factor (False until MFA is installed)."""
    try:
        from brain.identity.mfa import user_has_mfa
    except ImportError:  # pragma: no cover - MFA ships with the identity issue
        return False
    return await user_has_mfa(db, user_id)


async def second_factors(db: AsyncSession, user_id: uuid.UUID) -> list[str]:
    """The user's second factors ("totp", "webauthn"); empty without MFA."""
    from brain.identity.mfa import mfa_methods

    return await mfa_methods(db, user_id)


async def user_read(db: AsyncSession, user: User, *, mfa: bool | None = None) -> UserRead:
    """The user as the API shows it (`mfa` when the caller already knows it)."""
    return UserRead(
        id=user.id,
        email=user.email,
        name=user.name,
        email_verified=user.email_verified_at is not None,
        locale=user.locale,
        mfa_enabled=await mfa_enabled(db, user.id) if mfa is None else mfa,
        is_platform_operator=user.is_platform_operator,
        created_at=user.created_at,
    )


async def find_user(db: AsyncSession, email: str) -> User | None:
    user: User | None = await db.scalar(
        select(User).where(User.email == email.lower(), User.deleted_at.is_(None))
    )
    return user


async def get_user(db: AsyncSession, user_id: uuid.UUID) -> User:
    user = await db.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise ProblemError(401, "Your account no longer exists.",
                           headers={"WWW-Authenticate": 'Bearer realm="brain"'})
    return user


async def audit(
    db: AsyncSession,
    runtime: Runtime,
    request: Request | None,
    action: str,
    *,
    user: User | None,
    outcome: str = "success",
    target_type: str | None = None,
    target_id: str | uuid.UUID | None = None,
    details: dict[str, object] | None = None,
) -> None:
    """One auth event, filed under the user's default organization when there is a user."""
    await record_audit(
        db,
        clock=runtime.clock,
        action=action,
        outcome=outcome,
        organization_id=user.default_organization_id if user is not None else None,
        actor_type="user" if user is not None else "anonymous",
        actor_id=user.id if user is not None else None,
        target_type=target_type or ("user" if user is not None else None),
        target_id=target_id if target_id is not None else (user.id if user else None),
        request=request,
        details=details,
    )


# -- one-time tokens ------------------------------------------------------------------------


async def issue_token(
    db: AsyncSession, *, user: User, purpose: str, lifetime: timedelta, now: datetime
) -> str:
    """A new single-use token (stored as SHA-256); earlier unused ones of the purpose die."""
    await db.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.user_id == user.id,
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    db.add(
        OneTimeToken(
            user_id=user.id, purpose=purpose, token_hash=hash_token(token),
            created_at=now, expires_at=now + lifetime,
        )
    )
    await db.flush()
    return token


async def consume_token(
    db: AsyncSession, *, token: str, purpose: str, now: datetime
) -> OneTimeToken:
    """Use a token once: 400 when unknown or used, 410 when expired."""
    invalid = ProblemError(400, "The link is invalid or was already used.", kind="invalid-token")
    row: OneTimeToken | None = await db.scalar(
        select(OneTimeToken).where(
            OneTimeToken.token_hash == hash_token(token), OneTimeToken.purpose == purpose
        )
    )
    if row is None or row.used_at is not None:
        raise invalid
    if now >= row.expires_at:
        raise ProblemError(
            410, "The link has expired; ask for a new one.", kind="gone"
        )
    # Conditional update: two requests racing with one token cannot both succeed.
    result = await db.execute(
        update(OneTimeToken)
        .where(OneTimeToken.id == row.id, OneTimeToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise invalid
    await db.refresh(row)
    return row


# -- sessions -------------------------------------------------------------------------------


async def revoke(
    db: AsyncSession,
    runtime: Runtime,
    jobs: JobBuffer,
    *,
    user_id: uuid.UUID,
    only: uuid.UUID | None = None,
    keep: uuid.UUID | None = None,
) -> int:
    """Revoke sessions; their cache entries are evicted now and again after commit, so a
    request racing the commit cannot re-cache one as valid."""
    stmt = select(UserSession.token_hash).where(
        UserSession.user_id == user_id, UserSession.revoked_at.is_(None)
    )
    if only is not None:
        stmt = stmt.where(UserSession.id == only)
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep)
    hashes = list((await db.scalars(stmt)).all())
    count = await revoke_sessions(
        db, runtime.cache, user_id=user_id, clock=runtime.clock, only=only, keep=keep
    )

    async def evict() -> None:
        for token_hash in hashes:
            await runtime.cache.delete(session_cache_key(token_hash))

    if hashes:
        jobs.after_commit(evict)
    return count


async def live_session_ids(
    db: AsyncSession, runtime: Runtime, user_id: uuid.UUID
) -> list[uuid.UUID]:
    """The user's sessions that are neither revoked nor past their idle or absolute limit."""
    now = runtime.clock.now()
    rows = (
        await db.execute(
            select(UserSession.id, UserSession.last_seen_at, UserSession.idle_timeout_seconds)
            .where(
                UserSession.user_id == user_id,
                UserSession.revoked_at.is_(None),
                UserSession.expires_at > now,
            )
        )
    ).all()
    return [
        row[0] for row in rows if now - row[1] < timedelta(seconds=row[2])
    ]


async def get_own_session(
    db: AsyncSession, runtime: Runtime, *, user_id: uuid.UUID, session_id: uuid.UUID
) -> UserSession:
    """One of the caller's live sessions (404 for anyone else's, or a dead one)."""
    if session_id not in await live_session_ids(db, runtime, user_id):
        raise NotFound("Session")
    row = await db.get(UserSession, session_id)
    if row is None:  # pragma: no cover - just listed
        raise NotFound("Session")
    return row


# -- registration and verification ----------------------------------------------------------


@dataclass(frozen=True)
class Registered:
    user: UserRead
    organization_id: uuid.UUID
    session_token: str


async def _send_verification(
    db: AsyncSession, runtime: Runtime, jobs: JobBuffer, user: User
) -> None:
    token = await issue_token(
        db, user=user, purpose=VERIFY_PURPOSE, lifetime=VERIFY_LIFETIME,
        now=runtime.clock.now(),
    )
    await queue_email(
        jobs, to=user.email, template="verify_email", locale=user.locale,
        context={
            "token": token,
            "recipient_name": user.name,
            "expires_in_minutes": int(VERIFY_LIFETIME.total_seconds() // 60),
        },
    )


async def register(
    db: AsyncSession,
    runtime: Runtime,
    jobs: JobBuffer,
    *,
    body: RegisterRequest,
    request: Request | None,
) -> Registered:
    """Create the user (unverified), their organization and owner membership, log them in
    and email the verification link.

    An email that already has an account gets the same 201 shape (fresh ids, cookies that
    open nothing) after the same password-hashing work, and its owner gets an email saying
    they already have an account, so the response does not reveal who is registered.
    """
    ip = client_ip(request)
    if ip and (locked := await throttle(runtime).hit(
        "register", ip, limit=runtime.settings.login_ip_per_minute, window_seconds=60
    )):
        raise rate_limited(locked, "Too many sign-ups from your address; retry in {seconds} s.")
    enforce_policy(body.password, email=body.email, name=body.name, field="password")
    now = runtime.clock.now()
    password_hash = await _hash(body.password)
    existing = await find_user(db, body.email)
    await end_read_phase(db)
    if existing is not None:
        return await _register_existing(db, runtime, jobs, existing, body, request, now)
    user = User(
        email=body.email, name=body.name, password_hash=password_hash, password_changed_at=now,
        locale=body.locale, created_at=now, updated_at=now,
    )
    # The user row first: the transaction starts with a write (see `login`).
    db.add(user)
    await db.flush()
    async with system_mode(db):
        org = await create_organization(db, name=body.organization_name)
        db.add(Membership(organization_id=org.id, user_id=user.id, role=OWNER_ROLE))
        user.default_organization_id = org.id
        await db.flush()
    await _send_verification(db, runtime, jobs, user)
    _, token = await start_session(
        db, user=user, clock=runtime.clock, ip=ip, user_agent=user_agent(request)
    )
    await audit(db, runtime, request, "auth.register", user=user,
                details={"organization_id": str(org.id)})
    return Registered(user=await user_read(db, user), organization_id=org.id, session_token=token)


async def _register_existing(
    db: AsyncSession,
    runtime: Runtime,
    jobs: JobBuffer,
    existing: User,
    body: RegisterRequest,
    request: Request | None,
    now: datetime,
) -> Registered:
    title, text, label = _ACCOUNT_EXISTS.get(existing.locale, _ACCOUNT_EXISTS["en"])
    public_url = runtime.settings.public_url.rstrip("/")
    await queue_email(
        jobs, to=existing.email, template="notification", locale=existing.locale,
        context={
            "title": title, "body": text, "recipient_name": existing.name,
            "action_url": f"{public_url}/login", "action_label": label,
        },
    )
    await audit(db, runtime, request, "auth.register", user=existing, outcome="failure",
                details={"reason": "email_taken"})
    decoy = UserRead(
        id=uuid7(), email=body.email, name=body.name, email_verified=False,
        locale=body.locale, mfa_enabled=False, created_at=now,
    )
    return Registered(
        user=decoy, organization_id=uuid7(), session_token=secrets.token_urlsafe(32)
    )


async def verify_email(
    db: AsyncSession, runtime: Runtime, *, token: str, request: Request | None
) -> User:
    """Mark the email verified with the token from the verification link."""
    now = runtime.clock.now()
    row = await consume_token(db, token=token, purpose=VERIFY_PURPOSE, now=now)
    user = await db.get(User, row.user_id)
    if user is None or user.deleted_at is not None:
        raise ProblemError(400, "The link is invalid or was already used.", kind="invalid-token")
    if user.email_verified_at is None:
        user.email_verified_at = now
        await db.flush()
    await audit(db, runtime, request, "auth.email.verify", user=user)
    return user


async def resend_verification(
    db: AsyncSession,
    runtime: Runtime,
    jobs: JobBuffer,
    *,
    active: ActiveSession,
    request: Request | None,
) -> None:
    """Email a new verification link (earlier ones stop working); rate-limited per user."""
    user = await get_user(db, active.user_id)
    if user.email_verified_at is not None:
        raise Conflict("Your email address is already verified.")
    locked = await throttle(runtime).hit(
        "verify-resend", str(user.id), limit=RESEND_LIMIT, window_seconds=RESEND_WINDOW_SECONDS
    )
    if locked:
        raise rate_limited(locked, "Verification email sent recently; retry in {seconds} s.")
    await _send_verification(db, runtime, jobs, user)
    await audit(db, runtime, request, "auth.email.verify_resend", user=user)


# -- login and logout -----------------------------------------------------------------------


@dataclass(frozen=True)
class LoginOutcome:
    """Exactly one of: a session (`user` + `session_token`), an MFA challenge, a problem."""

    user: User | None = None
    session_token: str | None = None
    challenge_id: str | None = None
    problem: ProblemError | None = None
    # With a challenge: the second factors that can answer it ("totp", "webauthn").
    mfa_methods: tuple[str, ...] = ()


async def sso_login_url(db: AsyncSession, email: str) -> str | None:
    """Where to log in when the email's domain belongs to an organization enforcing SSO."""
    connection = await sso_enforced_for_email(db, email)
    if connection is None:
        return None
    async with system_mode(db):
        slug = await db.scalar(
            select(Organization.slug).where(Organization.id == connection.organization_id)
        )
    return f"/api/v1/auth/sso/{slug}/login"


async def login(
    db: AsyncSession, runtime: Runtime, *, body: LoginRequest, request: Request | None
) -> LoginOutcome:
    """Check the password (constant effort), lockout and SSO enforcement; open a session or
    an MFA challenge."""
    ip, agent = client_ip(request), user_agent(request)
    guard = throttle(runtime)
    locked = await guard.login_locked(email=body.email, ip=ip)
    if locked is not None:
        user = await find_user(db, body.email)
        await audit(db, runtime, request, "auth.login", user=user, outcome="denied",
                    details={"reason": "locked", "scope": locked.scope})
        return LoginOutcome(problem=rate_limited(
            locked, "Too many failed logins; try again in {seconds} seconds."
        ))
    sso_url = await sso_login_url(db, body.email)
    if sso_url is not None:
        await audit(db, runtime, request, "auth.login", user=await find_user(db, body.email),
                    outcome="denied", details={"reason": "sso_required"})
        return LoginOutcome(problem=ProblemError(
            403, "Your organization requires single sign-on; log in through it.",
            kind="sso-required", extra={"sso_login_url": sso_url},
        ))
    user = await find_user(db, body.email)
    methods = await second_factors(db, user.id) if user is not None else []
    has_mfa = bool(methods)
    await end_read_phase(db)
    ok = await _verify(user.password_hash if user is not None else None, body.password)
    # From here each branch writes (the audit row) before it reads again, so on SQLite the
    # transaction takes the write lock first instead of upgrading a read snapshot.
    if user is None or not ok:
        await guard.login_failed(email=body.email, ip=ip)
        await audit(db, runtime, request, "auth.login", user=user, outcome="failure",
                    details={"reason": "invalid_credentials"})
        return LoginOutcome(problem=ProblemError(401, _BAD_CREDENTIALS))
    await guard.login_succeeded(email=body.email)
    if user.password_hash is not None and needs_rehash(user.password_hash):
        user.password_hash = await _hash(body.password)
    if has_mfa:
        from brain.identity.mfa import create_login_challenge

        await audit(db, runtime, request, "auth.login", user=user,
                    details={"stage": "password", "mfa_required": True})
        challenge = await create_login_challenge(
            db, user=user, clock=runtime.clock, ip=ip, user_agent=agent
        )
        return LoginOutcome(user=user, challenge_id=challenge, mfa_methods=tuple(methods))
    await audit(db, runtime, request, "auth.login", user=user, details={"method": "password"})
    _, token = await start_session(db, user=user, clock=runtime.clock, ip=ip, user_agent=agent)
    return LoginOutcome(user=user, session_token=token)


async def logout(
    db: AsyncSession,
    runtime: Runtime,
    jobs: JobBuffer,
    *,
    active: ActiveSession,
    request: Request | None,
) -> None:
    await revoke(db, runtime, jobs, user_id=active.user_id, only=active.session_id)
    user = await db.get(User, active.user_id)
    await audit(db, runtime, request, "auth.logout", user=user,
                target_type="session", target_id=active.session_id)


async def revoke_one(
    db: AsyncSession,
    runtime: Runtime,
    jobs: JobBuffer,
    *,
    active: ActiveSession,
    session_id: uuid.UUID,
    request: Request | None,
) -> None:
    """End one of the caller's sessions (404 for another user's)."""
    await get_own_session(db, runtime, user_id=active.user_id, session_id=session_id)
    await revoke(db, runtime, jobs, user_id=active.user_id, only=session_id)
    user = await db.get(User, active.user_id)
    await audit(db, runtime, request, "auth.session.revoke", user=user,
                target_type="session", target_id=session_id)


async def revoke_others(
    db: AsyncSession,
    runtime: Runtime,
    jobs: JobBuffer,
    *,
    active: ActiveSession,
    request: Request | None,
) -> int:
    count = await revoke(db, runtime, jobs, user_id=active.user_id, keep=active.session_id)
    user = await db.get(User, active.user_id)
    await audit(db, runtime, request, "auth.session.revoke", user=user,
                details={"scope": "others", "count": count})
    return count


# -- passwords ------------------------------------------------------------------------------


async def _notify_password_changed(jobs: JobBuffer, user: User) -> None:
    title, text = _PASSWORD_CHANGED.get(user.locale, _PASSWORD_CHANGED["en"])
    await queue_email(
        jobs, to=user.email, template="notification", locale=user.locale,
        context={"title": title, "body": text, "recipient_name": user.name},
    )


async def change_password(
    db: AsyncSession,
    runtime: Runtime,
    jobs: JobBuffer,
    *,
    active: ActiveSession,
    current_password: str,
    new_password: str,
    request: Request | None,
) -> ProblemError | None:
    """Replace the password (the current one is required) and end every other session.
    A wrong current password counts towards the account lockout; it is returned (not raised)
    so its audit row is kept."""
    user = await get_user(db, active.user_id)
    guard = throttle(runtime)
    ip = client_ip(request)
    locked = await guard.login_locked(email=user.email, ip=ip)
    if locked is not None:
        return rate_limited(locked, "Too many failed attempts; try again in {seconds} seconds.")
    await end_read_phase(db)
    if not await _verify(user.password_hash, current_password):
        await guard.login_failed(email=user.email, ip=ip)
        await audit(db, runtime, request, "auth.password.change", user=user,
                    outcome="failure", details={"reason": "invalid_current_password"})
        return ProblemError(
            403, "The current password is incorrect.",
            errors=[{"loc": ["body", "current_password"], "message": "Incorrect password."}],
        )
    enforce_policy(new_password, email=user.email, name=user.name, field="new_password")
    user.password_hash = await _hash(new_password)
    user.password_changed_at = runtime.clock.now()
    await db.flush()
    revoked = await revoke(db, runtime, jobs, user_id=user.id, keep=active.session_id)
    await _notify_password_changed(jobs, user)
    await audit(db, runtime, request, "auth.password.change", user=user,
                details={"sessions_revoked": revoked})
    return None


async def request_reset(
    db: AsyncSession,
    runtime: Runtime,
    jobs: JobBuffer,
    *,
    email: str,
    request: Request | None,
) -> None:
    """Email a reset link when the address has an account; the caller answers 202 either
    way. The per-IP limit (429) does not depend on the address."""
    guard = throttle(runtime)
    ip = client_ip(request)
    if ip and (locked := await guard.hit(
        "reset", ip, limit=runtime.settings.login_ip_per_minute, window_seconds=60
    )):
        raise rate_limited(locked, "Too many reset requests; retry in {seconds} s.")
    user = await find_user(db, email)
    over_limit = await guard.hit(
        "reset-email", email, limit=RESET_EMAIL_LIMIT, window_seconds=RESET_EMAIL_WINDOW_SECONDS
    )
    sent = user is not None and over_limit is None
    if user is not None and sent:
        token = await issue_token(
            db, user=user, purpose=RESET_PURPOSE, lifetime=RESET_LIFETIME,
            now=runtime.clock.now(),
        )
        await queue_email(
            jobs, to=user.email, template="reset_password", locale=user.locale,
            context={
                "token": token,
                "recipient_name": user.name,
                "expires_in_minutes": int(RESET_LIFETIME.total_seconds() // 60),
            },
        )
    await audit(db, runtime, request, "auth.password_reset.request", user=user,
                details={"email_sent": sent})


async def complete_reset(
    db: AsyncSession,
    runtime: Runtime,
    jobs: JobBuffer,
    *,
    token: str,
    new_password: str,
    request: Request | None,
) -> None:
    """Set a new password with the emailed token: every session ends, the email counts as
    verified (the link proved it) and the account's lockout is cleared."""
    now = runtime.clock.now()
    row = await consume_token(db, token=token, purpose=RESET_PURPOSE, now=now)
    user = await db.get(User, row.user_id)
    if user is None or user.deleted_at is not None:
        raise ProblemError(400, "The link is invalid or was already used.", kind="invalid-token")
    enforce_policy(new_password, email=user.email, name=user.name, field="new_password")
    user.password_hash = await _hash(new_password)
    user.password_changed_at = now
    if user.email_verified_at is None:
        user.email_verified_at = now
    await db.flush()
    revoked = await revoke(db, runtime, jobs, user_id=user.id)
    await throttle(runtime).login_succeeded(email=user.email)
    await _notify_password_changed(jobs, user)
    await audit(db, runtime, request, "auth.password_reset.complete", user=user,
                details={"sessions_revoked": revoked})


# -- profile and organizations --------------------------------------------------------------


async def memberships(db: AsyncSession, user_id: uuid.UUID) -> list[MembershipSummary]:
    async with system_mode(db):
        rows = (
            await db.execute(
                select(Membership.organization_id, Organization.name, Membership.role)
                .join(Organization, Organization.id == Membership.organization_id)
                .where(Membership.user_id == user_id, Organization.deleted_at.is_(None))
                .order_by(func.lower(Organization.name), Membership.organization_id)
            )
        ).all()
    return [
        MembershipSummary(organization_id=r[0], organization_name=r[1], role=r[2]) for r in rows
    ]


async def me(db: AsyncSession, user_id: uuid.UUID) -> Me:
    user = await get_user(db, user_id)
    member_of = await memberships(db, user.id)
    ids = [m.organization_id for m in member_of]
    current = user.default_organization_id if user.default_organization_id in ids else None
    if current is None and ids:
        current = ids[0]
    return Me(user=await user_read(db, user), memberships=member_of,
              current_organization_id=current)


async def update_me(
    db: AsyncSession, runtime: Runtime, *, user_id: uuid.UUID, changes: MeUpdate,
    request: Request | None,
) -> None:
    user = await get_user(db, user_id)
    updated = changes.model_dump(exclude_unset=True, exclude_none=True)
    for field, value in updated.items():
        setattr(user, field, value)
    if updated:
        user.updated_at = runtime.clock.now()
        await db.flush()
        await audit(db, runtime, request, "auth.profile.update", user=user,
                    details={"fields": sorted(updated)})


async def switch_organization(
    db: AsyncSession, runtime: Runtime, *, user_id: uuid.UUID, organization_id: uuid.UUID,
    request: Request | None,
) -> None:
    """Make `organization_id` the user's current organization (404 unless a member)."""
    user = await get_user(db, user_id)
    if organization_id not in {m.organization_id for m in await memberships(db, user.id)}:
        raise NotFound("Organization")
    user.default_organization_id = organization_id
    await db.flush()
    await audit(db, runtime, request, "auth.organization.switch", user=user,
                target_type="organization", target_id=organization_id)
