"""MFA bodies: TOTP enrolment, codes, recovery codes and the login challenge."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from brain.core.schemas import RequestModel, ResponseModel, UTCTimestamp

# A 6-digit TOTP code or a recovery code ("xxxxx-xxxxx"); spaces and dashes are ignored.
OneTimeCode = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=6, max_length=32)
]


class MfaCode(RequestModel):
    code: OneTimeCode = Field(
        description="The current 6-digit code of the authenticator app, or a recovery code."
    )


class TotpSetup(ResponseModel):
    secret: str = Field(description="The base32 TOTP secret; shown only in this response.")
    otpauth_uri: str = Field(description="The `otpauth://totp/…` URI (Key Uri Format).")
    qr_svg: str = Field(description="The otpauth URI as a QR code (SVG document).")


class RecoveryCodes(ResponseModel):
    recovery_codes: list[str] = Field(
        description="10 single-use recovery codes; shown only in this response."
    )


class MfaStatus(ResponseModel):
    totp_enabled: bool = Field(description="A confirmed authenticator app is required at login.")
    totp_confirmed_at: UTCTimestamp | None
    setup_pending: bool = Field(description="A setup was started but not confirmed yet.")
    recovery_codes_remaining: int


class MfaChallengeAnswer(RequestModel):
    challenge_id: Annotated[str, StringConstraints(min_length=1, max_length=100)] = Field(
        description="The `challenge_id` the login response returned."
    )
    code: OneTimeCode = Field(description="A 6-digit TOTP code or an unused recovery code.")
