"""Multi-factor authentication: TOTP (RFC 6238 on top of RFC 4226 HOTP), single-use recovery
codes, the login challenge that follows a correct password, and the admin reset.

Secrets at rest: the TOTP seed is AES-GCM encrypted with the runtime keyring, bound to its
user (`totp_factors:<user id>`). Recovery codes are stored as HMAC-SHA256 under a key derived
from the app secret rather than argon2: each code carries 50 random bits, so a slow hash adds
nothing against guessing, while a keyed hash finds a code with one indexed lookup (argon2
would need one verification per stored code on every attempt) and a copy of the table is
useless without the app secret. Rotating `BRAIN_SECRET_KEY` therefore invalidates the codes
(users regenerate them with a TOTP code).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import secrets
import struct
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from urllib.parse import quote, urlencode

import segno
from sqlalchemy import CursorResult, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from brain.audit.service import record_audit
from brain.core.auth import AuthContext
from brain.core.cache import Cache
from brain.core.clock import Clock
from brain.core.crypto import Keyring
from brain.core.db import BYPASS_INFO_KEY, set_system_mode
from brain.core.errors import Conflict, NotFound, ProblemError
from brain.core.jobs import JobBuffer
from brain.core.runtime import Runtime
from brain.core.tenancy import TenantRepository
from brain.identity.auth_service import audit, revoke
from brain.identity.models import (
    OneTimeToken,
    RecoveryCode,
    TotpFactor,
    User,
    WebAuthnChallenge,
    WebAuthnCredential,
)
from brain.identity.sessions import hash_token
from brain.organizations.context_cache import evict_user_contexts
from brain.organizations.models import Membership, Organization
from brain.organizations.permissions import Role
from brain.settings import Settings

ISSUER = "Brain"
TOTP_PERIOD_SECONDS = 30
TOTP_DIGITS = 6
TOTP_ALGORITHM = "SHA1"
# Codes of the previous and next time step are accepted too (clock drift, typing time).
TOTP_WINDOW_STEPS = 1
TOTP_SECRET_BYTES = 20  # 160 bits, the HMAC-SHA1 block output size RFC 4226 recommends
RECOVERY_CODE_COUNT = 10
# Crockford's base32 alphabet: no i, l, o, u, so codes survive being read aloud or typed.
RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
RECOVERY_CODE_LENGTH = 10  # 50 bits
CHALLENGE_PURPOSE = "mfa_challenge"
CHALLENGE_LIFETIME = timedelta(minutes=5)
CHALLENGE_MAX_ATTEMPTS = 5
# A session established with password+MFA this recently may remove the factor without a code.
REAUTHENTICATION_WINDOW = timedelta(minutes=10)
MFA_SESSION_METHOD = "password+mfa"
# A passwordless login with a passkey (possession plus the authenticator's user verification).
PASSKEY_SESSION_METHOD = "passkey"
STRONG_SESSION_METHODS = frozenset({MFA_SESSION_METHOD, PASSKEY_SESSION_METHOD})
# Wrong codes per user (all MFA endpoints together) before further tries are refused.
MAX_CODE_FAILURES = 10
CODE_FAILURE_WINDOW_SECONDS = 15 * 60

_DIGESTS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}


# --- RFC 4226 / RFC 6238 -----------------------------------------------------------------


def hotp(key: bytes, counter: int, *, digits: int = TOTP_DIGITS, algorithm: str = "SHA1") -> str:
    """RFC 4226 §5.3: HMAC the 8-byte counter, dynamically truncate, reduce mod 10^digits."""
    mac = hmac.new(key, struct.pack(">Q", counter), _DIGESTS[algorithm]).digest()
    offset = mac[-1] & 0x0F
    binary = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(binary % 10**digits).zfill(digits)


def time_step(unix_time: float, *, period: int = TOTP_PERIOD_SECONDS, t0: int = 0) -> int:
    """RFC 6238 §4.2: T = floor((unix time - T0) / X)."""
    return int((unix_time - t0) // period)


def totp(
    key: bytes,
    unix_time: float,
    *,
    digits: int = TOTP_DIGITS,
    algorithm: str = TOTP_ALGORITHM,
    period: int = TOTP_PERIOD_SECONDS,
) -> str:
    """The TOTP value at `unix_time`."""
    return hotp(key, time_step(unix_time, period=period), digits=digits, algorithm=algorithm)


def new_totp_secret() -> str:
    """A random seed as unpadded base32 (what authenticator apps expect)."""
    return base64.b32encode(secrets.token_bytes(TOTP_SECRET_BYTES)).decode().rstrip("=")


def secret_bytes(secret: str) -> bytes:
    normalized = secret.replace(" ", "").upper()
    return base64.b32decode(normalized + "=" * (-len(normalized) % 8))


def otpauth_uri(secret: str, account: str, *, issuer: str = ISSUER) -> str:
    """`otpauth://totp/Issuer:account?secret=…&issuer=…` per Google's Key Uri Format."""
    label = quote(issuer, safe="") + ":" + quote(account, safe="@")
    query = urlencode(
        {
            "secret": secret,
            "issuer": issuer,
            "algorithm": TOTP_ALGORITHM,
            "digits": TOTP_DIGITS,
            "period": TOTP_PERIOD_SECONDS,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"


def qr_svg(data: str) -> str:
    """`data` as a QR code, a standalone SVG document (no XML declaration)."""
    buffer = io.BytesIO()
    segno.make(data, error="m").save(
        buffer, kind="svg", scale=4, border=4, xmldecl=False, svgns=True,
        title="Scan with your authenticator app", nl=False,
    )
    return buffer.getvalue().decode()


def matching_step(
    secret: str, code: str, at: datetime, *, after: int | None = None
) -> int | None:
    """The time step (within ±window of `at`, later than `after`) whose code is `code`."""
    code = code.replace(" ", "")
    if len(code) != TOTP_DIGITS or not (code.isascii() and code.isdigit()):
        return None
    key = secret_bytes(secret)
    current = time_step(at.timestamp())
    found: int | None = None
    for step in range(current - TOTP_WINDOW_STEPS, current + TOTP_WINDOW_STEPS + 1):
        if after is not None and step <= after:
            continue
        # Compare every candidate (no early exit) so timing says nothing about the match.
        if hmac.compare_digest(hotp(key, step), code) and found is None:
            found = step
    return found


# --- recovery codes ------------------------------------------------------------------------


def recovery_key(settings: Settings) -> bytes:
    """The HMAC key of recovery codes, derived from the app secret."""
    return hmac.new(
        settings.resolved_secret_key().encode(), b"brain-recovery-codes-v1", hashlib.sha256
    ).digest()


def new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


_CONFUSABLES = str.maketrans({"o": "0", "i": "1", "l": "1"})


def normalize_recovery_code(code: str) -> str:
    return code.lower().replace("-", "").replace(" ", "").translate(_CONFUSABLES)


def recovery_code_hash(key: bytes, code: str) -> str:
    return hmac.new(key, normalize_recovery_code(code).encode(), hashlib.sha256).hexdigest()


def _looks_like_totp(code: str) -> bool:
    code = code.replace(" ", "")
    return len(code) == TOTP_DIGITS and code.isascii() and code.isdigit()


# --- factors -------------------------------------------------------------------------------


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


def secret_context(user_id: uuid.UUID) -> str:
    """The AES-GCM associated data of a user's TOTP seed."""
    return f"totp_factors:{user_id}"


async def get_factor(db: AsyncSession, user_id: uuid.UUID) -> TotpFactor | None:
    factor: TotpFactor | None = await db.scalar(
        select(TotpFactor).where(TotpFactor.user_id == user_id)
    )
    return factor


async def user_has_mfa(db: AsyncSession, user_id: uuid.UUID) -> bool:
    """Whether logging in as this user needs a second factor: a confirmed TOTP factor or a
    registered passkey."""
    return bool(await mfa_methods(db, user_id))


async def mfa_methods(db: AsyncSession, user_id: uuid.UUID) -> list[str]:
    """The second factors the user can answer a login challenge with: "totp" (a confirmed
    authenticator app; its recovery codes go with it) and "webauthn" (a passkey)."""
    totp_found, passkey_found = (
        await db.execute(
            select(
                exists().where(
                    TotpFactor.user_id == user_id, TotpFactor.confirmed_at.is_not(None)
                ),
                exists().where(WebAuthnCredential.user_id == user_id),
            )
        )
    ).one()
    return [m for m, on in (("totp", totp_found), ("webauthn", passkey_found)) if on]


async def mfa_enrolment_required(db: AsyncSession, user_id: uuid.UUID) -> bool:
    """Whether one of the user's organizations requires MFA and the user has none yet."""
    if await user_has_mfa(db, user_id):
        return False
    await set_system_mode(db, True)
    try:
        found = await db.scalar(
            select(
                exists()
                .where(Membership.user_id == user_id)
                .where(Organization.id == Membership.organization_id)
                .where(Organization.mfa_required.is_(True), Organization.deleted_at.is_(None))
            )
        )
    finally:
        await set_system_mode(db, False)
    return bool(found)


@dataclass(frozen=True)
class TotpEnrolment:
    secret: str
    otpauth_uri: str
    qr_svg: str


async def begin_totp_setup(
    db: AsyncSession, *, user: User, keys: Keyring, clock: Clock
) -> TotpEnrolment:
    """Create (or replace) the user's unconfirmed factor with a new seed."""
    factor = await get_factor(db, user.id)
    if factor is not None and factor.confirmed_at is not None:
        raise Conflict("An authenticator app is already set up; remove it first.")
    secret = new_totp_secret()
    encrypted = keys.encrypt(secret, context=secret_context(user.id))
    if factor is None:
        db.add(TotpFactor(user_id=user.id, secret_encrypted=encrypted))
    else:
        factor.secret_encrypted = encrypted
        factor.last_used_step = None
        factor.updated_at = clock.now()
    await db.flush()
    uri = otpauth_uri(secret, user.email)
    return TotpEnrolment(secret=secret, otpauth_uri=uri, qr_svg=qr_svg(uri))


async def _accept_totp(
    db: AsyncSession, factor: TotpFactor, code: str, *, keys: Keyring, clock: Clock
) -> bool:
    """Whether `code` is valid for `factor` and not yet used; if so it is used up now."""
    secret = keys.decrypt(factor.secret_encrypted, context=secret_context(factor.user_id))
    step = matching_step(secret, code, clock.now(), after=factor.last_used_step)
    if step is None:
        return False
    # Compare-and-set, so two requests racing with the same code cannot both pass.
    result = await db.execute(
        update(TotpFactor)
        .where(
            TotpFactor.id == factor.id,
            or_(TotpFactor.last_used_step.is_(None), TotpFactor.last_used_step < step),
        )
        .values(last_used_step=step)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(result) != 1:
        return False
    factor.last_used_step = step
    return True


async def _use_recovery_code(
    db: AsyncSession, user_id: uuid.UUID, code: str, *, key: bytes, clock: Clock
) -> bool:
    result = await db.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == recovery_code_hash(key, code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


async def verify_second_factor(
    db: AsyncSession,
    *,
    user_id: uuid.UUID,
    code: str,
    keys: Keyring,
    clock: Clock,
    recovery: bytes,
) -> str | None:
    """Check a TOTP code of the confirmed factor, or use up a recovery code.

    Returns "totp" or "recovery_code", or None when the code is wrong or already used.
    """
    factor = await get_factor(db, user_id)
    if factor is None or factor.confirmed_at is None:
        return None
    if _looks_like_totp(code):
        accepted = await _accept_totp(db, factor, code, keys=keys, clock=clock)
        return "totp" if accepted else None
    if await _use_recovery_code(db, user_id, code, key=recovery, clock=clock):
        return "recovery_code"
    return None


async def issue_recovery_codes(
    db: AsyncSession, *, user_id: uuid.UUID, clock: Clock, recovery: bytes
) -> list[str]:
    """Replace the user's recovery codes with new ones; the plaintexts are returned once."""
    await db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes: list[str] = []
    hashes: set[str] = set()
    while len(codes) < RECOVERY_CODE_COUNT:
        code = new_recovery_code()
        digest = recovery_code_hash(recovery, code)
        if digest in hashes:
            continue
        hashes.add(digest)
        codes.append(code)
        db.add(RecoveryCode(user_id=user_id, code_hash=digest, created_at=clock.now()))
    await db.flush()
    return codes


async def recovery_codes_remaining(db: AsyncSession, user_id: uuid.UUID) -> int:
    count = await db.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    )
    return int(count or 0)


async def confirm_totp(
    db: AsyncSession,
    *,
    user_id: uuid.UUID,
    code: str,
    keys: Keyring,
    clock: Clock,
    recovery: bytes,
) -> list[str] | None:
    """Confirm the pending factor with its first code; returns new recovery codes, or None
    when the code is wrong."""
    factor = await get_factor(db, user_id)
    if factor is None:
        raise Conflict("Start the set-up first (POST /api/v1/auth/mfa/totp/setup).")
    if factor.confirmed_at is not None:
        raise Conflict("The authenticator app is already confirmed.")
    if not await _accept_totp(db, factor, code, keys=keys, clock=clock):
        return None
    factor.confirmed_at = clock.now()
    factor.updated_at = clock.now()
    await db.flush()
    return await issue_recovery_codes(db, user_id=user_id, clock=clock, recovery=recovery)


async def remove_mfa(db: AsyncSession, user_id: uuid.UUID) -> bool:
    """Delete the user's factor and recovery codes; whether there was a factor."""
    result = await db.execute(delete(TotpFactor).where(TotpFactor.user_id == user_id))
    await db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    await db.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.user_id == user_id,
            OneTimeToken.purpose == CHALLENGE_PURPOSE,
            OneTimeToken.used_at.is_(None),
        )
        .values(attempts=CHALLENGE_MAX_ATTEMPTS)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) > 0


async def remove_passkeys(db: AsyncSession, user_id: uuid.UUID) -> bool:
    """Delete all the user's passkeys and their ceremonies in flight; whether there was one."""
    result = await db.execute(
        delete(WebAuthnCredential).where(WebAuthnCredential.user_id == user_id)
    )
    await db.execute(delete(WebAuthnChallenge).where(WebAuthnChallenge.user_id == user_id))
    return _rowcount(result) > 0


def recently_reauthenticated(method: str, created_at: datetime, clock: Clock) -> bool:
    """A session opened with password+MFA (or a passkey) within the re-authentication
    window."""
    return (
        method in STRONG_SESSION_METHODS
        and clock.now() - created_at <= REAUTHENTICATION_WINDOW
    )


# --- failed-code throttle --------------------------------------------------------------------


def _lock_key(user_id: uuid.UUID) -> str:
    return f"mfa-locked:{user_id}"


async def ensure_not_locked(cache: Cache, user_id: uuid.UUID) -> None:
    """429 while the user has too many recent wrong codes."""
    if await cache.get(_lock_key(user_id)) is not None:
        raise ProblemError(
            429, "Too many wrong codes; try again later.",
            headers={"Retry-After": str(CODE_FAILURE_WINDOW_SECONDS)},
        )


async def note_code_failure(cache: Cache, user_id: uuid.UUID) -> None:
    failures = await cache.incr(f"mfa-failures:{user_id}", CODE_FAILURE_WINDOW_SECONDS)
    if failures >= MAX_CODE_FAILURES:
        await cache.set(_lock_key(user_id), b"1", CODE_FAILURE_WINDOW_SECONDS)


# --- the login challenge -------------------------------------------------------------------


async def create_login_challenge(
    db: AsyncSession,
    *,
    user: User,
    clock: Clock,
    ip: str | None,
    user_agent: str | None,
) -> str:
    """A single-use, 5-minute challenge for a user whose password was right; returns its id
    (an opaque 256-bit token, stored hashed). `ip` and `user_agent` are those of the login;
    the login route records them in the audit trail, the challenge does not store them."""
    token = secrets.token_urlsafe(32)
    db.add(
        OneTimeToken(
            user_id=user.id,
            purpose=CHALLENGE_PURPOSE,
            token_hash=hash_token(token),
            created_at=clock.now(),
            expires_at=clock.now() + CHALLENGE_LIFETIME,
        )
    )
    await db.flush()
    return token


@dataclass(frozen=True)
class ChallengeOutcome:
    """What answering a challenge gave: a user and the factor used, or why not."""

    user: User | None = None
    user_id: uuid.UUID | None = None
    method: str | None = None  # "totp" | "recovery_code" on success
    attempts_remaining: int = 0

    @property
    def ok(self) -> bool:
        return self.user is not None and self.method is not None


async def live_challenge(
    db: AsyncSession, challenge_id: str, *, now: datetime
) -> tuple[OneTimeToken | None, uuid.UUID | None]:
    """The login challenge if it can still be answered (unknown, used, expired or out of
    attempts: None), and the user it was issued to when it exists at all."""
    row = await db.scalar(
        select(OneTimeToken).where(
            OneTimeToken.token_hash == hash_token(challenge_id),
            OneTimeToken.purpose == CHALLENGE_PURPOSE,
        )
    )
    if row is None:
        return None, None
    if (
        row.used_at is not None
        or row.expires_at <= now
        or row.attempts >= CHALLENGE_MAX_ATTEMPTS
    ):
        return None, row.user_id
    return row, row.user_id


async def take_challenge_attempt(db: AsyncSession, row: OneTimeToken) -> int | None:
    """Spend one attempt of the challenge (atomically, so parallel guesses cannot exceed the
    limit); the attempts used so far, or None when none was left."""
    attempts = await db.scalar(
        update(OneTimeToken)
        .where(
            OneTimeToken.id == row.id,
            OneTimeToken.used_at.is_(None),
            OneTimeToken.attempts < CHALLENGE_MAX_ATTEMPTS,
        )
        .values(attempts=OneTimeToken.attempts + 1)
        .returning(OneTimeToken.attempts)
        .execution_options(synchronize_session=False)
    )
    return None if attempts is None else int(attempts)


async def finish_challenge(db: AsyncSession, row: OneTimeToken, *, now: datetime) -> bool:
    """Use the challenge up (whether this request was the one that did)."""
    used = await db.execute(
        update(OneTimeToken)
        .where(OneTimeToken.id == row.id, OneTimeToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(used) == 1


async def answer_challenge(
    db: AsyncSession,
    cache: Cache,
    *,
    challenge_id: str,
    code: str,
    keys: Keyring,
    clock: Clock,
    recovery: bytes,
) -> ChallengeOutcome:
    """Spend one attempt of the challenge on `code`.

    The outcome has no user when the challenge is unknown, used, expired or out of attempts,
    a user but no method when the code is wrong; both when the login may proceed.
    """
    now = clock.now()
    row, owner = await live_challenge(db, challenge_id, now=now)
    if row is None:
        return ChallengeOutcome(user_id=owner)
    await ensure_not_locked(cache, row.user_id)
    attempts = await take_challenge_attempt(db, row)
    if attempts is None:
        return ChallengeOutcome(user_id=row.user_id)
    user = await db.get(User, row.user_id)
    if user is None or user.deleted_at is not None:
        return ChallengeOutcome(user_id=row.user_id)
    method = await verify_second_factor(
        db, user_id=user.id, code=code, keys=keys, clock=clock, recovery=recovery
    )
    remaining = CHALLENGE_MAX_ATTEMPTS - attempts
    if method is None:
        await note_code_failure(cache, user.id)
        return ChallengeOutcome(user=user, user_id=user.id, attempts_remaining=remaining)
    if not await finish_challenge(db, row, now=now):
        return ChallengeOutcome(user_id=user.id)
    return ChallengeOutcome(user=user, user_id=user.id, method=method,
                            attempts_remaining=remaining)


# --- admin reset -----------------------------------------------------------------------------


class MembershipRepository(TenantRepository[Membership]):
    model = Membership
    label = "Member"


async def forget_user_contexts(
    db: AsyncSession, cache: Cache, jobs: JobBuffer, user_id: uuid.UUID
) -> None:
    """Evict the user's cached member contexts in every organization (now and after commit),
    so an organization that requires MFA notices its removal at once."""
    was_bypassing = bool(db.info.get(BYPASS_INFO_KEY))
    await set_system_mode(db, True)
    try:
        await evict_user_contexts(db, cache, jobs, user_id)
    finally:
        await set_system_mode(db, was_bypassing)


async def reset_member_mfa(
    db: AsyncSession,
    runtime: Runtime,
    jobs: JobBuffer,
    *,
    auth: AuthContext,
    member_id: uuid.UUID,
) -> tuple[Membership, bool]:
    """Remove a member's factor and recovery codes and end their sessions.

    Only an owner may reset an owner; one's own MFA is removed with a code instead.
    Returns the membership and whether the member had a factor.
    """
    membership = await MembershipRepository(db, auth).get_or_404(member_id)
    if membership.role == Role.owner and auth.role != Role.owner:
        raise ProblemError(403, "Only an owner may reset an owner's MFA.")
    if auth.user_id is not None and membership.user_id == auth.user_id:
        raise ProblemError(
            403, "Remove your own authenticator with DELETE /api/v1/auth/mfa/totp."
        )
    had_totp = await remove_mfa(db, membership.user_id)
    had_passkeys = await remove_passkeys(db, membership.user_id)
    had_factor = had_totp or had_passkeys
    await revoke(db, runtime, jobs, user_id=membership.user_id)
    await forget_user_contexts(db, runtime.cache, jobs, membership.user_id)
    return membership, had_factor


async def load_user(db: AsyncSession, user_id: uuid.UUID) -> User:
    user = await db.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound("User")
    return user


# --- audit and notifications ------------------------------------------------------------------


async def audit_mfa(
    db: AsyncSession,
    runtime: Runtime,
    request: Request | None,
    action: str,
    *,
    user_id: uuid.UUID | None,
    outcome: str = "success",
    details: dict[str, Any] | None = None,
    actor: AuthContext | None = None,
) -> None:
    """One `auth.mfa.<action>` audit event about a user. The user acts on themselves (filed
    under their default organization, like every auth event) unless an organization
    credential (`actor`) acted on them (filed under that organization)."""
    if actor is not None:
        await record_audit(
            db, clock=runtime.clock, action=f"auth.mfa.{action}", outcome=outcome,
            actor=actor, target_type="user", target_id=user_id, request=request,
            details=details,
        )
        return
    user = await db.get(User, user_id) if user_id is not None else None
    await audit(db, runtime, request, f"auth.mfa.{action}", user=user, outcome=outcome,
                target_type="user" if user_id else None, target_id=user_id,
                details=details)


_NOTICES: dict[str, dict[str, tuple[str, str]]] = {
    "enabled": {
        "en": ("Two-factor authentication is on",
               "An authenticator app now protects your Brain account. Your other sessions "
               "were signed out.\n\nIf this was not you, reset your password now."),
        "es": ("La verificación en dos pasos está activada",
               "Una aplicación de autenticación protege ahora tu cuenta de Brain. Se cerraron "
               "tus otras sesiones.\n\nSi no fuiste tú, restablece tu contraseña ahora."),
    },
    "disabled": {
        "en": ("Two-factor authentication was turned off",
               "The authenticator app was removed from your Brain account.\n\n"
               "If this was not you, reset your password now."),
        "es": ("Se desactivó la verificación en dos pasos",
               "Se quitó la aplicación de autenticación de tu cuenta de Brain.\n\n"
               "Si no fuiste tú, restablece tu contraseña ahora."),
    },
    "admin_reset": {
        "en": ("An administrator reset your two-factor authentication",
               "An administrator of your organization removed the authenticator app from "
               "your Brain account and signed you out.\n\nSet it up again after you log in."),
        "es": ("Un administrador restableció tu verificación en dos pasos",
               "Un administrador de tu organización quitó la aplicación de autenticación de "
               "tu cuenta de Brain y cerró tus sesiones.\n\nVuelve a configurarla al iniciar "
               "sesión."),
    },
    "passkey_added": {
        "en": ("A passkey was added to your account",
               "A new passkey can now sign in to your Brain account.\n\n"
               "If this was not you, remove it in Settings → Security and reset your "
               "password now."),
        "es": ("Se añadió una llave de acceso a tu cuenta",
               "Una nueva llave de acceso puede iniciar sesión en tu cuenta de Brain.\n\n"
               "Si no fuiste tú, quítala en Ajustes → Seguridad y restablece tu contraseña "
               "ahora."),
    },
    "passkey_removed": {
        "en": ("A passkey was removed from your account",
               "A passkey was removed from your Brain account.\n\n"
               "If this was not you, reset your password now."),
        "es": ("Se quitó una llave de acceso de tu cuenta",
               "Se quitó una llave de acceso de tu cuenta de Brain.\n\n"
               "Si no fuiste tú, restablece tu contraseña ahora."),
    },
    "recovery_codes": {
        "en": ("New recovery codes were created",
               "New recovery codes were created for your Brain account; the old ones no "
               "longer work.\n\nIf this was not you, reset your password now."),
        "es": ("Se crearon nuevos códigos de recuperación",
               "Se crearon nuevos códigos de recuperación para tu cuenta de Brain; los "
               "anteriores ya no sirven.\n\nSi no fuiste tú, restablece tu contraseña ahora."),
    },
}


async def notify_mfa_change(jobs: JobBuffer, user: User, change: str) -> None:
    """Email the user about a change to their second factor (sent after commit)."""
    from brain.core.email import queue_email, resolve_locale

    locale = resolve_locale(user.locale)
    title, body = _NOTICES[change].get(locale, _NOTICES[change]["en"])
    await queue_email(
        jobs, to=user.email, template="notification", locale=locale,
        context={"title": title, "body": body, "recipient_name": user.name},
    )
