"""SSO bodies: an organization's OpenID Connect connection, its test checklist, and the
social login providers on offer."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, SecretStr, StringConstraints, model_validator

from brain.core.sanitize import clean_text
from brain.core.schemas import RequestModel, Resource, ResponseModel
from brain.organizations.permissions import Role

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_CLAIM_NAME = re.compile(r"^[A-Za-z0-9_:./-]{1,100}$")
# Mailbox providers whose domain no organization may claim for SSO (it would capture or
# lock out everyone who uses them).
PUBLIC_EMAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
        "yahoo.com", "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com", "proton.me",
        "protonmail.com", "gmx.com", "gmx.de", "gmx.net", "web.de", "mail.com", "yandex.ru",
        "yandex.com", "mail.ru", "qq.com", "163.com", "126.com", "zoho.com", "fastmail.com",
        "hey.com", "tutanota.com", "github.com", "users.noreply.github.com",
    }
)


class SsoRole(StrEnum):
    """Roles a connection may give by default (ownership is only given by explicit mapping)."""

    admin = "admin"
    analyst = "analyst"
    viewer = "viewer"


def _issuer(value: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError("must be an http(s) URL")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("must not have a query, fragment or credentials")
    return value


def _domain(value: str) -> str:
    value = value.strip().lower().removeprefix("@")
    if not _DOMAIN.match(value):
        raise ValueError("must be a domain name such as example.com")
    if value in PUBLIC_EMAIL_DOMAINS:
        raise ValueError("public email providers cannot be claimed")
    return value


def _one_line(value: str) -> str:
    value = clean_text(value)
    if not value or "\n" in value or "\t" in value:
        raise ValueError("must be a non-empty single line")
    return value


def _claim_name(value: str) -> str:
    if not _CLAIM_NAME.match(value):
        raise ValueError("letters, digits and _ : . / - only")
    return value


IssuerUrl = Annotated[
    str,
    StringConstraints(min_length=8, max_length=500),
    AfterValidator(_issuer),
    Field(json_schema_extra={"format": "uri"}),
]
Domain = Annotated[str, StringConstraints(min_length=3, max_length=253), AfterValidator(_domain)]
ClientId = Annotated[str, StringConstraints(min_length=1, max_length=500),
                     AfterValidator(_one_line)]
ClaimName = Annotated[str, StringConstraints(min_length=1, max_length=100),
                      AfterValidator(_claim_name)]
ClaimValue = Annotated[str, StringConstraints(min_length=1, max_length=200),
                       AfterValidator(_one_line)]


class SsoConnectionWrite(RequestModel):
    """The whole connection; PUT replaces it (the client secret is kept when omitted)."""

    issuer: IssuerUrl = Field(
        description="The OpenID Provider's issuer, e.g. https://acme.okta.com; "
        "its /.well-known/openid-configuration is used."
    )
    client_id: ClientId
    client_secret: SecretStr | None = Field(
        default=None, min_length=1, max_length=2000,
        description="Write-only: never returned. Required the first time; omit to keep it.",
    )
    allowed_domains: list[Domain] = Field(
        default_factory=list, max_length=50,
        description="Email domains this provider may sign in (and provision) users for; "
        "none while the connection is being set up (nobody can sign in yet).",
    )
    default_role: SsoRole = Field(
        default=SsoRole.viewer, description="Role of new members when no mapping matches."
    )
    role_claim: ClaimName | None = Field(
        default=None, description="ID token claim holding groups or roles, e.g. 'groups'."
    )
    role_mapping: dict[ClaimValue, Role] = Field(
        default_factory=dict, max_length=100,
        description="Claim value → role; the most privileged match wins. 'owner' only when "
        "mapped here explicitly.",
    )
    enforced: bool = Field(
        default=False,
        description="Password login is refused for users of the allowed domains.",
    )
    enabled: bool = True

    @model_validator(mode="after")
    def _mapping_needs_claim(self) -> SsoConnectionWrite:
        if self.role_mapping and not self.role_claim:
            raise ValueError("role_mapping needs role_claim")
        if self.enforced and not self.allowed_domains:
            raise ValueError("enforcing SSO needs allowed_domains")
        self.allowed_domains = sorted(set(self.allowed_domains))
        return self


class SsoConnectionRead(Resource):
    issuer: str
    client_id: str
    has_client_secret: bool = Field(description="A client secret is stored (never shown).")
    allowed_domains: list[str]
    default_role: str
    role_claim: str | None
    role_mapping: dict[str, str]
    enforced: bool
    enabled: bool
    redirect_uri: str = Field(description="Register this redirect URI at the provider.")
    login_url: str = Field(description="Where members start signing in.")


CheckStatus = Literal["pass", "warn", "fail", "skip"]


class SsoCheck(ResponseModel):
    name: str
    status: CheckStatus
    detail: str


class SsoTestResult(ResponseModel):
    ok: bool = Field(description="No check failed.")
    issuer: str
    redirect_uri: str
    checks: list[SsoCheck]


class SocialProviderInfo(ResponseModel):
    name: str
    login_url: str


class SocialProviders(ResponseModel):
    providers: list[SocialProviderInfo]


class SsoDiscoverRequest(RequestModel):
    email: Annotated[str, StringConstraints(min_length=3, max_length=320)] = Field(
        description="The address typed on the login page; only its domain is used."
    )


class SsoDiscovery(ResponseModel):
    """Whether the email's domain signs in through an organization's identity provider. It
    says nothing about whether the address has an account."""

    sso: bool
    enforced: bool = Field(
        False, description="The organization refuses password logins for the domain."
    )
    login_url: str | None = Field(
        None, description="Where to start the SSO login (add `?email=…&next=…`)."
    )
    organization_name: str | None = None
