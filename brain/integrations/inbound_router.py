"""Inbound webhook endpoints: the receiver providers call, and the per-connection signing
secret tenants configure."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from pydantic import Field
from sqlalchemy import select
from starlette.responses import Response

from brain.audit.service import record_audit
from brain.core.auth import AuthContext
from brain.core.deps import Authorized, DbSession, get_runtime
from brain.core.errors import NotFound
from brain.core.pagination import json_response
from brain.core.schemas import RequestModel, ResponseModel
from brain.core.tenancy import scope_to_tenant
from brain.integrations import inbound
from brain.integrations.inbound_receiver import receive_webhook
from brain.integrations.models import Connection
from brain.organizations.permissions import Permission
from brain.webhooks.signing import generate_secret

router = APIRouter(tags=["inbound webhooks"])

ProviderPath = Annotated[str, Path(pattern=r"^[a-z0-9_]{1,40}$",
                                   description="The connection's provider, `generic` "
                                               "(Standard Webhooks) or `stripe`.")]
WriteIntegrations = Annotated[AuthContext, Authorized(Permission.integrations_write)]


class InboundAck(ResponseModel):
    received: int = Field(description="Events in the request.")
    stored: int = Field(description="Events not seen before (the rest were duplicates).")


class InboundSecretSet(RequestModel):
    secret: Annotated[str | None, Field(min_length=8, max_length=500)] = Field(
        default=None,
        description="The provider's signing secret (app secret); omit to have a `whsec_` "
                    "secret generated for a Standard Webhooks sender.")


class InboundSecretRead(ResponseModel):
    connection_id: uuid.UUID
    scheme: Literal["hubspot", "shopify", "stripe", "standard"]
    url: str = Field(description="Where the provider should send its webhooks.")
    secret: str | None = Field(description="The generated secret (shown once), else null.")


@router.post("/api/v1/webhooks/in/{provider}/{connection_id}", response_model=InboundAck,
             operation_id="receive_inbound_webhook",
             responses={401: {"description": "The signature could not be verified."},
                        404: {"description": "No such connection for this provider."},
                        503: {"description": "The event could not be stored; send it "
                                             "again (`Retry-After`)."}})
async def receive_inbound_webhook(
    provider: ProviderPath, connection_id: uuid.UUID, request: Request,
) -> Response:
    """Receive a provider's webhook: verified, stored once per event id, acknowledged at
    once, processed by a job. (Served by `InboundWebhookMiddleware` ahead of the API stack;
    this route documents it and answers the same way when the middleware is absent.)"""
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        headers.setdefault(name.lower(), value)
    reply = await receive_webhook(
        state=request.app.state, runtime=get_runtime(request),
        dispatcher=request.app.state.dispatcher, provider=provider,
        connection_id=connection_id, method=request.method, path=request.url.path,
        query=request.url.query, headers=headers, body=await request.body(),
        request=lambda: request,
    )
    return Response(reply.body, status_code=reply.status, media_type=reply.media_type,
                    headers=reply.headers)


# POST, not PUT: each call replaces the secret with a new one (generated unless given), an
# action rather than a stored document one could GET back — the secret is never readable.
@router.post("/api/v1/organizations/{org_id}/connections/{connection_id}/webhook-secret",
             response_model=InboundSecretRead, operation_id="set_inbound_webhook_secret")
async def set_inbound_webhook_secret(
    org_id: uuid.UUID, connection_id: uuid.UUID, body: InboundSecretSet, request: Request,
    auth: WriteIntegrations, session: DbSession,
) -> Response:
    """Set the secret the connection's provider signs webhooks with (stored encrypted)."""
    runtime = get_runtime(request)
    connection = await session.scalar(
        scope_to_tenant(select(Connection), Connection, auth)
        .where(Connection.id == connection_id, Connection.revoked_at.is_(None)))
    if connection is None:
        raise NotFound("Connection")
    generated = generate_secret() if body.secret is None else None
    await inbound.set_secret(session, runtime.keys, connection, body.secret or generated or "")
    await record_audit(session, clock=runtime.clock, action="webhook.inbound_secret_set",
                       actor=auth, target_type="connection", target_id=connection.id,
                       request=request)
    scheme = inbound.signature_scheme(connection.provider)
    path_provider = connection.provider if scheme != "standard" else "generic"
    url = (f"{runtime.settings.public_url.rstrip('/')}/api/v1/webhooks/in/"
           f"{path_provider}/{connection.id}")
    return json_response(InboundSecretRead(connection_id=connection.id, scheme=scheme,
                                           url=url, secret=generated))


routers: list[APIRouter] = [router]
