"""Bodies of the member, grant, role, invite, lifecycle and plan endpoints."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from brain.core.sanitize import Name, Text
from brain.core.schemas import (
    RequestModel,
    Resource,
    ResponseModel,
    StrId,
    UTCTimestamp,
)
from brain.identity.schemas_auth import Email, NewPassword
from brain.organizations.permissions import Permission, Role

# A member's role as the API shows it: a built-in role, or "custom" with `custom_role_id`.
MemberRole = Literal["owner", "admin", "analyst", "viewer", "custom"]
PlanName = Literal["starter", "growth", "scale", "enterprise"]
RoleName = Annotated[
    Name,
    StringConstraints(max_length=100),
    Field(description="Unique in the organization; not the name of a built-in role."),
]


# Members -----------------------------------------------------------------------------------


class MemberRead(Resource):
    """A membership: `id` is the membership's id (use it in the member routes)."""

    user_id: StrId
    email: str
    name: str
    role: MemberRole
    custom_role_id: StrId | None
    restricted: bool = Field(description="True: the member sees only the granted channels.")


class MemberUpdate(RequestModel):
    """Change a member's role (a built-in `role`, or a `custom_role_id`) or restriction."""

    role: Role | None = Field(None, description="A built-in role (clears any custom role).")
    custom_role_id: uuid.UUID | None = Field(None, description="Give the member a custom role.")
    restricted: bool | None = Field(
        None, description="True: the member sees only the channels granted to them."
    )

    @model_validator(mode="after")
    def _one_role(self) -> MemberUpdate:
        if self.role is not None and self.custom_role_id is not None:
            raise ValueError("give either role or custom_role_id, not both")
        return self


class GrantCreate(RequestModel):
    resource_type: Literal["channel"] = Field(description="What kind of resource.")
    resource_id: uuid.UUID = Field(description="The id of the channel.")


class GrantRead(Resource):
    """Access for a restricted member to one resource."""

    membership_id: StrId
    resource_type: str
    resource_id: StrId


# Roles -------------------------------------------------------------------------------------

PermissionList = Annotated[
    list[Permission],
    Field(min_length=1, max_length=len(Permission),
          description="`resource:action` permissions the role grants."),
]


class RoleCreate(RequestModel):
    name: RoleName
    description: Annotated[Text, StringConstraints(max_length=500)] | None = None
    permissions: PermissionList


class RoleUpdate(RequestModel):
    name: RoleName | None = None
    description: Annotated[Text, StringConstraints(max_length=500)] | None = None
    permissions: PermissionList | None = None


class RoleRead(ResponseModel):
    """A role: the built-in ones (`builtin`, read-only, `id` is their name) and custom ones."""

    id: str
    name: str
    description: str | None
    permissions: list[str]
    builtin: bool
    created_at: UTCTimestamp | None
    updated_at: UTCTimestamp | None


# Invites -----------------------------------------------------------------------------------


class InviteCreate(RequestModel):
    """Invite someone by email with a built-in `role` (default viewer) or a custom role."""

    email: Email
    role: Role | None = Field(None, description="A built-in role; viewer when neither is given.")
    custom_role_id: uuid.UUID | None = Field(None, description="A custom role instead.")

    @model_validator(mode="after")
    def _one_role(self) -> InviteCreate:
        if self.role is not None and self.custom_role_id is not None:
            raise ValueError("give either role or custom_role_id, not both")
        return self


class InviteRead(Resource):
    """A pending invitation (its token is only in the email)."""

    email: str
    role: MemberRole
    custom_role_id: StrId | None
    invited_by_user_id: StrId | None
    expires_at: UTCTimestamp
    accepted_at: UTCTimestamp | None


class InviteAccept(RequestModel):
    """Both are needed when no account exists yet for the invited email."""

    name: Name | None = Field(None, description="Your name (new accounts).")
    password: NewPassword | None = Field(
        None, description="A password for the new account (or your current one)."
    )


class InviteAccepted(ResponseModel):
    organization_id: StrId
    organization_name: str
    member: MemberRead
    logged_in: bool = Field(description="True when this response started a new session.")


# Lifecycle and plans -------------------------------------------------------------------------


class OrganizationDeleted(ResponseModel):
    id: StrId
    deleted_at: UTCTimestamp
    purge_after: UTCTimestamp = Field(description="When its data is erased for good.")


class PlanChange(RequestModel):
    plan: PlanName
    proration_date: int | None = Field(
        None, ge=0, le=4_102_444_800,
        description="From POST …/billing/preview: charge exactly the previewed proration "
        "(Stripe mode).",
    )


class PlanLimitsRead(ResponseModel):
    included_seats: int
    max_seats: int | None = Field(description="None: unlimited.")
    max_integrations: int | None = Field(description="None: unlimited.")
    sso_enforcement: bool
    custom_retention: bool


class PlanRead(ResponseModel):
    organization_id: StrId
    plan: str
    previous_plan: str
    limits: PlanLimitsRead
    members: int
    billable_extra_seats: int = Field(description="Members above the included seats.")
