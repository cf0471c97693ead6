"""Request and response bodies of the integrations API."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from brain.core.schemas import RequestModel, Resource, ResponseModel, UTCTimestamp

MAX_CONFIG_KEYS = 30


class StreamRead(ResponseModel):
    """A stream a connector can read."""

    name: str
    primary_key: list[str]
    cursor_field: str | None
    modes: list[Literal["full_refresh", "incremental"]]
    description: str = ""


class ProviderRead(ResponseModel):
    """What a provider needs to be connected (for the connect wizard)."""

    id: str
    name: str
    auth: Literal["oauth2", "api_key"]
    scopes: list[str]
    config_schema: dict[str, Any]
    streams: list[StreamRead]
    sandbox: bool = True
    docs_url: str | None = None


class ProviderList(ResponseModel):
    data: list[ProviderRead]


Config = Annotated[dict[str, Any], Field(max_length=MAX_CONFIG_KEYS)]
ApiKeyCredentials = Annotated[
    dict[str, Annotated[str, Field(max_length=4000)]] | None,
    Field(max_length=5, description="For API-key providers: {\"api_key\": …} (write-only)."),
]


class ConnectionCreate(RequestModel):
    """Start connecting a provider; `sandbox: true` connects the built-in simulator at once."""

    provider: Annotated[str, Field(min_length=1, max_length=40)]
    sandbox: bool = False
    name: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    config: Config = Field(default_factory=dict)
    credentials: ApiKeyCredentials = None


class ConnectionReauthorize(RequestModel):
    """Authorize a connection again (a revoked token, a rotated key). OAuth providers start a
    new authorization (`next_step.authorization_url`); API-key providers take the new key in
    `credentials` (checked with the provider before it is stored); a sandbox connection is
    re-authorized at once and takes neither field."""

    config: Config | None = Field(
        default=None,
        description="Settings to change together with the authorization (merged into the "
                    "connection's config, as in the create call); not for sandbox connections.")
    credentials: ApiKeyCredentials = None


class ConnectStepRead(ResponseModel):
    """What completes the connection: nothing (`ready`), an OAuth redirect, or an API key."""

    type: Literal["ready", "oauth_redirect", "api_key"]
    authorization_url: str | None = None
    fields: list[str] = Field(default_factory=list)


class ConnectionStreamRead(ResponseModel):
    name: str
    enabled: bool


class ConnectionRead(Resource):
    """A connection (credentials are never returned)."""

    provider: str
    name: str
    status: Literal["pending", "active", "needs_reauth", "error", "revoked"]
    sandbox: bool
    config: dict[str, Any]
    granted_scopes: list[str]
    streams: list[ConnectionStreamRead] = Field(default_factory=list)
    schedule_minutes: int | None
    backfill_start: date | None
    last_sync_at: UTCTimestamp | None
    next_sync_at: UTCTimestamp | None
    last_error: str | None
    next_step: ConnectStepRead | None = None


class ConnectionUpdate(RequestModel):
    """Rename, switch streams on/off, change the schedule, or supply an API key."""

    name: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    streams: Annotated[dict[str, bool] | None, Field(max_length=50)] = None
    schedule_minutes: Annotated[int | None, Field(ge=15, le=7 * 24 * 60)] = None
    backfill_start: date | None = None
    credentials: ApiKeyCredentials = None

    @field_validator("backfill_start")
    @classmethod
    def _not_future(cls, value: date | None) -> date | None:
        if value is not None and not date(2000, 1, 1) <= value <= date(2100, 1, 1):
            raise ValueError("backfill_start must be between 2000-01-01 and 2100-01-01")
        return value


class CheckRead(ResponseModel):
    name: str
    ok: bool
    detail: str = ""


class ConnectionTestRead(ResponseModel):
    """The outcome of a connection test: each check, missing scopes and a sample read."""

    ok: bool
    checks: list[CheckRead]
    missing_scopes: list[str]
    sample_records: int


class SyncCreate(RequestModel):
    """Ask for a sync: a backfill from `start_date` or a delta since the last cursor."""

    mode: Literal["backfill", "delta"] = "delta"
    start_date: Annotated[date | None, Field(ge=date(2000, 1, 1), le=date(2100, 1, 1))] = None
    end_date: Annotated[date | None, Field(ge=date(2000, 1, 1), le=date(2100, 1, 1))] = None


class SyncRead(Resource):
    """A sync run with per-stream counts."""

    connection_id: uuid.UUID
    mode: Literal["backfill", "delta"]
    status: Literal["queued", "running", "succeeded", "failed"]
    trigger: str
    start_date: date
    end_date: date
    rows_read: int
    rows_written: int
    streams: dict[str, Any] = Field(
        description="Per stream: rows_read, rows_written, status, through, and started_at, "
                    "finished_at and seconds (the stream's own duration).")
    only_streams: list[str] | None = Field(
        default=None,
        description="The streams this run reads (a run asked for by inbound webhooks); "
                    "null: every enabled stream.")
    attempts: int
    error: str | None
    error_kind: str | None
    started_at: UTCTimestamp | None
    finished_at: UTCTimestamp | None
    duration_seconds: float | None = None


class CallbackRead(ResponseModel):
    """The connection an OAuth callback completed."""

    connection_id: uuid.UUID
    organization_id: uuid.UUID
    status: str
