"""Outbound webhook endpoints, their delivery log, the test event, and dead letters."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from brain.core.deps import Caller, DbSession, get_runtime, identify
from brain.core.etag import check_if_match
from brain.core.pagination import (
    PageParams,
    SortOptions,
    json_response,
    page_params,
    paginate,
)
from brain.core.schemas import Page
from brain.organizations.actor import Acting, Actor
from brain.organizations.permissions import Permission
from brain.settings import Environment
from brain.warehouse.router_common import (
    IfMatch,
    created,
    no_content,
    object_path,
    page_of,
    with_etag,
)
from brain.webhooks import events, service
from brain.webhooks.models import WebhookDeadLetter, WebhookDeliveryAttempt, WebhookEndpoint
from brain.webhooks.schemas import (
    AttemptRead,
    DeadLetterRead,
    DeliveryRead,
    EndpointCreate,
    EndpointRead,
    EndpointUpdate,
    EndpointWithSecret,
    EventTypeList,
    EventTypeRead,
)

router = APIRouter(prefix="/api/v1/organizations/{org_id}", tags=["webhooks"])
catalogue_router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])

ManageWebhooks = Annotated[Actor, Acting(Permission.webhooks_manage)]
ENDPOINT_SORT = SortOptions(WebhookEndpoint.id, "created_at",
                            created_at=WebhookEndpoint.created_at)
ATTEMPT_SORT = SortOptions(WebhookDeliveryAttempt.id, "-requested_at",
                           requested_at=WebhookDeliveryAttempt.requested_at)
DEAD_LETTER_SORT = SortOptions(WebhookDeadLetter.id, "-created_at",
                               created_at=WebhookDeadLetter.created_at)
COLLECTION = "webhook-endpoints"


def _development(request: Request) -> bool:
    return get_runtime(request).settings.env is Environment.development


@router.post(f"/{COLLECTION}", response_model=EndpointWithSecret, status_code=201,
             operation_id="create_webhook_endpoint")
async def create_endpoint(
    org_id: uuid.UUID, body: EndpointCreate, request: Request, actor: ManageWebhooks,
    session: DbSession,
) -> Response:
    """Subscribe a URL to event types; the `whsec_` signing secret is shown only here."""
    endpoint, secret = await service.create_endpoint(
        session, actor, body, keyring=get_runtime(request).keys,
        development=_development(request),
    )
    model = EndpointWithSecret(**service.endpoint_read(endpoint).model_dump(), secret=secret)
    return created(model, object_path(org_id, COLLECTION, endpoint.id))


@router.get(f"/{COLLECTION}", response_model=Page[EndpointRead],
            operation_id="list_webhook_endpoints")
async def list_endpoints(
    org_id: uuid.UUID, request: Request, actor: ManageWebhooks, session: DbSession,
    params: PageParams = Depends(page_params),
) -> Response:
    """The organization's webhook endpoints."""
    stmt = service.EndpointRepository(session, actor.auth).select()
    rows, cursor = await paginate(session, stmt, request=request, params=params,
                                  sort=ENDPOINT_SORT)
    return page_of(request, EndpointRead, rows, cursor)


@router.get(f"/{COLLECTION}/{{endpoint_id}}", response_model=EndpointRead,
            operation_id="get_webhook_endpoint")
async def get_endpoint(
    org_id: uuid.UUID, endpoint_id: uuid.UUID, actor: ManageWebhooks, session: DbSession
) -> Response:
    """One endpoint (never its secret)."""
    endpoint = await service.EndpointRepository(session, actor.auth).get_or_404(endpoint_id)
    return with_etag(service.endpoint_read(endpoint))


@router.patch(f"/{COLLECTION}/{{endpoint_id}}", response_model=EndpointRead,
              operation_id="update_webhook_endpoint")
async def update_endpoint(
    org_id: uuid.UUID, endpoint_id: uuid.UUID, body: EndpointUpdate, request: Request,
    actor: ManageWebhooks, session: DbSession, if_match: IfMatch = None,
) -> Response:
    """Change the URL, the event types or the description; `enabled: true` re-enables."""
    endpoint = await service.EndpointRepository(session, actor.auth).get_or_404(endpoint_id)
    check_if_match(if_match, service.endpoint_read(endpoint))
    endpoint = await service.update_endpoint(session, actor, endpoint, body,
                                             development=_development(request))
    return with_etag(service.endpoint_read(endpoint))


@router.delete(f"/{COLLECTION}/{{endpoint_id}}", status_code=204,
               operation_id="delete_webhook_endpoint")
async def delete_endpoint(
    org_id: uuid.UUID, endpoint_id: uuid.UUID, actor: ManageWebhooks, session: DbSession,
    if_match: IfMatch = None,
) -> Response:
    """Delete an endpoint; its pending deliveries are cancelled."""
    endpoint = await service.EndpointRepository(session, actor.auth).get_or_404(endpoint_id)
    check_if_match(if_match, service.endpoint_read(endpoint))
    await service.delete_endpoint(session, actor, endpoint)
    return no_content()


