"""WebAuthn bodies: the ceremonies' options and the browser's answers, in the JSON forms of
WebAuthn Level 3 (`PublicKeyCredential.toJSON()`: binary fields as unpadded base64url), and
the user's passkeys."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from brain.core.sanitize import Name
from brain.core.schemas import RequestModel, ResponseModel, UTCTimestamp
from brain.identity.schemas_auth import GivenPassword, UserRead
from brain.identity.schemas_mfa import OneTimeCode

_B64URL = r"^[A-Za-z0-9_-]+={0,2}$"
# A credential id is at most 1023 bytes (WebAuthn §5.1): 1364 base64url characters.
CredentialIdText = Annotated[
    str, StringConstraints(min_length=1, max_length=1400, pattern=_B64URL)
]
ClientDataText = Annotated[str, StringConstraints(min_length=1, max_length=4000, pattern=_B64URL)]
AuthenticatorDataText = Annotated[
    str, StringConstraints(min_length=1, max_length=4000, pattern=_B64URL)
]
# An attestation object may carry a certificate chain.
AttestationText = Annotated[
    str, StringConstraints(min_length=1, max_length=32000, pattern=_B64URL)
]
SignatureText = Annotated[str, StringConstraints(min_length=1, max_length=1000, pattern=_B64URL)]
UserHandleText = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=_B64URL)]
PublicKeyText = Annotated[str, StringConstraints(min_length=1, max_length=4000, pattern=_B64URL)]
Transport = Annotated[str, StringConstraints(min_length=1, max_length=20)]
CeremonyId = Annotated[str, StringConstraints(min_length=1, max_length=100)]
PasskeyName = Annotated[Name, StringConstraints(max_length=100)]


class AttestationResponse(RequestModel):
    clientDataJSON: ClientDataText
    attestationObject: AttestationText
    transports: list[Transport] | None = Field(None, max_length=10)
    authenticatorData: AuthenticatorDataText | None = None
    publicKey: PublicKeyText | None = None
    publicKeyAlgorithm: int | None = None


class AssertionResponse(RequestModel):
    clientDataJSON: ClientDataText
    authenticatorData: AuthenticatorDataText
    signature: SignatureText
    userHandle: UserHandleText | None = None


class RegistrationCredentialJson(RequestModel):
    """What `navigator.credentials.create()` gave, as `toJSON()` writes it."""

    id: CredentialIdText
    rawId: CredentialIdText
    type: Literal["public-key"]
    response: AttestationResponse
    authenticatorAttachment: Literal["platform", "cross-platform"] | None = None
    clientExtensionResults: dict[str, Any] = Field(default_factory=dict)


class AuthenticationCredentialJson(RequestModel):
    """What `navigator.credentials.get()` gave, as `toJSON()` writes it."""

    id: CredentialIdText
    rawId: CredentialIdText
    type: Literal["public-key"]
    response: AssertionResponse
    authenticatorAttachment: Literal["platform", "cross-platform"] | None = None
    clientExtensionResults: dict[str, Any] = Field(default_factory=dict)


class Reauthentication(RequestModel):
    """Proof that it is still you, for adding or removing a passkey: your password, or a
    code of your authenticator app (or a recovery code). Not needed within 10 minutes of
    logging in."""

    password: GivenPassword | None = None
    code: OneTimeCode | None = None


class CeremonyOptions(ResponseModel):
    ceremony_id: str = Field(
        description="Send it back with the browser's answer; single use, valid 5 minutes."
    )
    public_key: dict[str, Any] = Field(
        description="The `publicKey` options for `navigator.credentials.create()` or `.get()`"
        " (binary values as base64url; `PublicKeyCredential.parseCreationOptionsFromJSON` /"
        " `parseRequestOptionsFromJSON` read them as they are)."
    )


class RegistrationVerify(RequestModel):
    ceremony_id: CeremonyId
    credential: RegistrationCredentialJson
    name: PasskeyName | None = Field(
        None, description="A name to tell it apart (default: \"Passkey\" and the date)."
    )


class PasskeyRename(RequestModel):
    name: PasskeyName


class MfaPasskeyOptionsRequest(RequestModel):
    challenge_id: Annotated[str, StringConstraints(min_length=1, max_length=100)] = Field(
        description="The `challenge_id` the login response returned."
    )


class MfaPasskeyVerify(RequestModel):
    challenge_id: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    ceremony_id: CeremonyId
    credential: AuthenticationCredentialJson


class PasskeyLoginVerify(RequestModel):
    ceremony_id: CeremonyId
    credential: AuthenticationCredentialJson


class PasskeyRead(ResponseModel):
    id: uuid.UUID
    name: str
    credential_id: str = Field(description="The credential id (base64url).")
    transports: list[str]
    device_type: Literal["single_device", "multi_device"] = Field(
        description="`multi_device`: a synced passkey (iCloud Keychain, Google Password "
        "Manager…); `single_device`: bound to one authenticator, such as a security key."
    )
    backed_up: bool
    created_at: UTCTimestamp
    updated_at: UTCTimestamp
    last_used_at: UTCTimestamp | None


class PasskeyLoginResult(ResponseModel):
    user: UserRead
    mfa_required: Literal[False] = False
