"""Credential tables."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from brain.core.models import Base, IdMixin, TenantMixin, TimestampMixin, utcnow


class ApiKey(IdMixin, TenantMixin, TimestampMixin, Base):
    """An organization-scoped bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_keys"
    __table_args__ = (
        Index("ix_api_keys_org_created", "organization_id", "created_at", "id"),
    )

    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    created_by_key_id: Mapped[uuid.UUID | None] = mapped_column(default=None)


class User(IdMixin, TimestampMixin, Base):
    """A person who logs in (global: one user may belong to several organizations)."""

    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Null for users who only sign in through SSO or social login.
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    password_changed_at: Mapped[datetime | None] = mapped_column(default=None)
    email_verified_at: Mapped[datetime | None] = mapped_column(default=None)
    locale: Mapped[str] = mapped_column(String(5), default="en")
    # The organization the web app opens by default (switching changes it).
    default_organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), default=None
    )
    is_platform_operator: Mapped[bool] = mapped_column(default=False)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)


class UserSession(IdMixin, Base):
    """A login: an opaque cookie token whose SHA-256 is stored here."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user", "user_id", "created_at"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    idle_timeout_seconds: Mapped[int]
    ip: Mapped[str | None] = mapped_column(String(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(500), default=None)
    # How the session was established: password, password+mfa, sso, social.
    method: Mapped[str] = mapped_column(String(20), default="password")
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class OneTimeToken(IdMixin, Base):
    """Single-use, hashed tokens: email verification, password reset, MFA login challenges."""

    __tablename__ = "one_time_tokens"
    __table_args__ = (Index("ix_one_time_tokens_user_purpose", "user_id", "purpose"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(30))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(default=0)


class TotpFactor(IdMixin, TimestampMixin, Base):
    """A user's TOTP secret (AES-GCM encrypted), confirmed by a first valid code."""

    __tablename__ = "totp_factors"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    secret_encrypted: Mapped[str] = mapped_column(String(500))
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    # The last accepted time step, so a code cannot be replayed.
    last_used_step: Mapped[int | None] = mapped_column(BigInteger, default=None)


class RecoveryCode(IdMixin, Base):
    __tablename__ = "recovery_codes"
    __table_args__ = (Index("ix_recovery_codes_user", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class ExternalIdentity(IdMixin, TimestampMixin, Base):
    """A user's account at an OpenID provider (organization SSO or social login)."""

    __tablename__ = "external_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    # "sso:<organization id>" or "social:<provider>".
    source: Mapped[str] = mapped_column(String(80))
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)


class WebAuthnCredential(IdMixin, TimestampMixin, Base):
    """A passkey or security key (WebAuthn public-key credential) of a user: a second factor,
    and a passwordless login when the authenticator keeps it as a discoverable credential."""

    __tablename__ = "webauthn_credentials"
    __table_args__ = (Index("ix_webauthn_credentials_user", "user_id", "created_at"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The credential id (base64url, as browsers send it); unique across all users.
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)
    # The COSE_Key of the credential's public key, as the authenticator attested it.
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    transports: Mapped[list[str]] = mapped_column(JSON, default=list)
    name: Mapped[str] = mapped_column(String(100))
    aaguid: Mapped[str] = mapped_column(String(36), default="")
    # "single_device" or "multi_device" (a synced passkey), and whether it is backed up.
    device_type: Mapped[str] = mapped_column(String(20), default="single_device")
    backed_up: Mapped[bool] = mapped_column(default=False)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)


class WebAuthnChallenge(IdMixin, Base):
    """One WebAuthn ceremony in flight: the challenge the browser must sign, single use, bound
    to what started it (the session that registers, the login challenge of an MFA step, or
    only its own `ceremony_id` for a passwordless login)."""

    __tablename__ = "webauthn_challenges"
    __table_args__ = (Index("ix_webauthn_challenges_expires", "expires_at"),)

    # SHA-256 of the opaque ceremony id the client sends back.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # register | reauthenticate | mfa | passwordless
    purpose: Mapped[str] = mapped_column(String(20))
    challenge: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None
    )
    session_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_sessions.id", ondelete="CASCADE"), default=None
    )
    # SHA-256 of the MFA login challenge this step answers.
    login_challenge_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
