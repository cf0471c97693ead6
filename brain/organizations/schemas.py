"""Organization request and response bodies."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from brain.core.sanitize import Name
from brain.core.schemas import RequestModel, Resource

RetentionDays = Annotated[int, Field(ge=30, le=3650, description="Days of data kept.")]


class OrganizationRead(Resource):
    name: str
    slug: str
    data_retention_days: int
    demo_vertical: str | None


class OrganizationUpdate(RequestModel):
    name: Name | None = None
    data_retention_days: RetentionDays | None = None
    session_idle_minutes: Annotated[int, Field(ge=5, le=1440)] | None = None
    session_absolute_hours: Annotated[int, Field(ge=1, le=720)] | None = None
    mfa_required: bool | None = None
