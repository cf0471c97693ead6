"""Bodies of the user-level auth endpoints (/api/v1/auth/…)."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from brain.core.sanitize import Name
from brain.core.schemas import RequestModel, ResponseModel, UTCTimestamp
from brain.identity.passwords import MAX_LENGTH, MIN_LENGTH

# A pragmatic address check (RFC 5321 lengths, dot-atom local part, a dotted host name);
# whether the mailbox exists is what the verification email proves.
_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def _email(value: str) -> str:
    value = value.strip()
    local, _, _ = value.partition("@")
    if len(value) > 254 or len(local) > 64 or not _EMAIL.match(value):
        raise ValueError("not a valid email address")
    return value.lower()


Email = Annotated[
    str,
    StringConstraints(min_length=3, max_length=320),
    AfterValidator(_email),
    Field(json_schema_extra={"format": "email"}, description="An email address (lower-cased)."),
]
Locale = Literal["en", "es"]
# A new password: the policy (common passwords, name, email) is checked by the service.
NewPassword = Annotated[
    str,
    StringConstraints(min_length=MIN_LENGTH, max_length=MAX_LENGTH),
    Field(description=f"{MIN_LENGTH} to {MAX_LENGTH} characters, not a common password, "
                      "not containing your email or name."),
]
# A password being checked: bounded, but the policy is not revealed.
GivenPassword = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
OneTimeTokenValue = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200),
    Field(description="The `token` from the link in the email."),
]


class RegisterRequest(RequestModel):
    email: Email
    password: NewPassword
    name: Name = Field(description="Your name.")
    organization_name: Name = Field(description="The organization to create (you own it).")
    locale: Locale = Field("en", description="Language of the emails you receive.")


class LoginRequest(RequestModel):
    email: Email
    password: GivenPassword


class VerifyEmailRequest(RequestModel):
    token: OneTimeTokenValue


class ResetRequest(RequestModel):
    email: Email


class ResetComplete(RequestModel):
    token: OneTimeTokenValue
    new_password: NewPassword


class PasswordChange(RequestModel):
    current_password: GivenPassword
    new_password: NewPassword


class MeUpdate(RequestModel):
    name: Name | None = None
    locale: Locale | None = None


class SwitchOrganization(RequestModel):
    organization_id: uuid.UUID


class UserRead(ResponseModel):
    id: uuid.UUID
    email: str
    name: str
    email_verified: bool
    locale: str
    mfa_enabled: bool
    is_platform_operator: bool = Field(
        default=False, description="May use the operator console (`/api/v1/admin/*`)."
    )
    created_at: UTCTimestamp


class RegisterResult(ResponseModel):
    user: UserRead
    organization_id: uuid.UUID = Field(description="The organization you now own.")


class LoginResult(ResponseModel):
    user: UserRead
    mfa_required: Literal[False] = False


MfaMethod = Literal["totp", "webauthn"]


def _totp_only() -> list[MfaMethod]:
    return ["totp"]


class MfaRequired(ResponseModel):
    mfa_required: Literal[True] = True
    challenge_id: str = Field(
        description="Answer with POST /api/v1/auth/mfa/challenge (a code) or "
        "POST /api/v1/auth/webauthn/mfa/verify (a passkey) within 5 minutes."
    )
    methods: list[MfaMethod] = Field(
        default_factory=_totp_only,
        description="The second factors that can answer: `totp` (a code of the "
        "authenticator app, or a recovery code) and `webauthn` (a passkey).",
    )


class VerifyEmailResult(ResponseModel):
    user: UserRead


class MembershipSummary(ResponseModel):
    organization_id: uuid.UUID
    organization_name: str
    role: str


class Me(ResponseModel):
    user: UserRead
    memberships: list[MembershipSummary]
    current_organization_id: uuid.UUID | None = Field(
        description="The organization the web app opens (switch-organization changes it)."
    )


class SessionRead(ResponseModel):
    id: uuid.UUID
    device: str = Field(description="Browser and system, from the User-Agent.")
    ip: str | None
    created_at: UTCTimestamp
    last_seen_at: UTCTimestamp
    current: bool = Field(description="The session this request is made with.")
