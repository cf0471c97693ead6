"""API key bodies."""

from __future__ import annotations

from pydantic import Field

from brain.core.sanitize import Name
from brain.core.schemas import RequestModel, Resource, UTCTimestamp
from brain.organizations.permissions import ApiKeyRole


class ApiKeyCreate(RequestModel):
    name: Name = Field(description="What the key is for, e.g. 'nightly ETL'.")
    role: ApiKeyRole = ApiKeyRole.viewer


class ApiKeyRead(Resource):
    name: str
    role: ApiKeyRole
    prefix: str = Field(description="The first characters of the key, to recognise it.")
    last_used_at: UTCTimestamp | None
    revoked_at: UTCTimestamp | None


class ApiKeyCreated(ApiKeyRead):
    api_key: str = Field(description="The secret; shown only in this response.")
