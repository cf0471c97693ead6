"""Request and response bodies of the outbound webhook API."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import Field

from brain.core.schemas import RequestModel, Resource, ResponseModel, UTCTimestamp
from brain.webhooks.events import EventType

WebhookUrl = Annotated[str, Field(min_length=8, max_length=2000,
                                  description="The receiver's http(s) URL.")]
EventList = Annotated[list[EventType], Field(min_length=1, max_length=50,
                                             description="Event types to receive.")]


class EndpointCreate(RequestModel):
    url: WebhookUrl
    events: EventList
    description: Annotated[str | None, Field(max_length=500)] = None


class EndpointUpdate(RequestModel):
    url: WebhookUrl | None = None
    events: EventList | None = None
    description: Annotated[str | None, Field(max_length=500)] = None
    enabled: bool | None = Field(
        default=None, description="Re-enable an endpoint disabled after failures or a 410.")


class EndpointRead(Resource):
    url: str
    events: list[str]
    description: str | None
    enabled: bool
    disabled_reason: str | None = Field(description="gone (HTTP 410), failing (5 days), manual.")
    disabled_at: UTCTimestamp | None
    failing_since: UTCTimestamp | None
    previous_secret_expires_at: UTCTimestamp | None


class EndpointWithSecret(EndpointRead):
    secret: str = Field(description="The `whsec_…` signing secret; shown only this once.")


class DeliveryRead(ResponseModel):
    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: Literal["pending", "delivering", "succeeded", "dead", "cancelled"]
    attempt_count: int
    next_attempt_at: UTCTimestamp | None
    last_status_code: int | None
    last_error: str | None
    created_at: UTCTimestamp
    completed_at: UTCTimestamp | None


class AttemptRead(ResponseModel):
    """One HTTP attempt of a delivery, as the delivery log shows it."""

    id: uuid.UUID
    delivery_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    attempt_number: int
    requested_at: UTCTimestamp
    duration_ms: int
    status_code: int | None
    succeeded: bool
    error: str | None
    response_body: str | None = Field(description="The first 1 KB of the response.")
    next_attempt_at: UTCTimestamp | None


class DeadLetterRead(ResponseModel):
    id: uuid.UUID
    direction: Literal["inbound", "outbound"]
    delivery_id: uuid.UUID | None
    inbound_event_id: uuid.UUID | None
    event_type: str
    attempts: int
    error: str
    created_at: UTCTimestamp
    replayed_at: UTCTimestamp | None


class EventTypeRead(ResponseModel):
    """An event type endpoints can subscribe to."""

    type: str
    description: str


class EventTypeList(ResponseModel):
    data: list[EventTypeRead]
