"""`POST /api/v1/webhooks/stripe`: Stripe's event deliveries, verified with the official
SDK (`Stripe-Signature`), deduplicated by event id and applied whatever their order."""

from __future__ import annotations

import logging
from functools import partial
from typing import Annotated

import orjson
import stripe
from fastapi import APIRouter, Header, Request
from pydantic import Field
from starlette.responses import Response

from brain.billing.entitlements import evict_plan_state
from brain.billing.stripe_events import process_event
from brain.core.db import set_system_mode
from brain.core.deps import DbSession, Jobs
from brain.core.errors import ProblemError
from brain.core.pagination import json_response
from brain.core.schemas import ResponseModel

logger = logging.getLogger("brain.billing.webhooks")

router = APIRouter(prefix="/api/v1/webhooks", tags=["billing"])
MAX_EVENT_BYTES = 1024 * 1024


class WebhookReceipt(ResponseModel):
    received: bool = True
    event_id: str
    outcome: str = Field(description="processed, duplicate, stale, ignored or unmatched.")


@router.post(
    "/stripe", response_model=WebhookReceipt, operation_id="receive_stripe_webhook",
    responses={400: {"description": "Missing or invalid Stripe-Signature."}},
)
async def receive_stripe_webhook(
    request: Request,
    session: DbSession,
    jobs: Jobs,
    stripe_signature: Annotated[str | None, Header(alias="Stripe-Signature",
                                                   max_length=2000)] = None,
) -> Response:
    """Receive one Stripe event (no credential: the signature is the authentication)."""
    runtime = request.app.state.runtime
    secret = runtime.settings.stripe_webhook_secret
    if not secret:
        raise ProblemError(400, "Stripe webhooks are not configured "
                           "(BRAIN_STRIPE_WEBHOOK_SECRET).")
    payload = await request.body()
    if len(payload) > MAX_EVENT_BYTES:
        raise ProblemError(413, "The event is too large.")
    if not stripe_signature:
        raise ProblemError(400, "The Stripe-Signature header is missing.")
    try:
        stripe.Webhook.construct_event(payload, stripe_signature, secret)
    except stripe.SignatureVerificationError as exc:
        raise ProblemError(400, "The Stripe-Signature does not verify.") from exc
    except ValueError as exc:
        raise ProblemError(400, "The event is not valid JSON.") from exc
    event = orjson.loads(payload)
    if not isinstance(event, dict) or not {"id", "type", "created", "data"} <= event.keys():
        raise ProblemError(400, "The payload is not a Stripe event.")
    await set_system_mode(session, True)
    outcome, touched = await process_event(session, event, settings=runtime.settings,
                                           now=runtime.clock.now(), jobs=jobs)
    for organization_id in touched:
        # Now and again after commit, so no request caches the state in between.
        await evict_plan_state(runtime.cache, organization_id)
        jobs.after_commit(partial(evict_plan_state, runtime.cache, organization_id))
    logger.info("stripe event %s (%s): %s", event["id"], event["type"], outcome)
    return json_response(WebhookReceipt(event_id=str(event["id"]), outcome=outcome))


routers: list[APIRouter] = [router]
