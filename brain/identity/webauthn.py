"""WebAuthn (passkeys and security keys) on top of py_webauthn: registration, the second step of
a password login, and passwordless login with discoverable credentials.

* The relying party is the web app's own origin, `BRAIN_PUBLIC_URL`: its host name is the RP
  ID and its scheme://host[:port] the only accepted origin.
* Every ceremony's challenge (32 random bytes) is kept server-side in `webauthn_challenges`
  under an opaque `ceremony_id` (stored hashed), used up by the first answer that presents it
  (right or wrong), valid 5 minutes by the runtime clock, and bound to what started it: the
  session that registers, or the MFA login challenge that the passkey answers.
* A credential's signature counter must grow when the authenticator keeps one (WebAuthn
  §6.1.1); a counter that does not is a cloned authenticator or a replay, and is refused.
* The credential's user handle is the user's id (16 bytes): no email or name in it.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    options_to_json_dict,
    parse_authenticator_data,
)
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from brain.core.clock import Clock
from brain.core.errors import PROBLEM_KINDS, ProblemError
from brain.identity.models import User, WebAuthnChallenge, WebAuthnCredential
from brain.identity.schemas_webauthn import (
    AuthenticationCredentialJson,
    RegistrationCredentialJson,
)
from brain.identity.sessions import hash_token
from brain.settings import Settings

PROBLEM_KINDS.setdefault("webauthn-challenge-invalid", (
    "Passkey challenge invalid",
    "The passkey ceremony is unknown, was already answered, has expired or belongs to "
    "another session; start again.",
))
PROBLEM_KINDS.setdefault("webauthn-verification-failed", (
    "Passkey not accepted",
    "The passkey's answer could not be verified (origin, challenge, signature, signature "
    "counter or credential).",
))
PROBLEM_KINDS.setdefault("reauthentication-required", (
    "Re-authentication required",
    "Confirm it is you (password or authenticator code), or log in again and retry within "
    "10 minutes.",
))

RP_NAME = "Brain"
CEREMONY_LIFETIME = timedelta(minutes=5)
# Ceremonies are deleted this long after they expire (when a new one starts).
CEREMONY_RETENTION = timedelta(hours=1)
BROWSER_TIMEOUT_MS = 120_000
CHALLENGE_BYTES = 32
MAX_PASSKEYS = 20
# ES256 and RS256 cover the authenticators in use (EdDSA keys are accepted too).
SUPPORTED_ALGORITHMS = [
    COSEAlgorithmIdentifier.ECDSA_SHA_256,
    COSEAlgorithmIdentifier.EDDSA,
    COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
]


class Purpose:
    register = "register"
    mfa = "mfa"
    passwordless = "passwordless"


_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class RelyingParty:
    id: str
    name: str
    origin: str


def relying_party(settings: Settings) -> RelyingParty:
    """The RP ID (host name) and origin of `BRAIN_PUBLIC_URL`."""
    parts = urlsplit(settings.public_url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        raise ValueError("BRAIN_PUBLIC_URL must be an http(s) URL with a host name")
    origin = f"{scheme}://{host}"
    if parts.port is not None and parts.port != _DEFAULT_PORTS[scheme]:
        origin += f":{parts.port}"
    return RelyingParty(id=host, name=RP_NAME, origin=origin)


def user_handle(user_id: uuid.UUID) -> bytes:
    return user_id.bytes


class CeremonyInvalid(ProblemError):
    def __init__(self, detail: str, *, reason: str) -> None:
        super().__init__(400, detail, kind="webauthn-challenge-invalid",
                         extra={"reason": reason})
        self.reason = reason


class VerificationFailed(ProblemError):
    """The browser's answer is not acceptable; `reason` goes to the audit trail."""

    def __init__(self, detail: str, *, reason: str, status: int = 400,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(status, detail, kind="webauthn-verification-failed",
                         extra={"reason": reason, **(extra or {})})
        self.reason = reason


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


# --- ceremonies ------------------------------------------------------------------------------


async def begin_ceremony(
    db: AsyncSession,
    *,
    purpose: str,
    clock: Clock,
    user_id: uuid.UUID | None = None,
    session_id: uuid.UUID | None = None,
    login_challenge: str | None = None,
) -> tuple[str, bytes]:
    """Store a new ceremony; returns its id (for the client) and the challenge to sign."""
    now = clock.now()
    await db.execute(
        delete(WebAuthnChallenge)
        .where(WebAuthnChallenge.expires_at < now - CEREMONY_RETENTION)
        .execution_options(synchronize_session=False)
    )
    ceremony_id = secrets.token_urlsafe(32)
    challenge = secrets.token_bytes(CHALLENGE_BYTES)
    db.add(
        WebAuthnChallenge(
            token_hash=hash_token(ceremony_id),
            purpose=purpose,
            challenge=bytes_to_base64url(challenge),
            user_id=user_id,
            session_id=session_id,
            login_challenge_hash=hash_token(login_challenge) if login_challenge else None,
            created_at=now,
            expires_at=now + CEREMONY_LIFETIME,
        )
    )
    await db.flush()
    return ceremony_id, challenge


async def take_ceremony(
    db: AsyncSession,
    *,
    ceremony_id: str,
    purpose: str,
    clock: Clock,
    session_id: uuid.UUID | None = None,
    login_challenge: str | None = None,
) -> WebAuthnChallenge:
    """Use up the ceremony: raises `CeremonyInvalid` when it is unknown, of another purpose,
    bound to another session or login challenge, already answered, or expired."""
    now = clock.now()
    row: WebAuthnChallenge | None = await db.scalar(
        select(WebAuthnChallenge).where(
            WebAuthnChallenge.token_hash == hash_token(ceremony_id),
            WebAuthnChallenge.purpose == purpose,
        )
    )
    if row is None:
        raise CeremonyInvalid("Unknown passkey ceremony; start again.", reason="unknown")
    if row.session_id is not None and row.session_id != session_id:
        raise CeremonyInvalid("This passkey ceremony belongs to another session.",
                              reason="other_session")
    if row.login_challenge_hash is not None and (
        login_challenge is None or row.login_challenge_hash != hash_token(login_challenge)
    ):
        raise CeremonyInvalid("This passkey ceremony belongs to another login.",
                              reason="other_login")
    if row.used_at is not None:
        raise CeremonyInvalid("This passkey ceremony was already answered; start again.",
                              reason="replayed")
    if now >= row.expires_at:
        raise CeremonyInvalid("This passkey ceremony has expired; start again.",
                              reason="expired")
    # Compare-and-set: of two requests racing with one ceremony, one wins.
    result = await db.execute(
        update(WebAuthnChallenge)
        .where(WebAuthnChallenge.id == row.id, WebAuthnChallenge.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(result) != 1:
        raise CeremonyInvalid("This passkey ceremony was already answered; start again.",
                              reason="replayed")
    return row


# --- credentials -----------------------------------------------------------------------------


async def list_passkeys(db: AsyncSession, user_id: uuid.UUID) -> list[WebAuthnCredential]:
    rows = await db.scalars(
        select(WebAuthnCredential)
        .where(WebAuthnCredential.user_id == user_id)
        .order_by(WebAuthnCredential.created_at, WebAuthnCredential.id)
    )
    return list(rows.all())


async def count_passkeys(db: AsyncSession, user_id: uuid.UUID) -> int:
    count = await db.scalar(
        select(func.count()).select_from(WebAuthnCredential)
        .where(WebAuthnCredential.user_id == user_id)
    )
    return int(count or 0)


async def get_own_passkey(
    db: AsyncSession, *, user_id: uuid.UUID, passkey_id: uuid.UUID
) -> WebAuthnCredential | None:
    """The user's passkey (None for another user's, or an unknown id)."""
    row: WebAuthnCredential | None = await db.scalar(
        select(WebAuthnCredential).where(
            WebAuthnCredential.id == passkey_id, WebAuthnCredential.user_id == user_id
        )
    )
    return row


def _descriptors(rows: list[WebAuthnCredential]) -> list[PublicKeyCredentialDescriptor]:
    descriptors = []
    for row in rows:
        transports = []
        for value in row.transports:
            try:
                transports.append(AuthenticatorTransport(value))
            except ValueError:
                continue
        descriptors.append(
            PublicKeyCredentialDescriptor(
                id=base64url_to_bytes(row.credential_id), transports=transports or None
            )
        )
    return descriptors


async def registration_options(
    db: AsyncSession,
    *,
    user: User,
    session_id: uuid.UUID,
    rp: RelyingParty,
    clock: Clock,
) -> tuple[str, dict[str, Any]]:
    """Options for `navigator.credentials.create()`: a discoverable credential is preferred
    (so it can sign in without a password), no attestation, the user's passkeys excluded."""
    existing = await list_passkeys(db, user.id)
    if len(existing) >= MAX_PASSKEYS:
        raise ProblemError(409, f"You already have {MAX_PASSKEYS} passkeys; remove one first.")
    ceremony_id, challenge = await begin_ceremony(
        db, purpose=Purpose.register, clock=clock, user_id=user.id, session_id=session_id
    )
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=user_handle(user.id),
        user_name=user.email,
        user_display_name=user.name,
        challenge=challenge,
        timeout=BROWSER_TIMEOUT_MS,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(existing),
        supported_pub_key_algs=SUPPORTED_ALGORITHMS,
    )
    return ceremony_id, options_to_json_dict(options)


def _default_name(now: datetime) -> str:
    return f"Passkey {now.date().isoformat()}"


async def register_passkey(
    db: AsyncSession,
    *,
    user: User,
    session_id: uuid.UUID,
    ceremony_id: str,
    credential: RegistrationCredentialJson,
    name: str | None,
    rp: RelyingParty,
    clock: Clock,
) -> WebAuthnCredential:
    """Verify the attestation and store the credential (409 if it is registered already)."""
    ceremony = await take_ceremony(
        db, ceremony_id=ceremony_id, purpose=Purpose.register, clock=clock,
        session_id=session_id,
    )
    if ceremony.user_id != user.id:  # pragma: no cover - bound to the user's own session
        raise CeremonyInvalid("This passkey ceremony belongs to another user.",
                              reason="other_user")
    try:
        verified = verify_registration_response(
            credential=credential.model_dump(exclude_none=True),
            expected_challenge=base64url_to_bytes(ceremony.challenge),
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            supported_pub_key_algs=SUPPORTED_ALGORITHMS,
        )
    except WebAuthnException as exc:
        raise VerificationFailed(
            f"The passkey could not be registered: {exc}", reason="invalid_attestation"
        ) from exc
    credential_id = bytes_to_base64url(verified.credential_id)
    taken = await db.scalar(
        select(WebAuthnCredential.user_id).where(
            WebAuthnCredential.credential_id == credential_id
        )
    )
    if taken is not None:
        raise ProblemError(409, "This passkey is already registered.")
    now = clock.now()
    transports = [t for t in (credential.response.transports or [])
                  if t in {m.value for m in AuthenticatorTransport}]
    row = WebAuthnCredential(
        user_id=user.id,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=transports,
        name=name or _default_name(now),
        aaguid=verified.aaguid,
        device_type=verified.credential_device_type.value,
        backed_up=verified.credential_backed_up,
        created_at=now,
        updated_at=now,
    )
    db.add(row)
    await db.flush()
    return row


# --- authentication --------------------------------------------------------------------------


async def authentication_options(
    db: AsyncSession,
    *,
    purpose: str,
    rp: RelyingParty,
    clock: Clock,
    user_id: uuid.UUID | None = None,
    login_challenge: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """Options for `navigator.credentials.get()`. For the MFA step they list the user's
    credentials; a passwordless login lists none (the authenticator offers its discoverable
    credentials for this site) and requires user verification."""
    allowed: list[PublicKeyCredentialDescriptor] = []
    if user_id is not None:
        allowed = _descriptors(await list_passkeys(db, user_id))
    ceremony_id, challenge = await begin_ceremony(
        db, purpose=purpose, clock=clock, user_id=user_id, login_challenge=login_challenge
    )
    options = generate_authentication_options(
        rp_id=rp.id,
        challenge=challenge,
        timeout=BROWSER_TIMEOUT_MS,
        allow_credentials=allowed,
        user_verification=(
            UserVerificationRequirement.REQUIRED if purpose == Purpose.passwordless
            else UserVerificationRequirement.PREFERRED
        ),
    )
    return ceremony_id, options_to_json_dict(options)


async def find_credential(db: AsyncSession, credential_id: str) -> WebAuthnCredential | None:
    row: WebAuthnCredential | None = await db.scalar(
        select(WebAuthnCredential).where(WebAuthnCredential.credential_id == credential_id)
    )
    return row


def _presented_sign_count(credential: AuthenticationCredentialJson) -> int | None:
    try:
        data = parse_authenticator_data(
            base64url_to_bytes(credential.response.authenticatorData)
        )
    except (WebAuthnException, ValueError):
        return None
    return data.sign_count


async def verify_assertion(
    db: AsyncSession,
    *,
    stored: WebAuthnCredential,
    ceremony: WebAuthnChallenge,
    credential: AuthenticationCredentialJson,
    rp: RelyingParty,
    clock: Clock,
    require_user_verification: bool,
    status: int = 401,
) -> None:
    """Check the assertion against the stored credential, then record the new signature
    counter (compare-and-set) and the time of use. Raises `VerificationFailed`."""
    presented = _presented_sign_count(credential)
    if presented is not None and (presented > 0 or stored.sign_count > 0) and (
        presented <= stored.sign_count
    ):
        raise VerificationFailed(
            "The passkey's signature counter went backwards: the authenticator may have "
            "been cloned. Use another passkey or a code, and check this one.",
            reason="sign_count_regression", status=status,
        )
    try:
        verified = verify_authentication_response(
            credential=credential.model_dump(exclude_none=True),
            expected_challenge=base64url_to_bytes(ceremony.challenge),
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=stored.public_key,
            credential_current_sign_count=stored.sign_count,
            require_user_verification=require_user_verification,
        )
    except WebAuthnException as exc:
        raise VerificationFailed(
            f"The passkey could not be verified: {exc}", reason="invalid_assertion",
            status=status,
        ) from exc
    now = clock.now()
    result = await db.execute(
        update(WebAuthnCredential)
        .where(WebAuthnCredential.id == stored.id,
               WebAuthnCredential.sign_count == stored.sign_count)
        .values(sign_count=verified.new_sign_count, last_used_at=now,
                backed_up=verified.credential_backed_up, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(result) != 1:
        raise VerificationFailed(
            "The passkey was used by another request at the same time; try again.",
            reason="sign_count_race", status=status,
        )
    await db.refresh(stored)


def check_user_handle(credential: AuthenticationCredentialJson, stored: WebAuthnCredential
                      ) -> None:
    """A discoverable credential names its user; it must be the credential's owner."""
    handle = credential.response.userHandle
    if handle is None:
        return
    try:
        presented = base64url_to_bytes(handle)
    except ValueError as exc:
        raise VerificationFailed("The passkey's user handle is malformed.",
                                 reason="bad_user_handle", status=401) from exc
    if not secrets.compare_digest(presented, user_handle(stored.user_id)):
        raise VerificationFailed("The passkey does not belong to this account.",
                                 reason="user_handle_mismatch", status=401)


def credential_fingerprint(credential_id: str) -> str:
    """A short, non-reversible label of a credential id for the audit trail."""
    return hashlib.sha256(credential_id.encode()).hexdigest()[:16]
