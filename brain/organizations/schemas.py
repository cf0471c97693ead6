"""Organization request and response bodies."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from brain.core.sanitize import Name
from brain.core.schemas import RequestModel, Resource

RetentionDays = Annotated[int, Field(ge=30, le=3650, description="Days of data kept.")]
# Session timeouts: idle 5 minutes to 24 hours, absolute 1 hour to 30 days.
IDLE_MINUTES_MIN, IDLE_MINUTES_MAX = 5, 24 * 60
ABSOLUTE_HOURS_MIN, ABSOLUTE_HOURS_MAX = 1, 30 * 24
IdleMinutes = Annotated[
    int,
    Field(ge=IDLE_MINUTES_MIN, le=IDLE_MINUTES_MAX,
          description="A session unused this many minutes ends (5 to 1440)."),
]
AbsoluteHours = Annotated[
    int,
    Field(ge=ABSOLUTE_HOURS_MIN, le=ABSOLUTE_HOURS_MAX,
          description="A session ends this many hours after login, used or not (1 to 720)."),
]


class OrganizationRead(Resource):
    name: str
    slug: str
    data_retention_days: int
    demo_vertical: str | None
    mfa_required: bool = Field(
        description="Members must have a second factor (authenticator app or passkey)."
    )
    session_idle_minutes: int = Field(description="Idle timeout of members' sessions.")
    session_absolute_hours: int = Field(description="Absolute timeout of members' sessions.")


class OrganizationUpdate(RequestModel):
    """Fields to change. The idle timeout may not exceed the absolute one (as they will be
    after the change): 422 otherwise. A member's sessions follow the strictest of their
    organizations, from their next login."""

    name: Name | None = None
    data_retention_days: RetentionDays | None = None
    session_idle_minutes: IdleMinutes | None = None
    session_absolute_hours: AbsoluteHours | None = None
    mfa_required: bool | None = None