@router.post(f"/{COLLECTION}/{{endpoint_id}}/rotate-secret", response_model=EndpointWithSecret,
             operation_id="rotate_webhook_endpoint_secret")
async def rotate_secret(
    org_id: uuid.UUID, endpoint_id: uuid.UUID, request: Request, actor: ManageWebhooks,
    session: DbSession,
) -> Response:
    """A new secret (shown once); messages carry both signatures until the old one expires."""
    runtime = get_runtime(request)
    endpoint = await service.EndpointRepository(session, actor.auth).get_or_404(endpoint_id)
    secret = await service.rotate_secret(
        session, actor, endpoint, keyring=runtime.keys,
        overlap=timedelta(hours=runtime.settings.webhook_secret_overlap_hours),
    )
    model = EndpointWithSecret(**service.endpoint_read(endpoint).model_dump(), secret=secret)
    return with_etag(model)


@router.post(f"/{COLLECTION}/{{endpoint_id}}/test", response_model=DeliveryRead,
             status_code=202, operation_id="send_webhook_test_event")
async def send_test_event(
    org_id: uuid.UUID, endpoint_id: uuid.UUID, actor: ManageWebhooks, session: DbSession
) -> Response:
    """Send a `webhook.test` event to this endpoint at once; see its delivery log."""
    endpoint = await service.EndpointRepository(session, actor.auth).get_or_404(endpoint_id)
    delivery = await service.send_test_event(session, actor, endpoint)
    return created(DeliveryRead.model_validate(delivery),
                   object_path(org_id, COLLECTION, endpoint.id) + "/deliveries",
                   status_code=202)


@router.get(f"/{COLLECTION}/{{endpoint_id}}/deliveries", response_model=Page[AttemptRead],
            operation_id="list_webhook_deliveries")
async def list_deliveries(
    org_id: uuid.UUID, endpoint_id: uuid.UUID, request: Request, actor: ManageWebhooks,
    session: DbSession, params: PageParams = Depends(page_params),
) -> Response:
    """The endpoint's delivery log: every attempt with status code, timing and error."""
    await service.EndpointRepository(session, actor.auth).get_or_404(endpoint_id)
    stmt = service.AttemptRepository(session, actor.auth).for_endpoint(endpoint_id)
    rows, cursor = await paginate(session, stmt, request=request, params=params,
                                  sort=ATTEMPT_SORT)
    return page_of(request, AttemptRead, rows, cursor)


@router.get("/webhooks/dead-letters", response_model=Page[DeadLetterRead],
            operation_id="list_webhook_dead_letters")
async def list_dead_letters(
    org_id: uuid.UUID, request: Request, actor: ManageWebhooks, session: DbSession,
    direction: Annotated[Literal["inbound", "outbound"] | None, Query()] = None,
    connection_id: Annotated[uuid.UUID | None, Query(
        description="Only inbound events received for this connection.")] = None,
    endpoint_id: Annotated[uuid.UUID | None, Query(
        description="Only outbound deliveries to this endpoint.")] = None,
    params: PageParams = Depends(page_params),
) -> Response:
    """Messages that exhausted their retries, inbound and outbound."""
    stmt = service.dead_letter_select(service.DeadLetterRepository(session, actor.auth),
                                      direction, connection_id=connection_id,
                                      endpoint_id=endpoint_id)
    rows, cursor = await paginate(session, stmt, request=request, params=params,
                                  sort=DEAD_LETTER_SORT)
    return page_of(request, DeadLetterRead, rows, cursor)


@router.post("/webhooks/dead-letters/{dead_letter_id}/replay", response_model=DeadLetterRead,
             status_code=202, operation_id="replay_webhook_dead_letter")
async def replay_dead_letter(
    org_id: uuid.UUID, dead_letter_id: uuid.UUID, actor: ManageWebhooks, session: DbSession
) -> Response:
    """Send (outbound) or process (inbound) the message again, with a fresh schedule."""
    dead_letter = await service.DeadLetterRepository(session, actor.auth).get_or_404(
        dead_letter_id)
    dead_letter = await service.replay_dead_letter(session, actor, dead_letter)
    return created(DeadLetterRead.model_validate(dead_letter),
                   f"/api/v1/organizations/{org_id}/webhooks/dead-letters", status_code=202)


async def any_caller(request: Request, session: DbSession) -> Caller:
    """Any authenticated caller (a user session or an API key), before an organization."""
    return await identify(request, session)


any_caller.needs_credentials = True  # type: ignore[attr-defined]


@catalogue_router.get("/event-types", response_model=EventTypeList,
                      operation_id="list_webhook_event_types")
async def list_event_types(caller: Annotated[Caller, Depends(any_caller)]) -> Response:
    """The event types a webhook endpoint can subscribe to, with what each means."""
    return json_response(EventTypeList(data=[
        EventTypeRead(type=name, description=description)
        for name, description in events.catalogue()
    ]))


routers: list[APIRouter] = [router, catalogue_router]
