"""create_app(settings): middleware, error handlers, routers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import brain
from brain.core.errors import install_error_handlers, problem_response
from brain.core.etag import ETagMiddleware
from brain.core.idempotency import IdempotencyMiddleware
from brain.core.jobs import CeleryDispatcher, Dispatcher, load_job_modules
from brain.core.limits import RequestGuardMiddleware
from brain.core.openapi import install_openapi
from brain.core.pagination import CursorCodec
from brain.core.runtime import Runtime, freeze_startup_heap
from brain.settings import Settings

logger = logging.getLogger("brain.app")

API_DESCRIPTION = """Brain's HTTP API. Tenant resources live under
`/api/v1/organizations/{org_id}/…` and need `Authorization: Bearer <api key>`.
Errors are RFC 9457 problem details; lists use cursor pagination; POSTs accept
`Idempotency-Key`; GETs carry an `ETag`."""


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"no-referrer"))
                headers.append((b"x-frame-options", b"DENY"))
            await send(message)

        await self.app(scope, receive, wrapped)


def _allowed_methods(app: FastAPI, path: str, catch_all: object) -> set[str]:
    """The methods other routes serve at `path` (the `Allow` of a 405), empty when none."""
    allowed: set[str] = set()
    for context in iter_route_contexts(app.routes):
        regex = getattr(context, "path_regex", None)
        if context.endpoint is catch_all or regex is None or not regex.match(path):
            continue
        allowed |= context.methods or set()
    return allowed


def _operation_id(route: APIRoute) -> str:
    return route.operation_id or route.name


def create_app(
    settings: Settings,
    *,
    runtime: Runtime | None = None,
    dispatcher: Dispatcher | None = None,
    start_worker: bool = False,
    serving: bool = False,
) -> FastAPI:
    """The ASGI application; `runtime`/`dispatcher` may be given (tests share a connection)."""
    settings.check_production()
    runtime = runtime or Runtime.create(settings)
    load_job_modules()
    embedded_worker = start_worker and not settings.broker_url and settings.embedded_worker

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker = None
        if embedded_worker:
            from brain.worker import EmbeddedWorker

            worker = EmbeddedWorker(settings)
            worker.start()
        elif settings.broker_url:
            from brain.worker import configure

            configure(settings)
        if serving:
            freeze_startup_heap()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            from brain.integrations.inbound import close_receiver

            await close_receiver(app.state)
            await runtime.close()

    app = FastAPI(
        title="Brain API",
        version=brain.__version__,
        description=API_DESCRIPTION,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    app.state.runtime = runtime
    app.state.dispatcher = dispatcher or CeleryDispatcher()
    app.state.cursor_codec = CursorCodec(settings.resolved_secret_key())
    install_error_handlers(app)
    install_openapi(app)

    from brain.core.health import router as health_router
    from brain.identity.router import router as api_keys_router
    from brain.organizations.router import router as organizations_router
    from brain.warehouse.router import routers as warehouse_routers

    app.include_router(health_router)
    app.include_router(organizations_router)
    app.include_router(api_keys_router)
    for router in warehouse_routers:
        app.include_router(router)
    from brain.identity import router_auth, router_mfa, router_sso
    from brain.organizations import router_members

    for module in (router_auth, router_mfa, router_sso, router_members):
        for router in module.routers:
            app.include_router(router)
    from brain.integrations import crm_router, inbound_router
    from brain.integrations import router as integrations_router
    from brain.webhooks import router as webhooks_router

    for router in [
        *webhooks_router.routers, *inbound_router.routers, *integrations_router.routers,
        *crm_router.routers,
    ]:
        app.include_router(router)
    from brain.mlops.router import routers as mlops_routers

    for router in mlops_routers:
        app.include_router(router)
    from brain.brain_modules import router as brain_router

    for router in brain_router.routers:
        app.include_router(router)
    from brain.billing import router as billing_router
    from brain.billing import router_admin as billing_admin
    from brain.billing import router_webhooks as stripe_webhooks
    from brain.finops import router as finops_router

    for module in (billing_router, stripe_webhooks, finops_router, billing_admin):
        for router in module.routers:
            app.include_router(router)
    from brain.onboarding import router as onboarding_router

    for router in onboarding_router.routers:
        app.include_router(router)

    @app.api_route(
        "/api/{rest:path}",
        methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"],
        include_in_schema=False,
    )
    async def api_not_found(request: Request, rest: str) -> Response:
        allowed = _allowed_methods(app, request.scope["path"], api_not_found)
        if allowed:
            return problem_response(
                request.url.path,
                405,
                f"{request.method} is not supported here.",
                headers={"Allow": ", ".join(sorted(allowed))},
            )
        return problem_response(request.url.path, 404, "No such route.")

    from brain.web import install_spa

    install_spa(app)  # the web app at `/` (after every other route: it is the fallback)

    app.add_middleware(ETagMiddleware)
    app.add_middleware(
        IdempotencyMiddleware,
        session_factory=runtime.session_factory,
        ttl=timedelta(hours=settings.idempotency_ttl_hours),
        keyring=runtime.keys,
    )
    app.add_middleware(
        RequestGuardMiddleware,
        max_json_bytes=settings.max_json_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    from brain.billing.limiter import RateLimitHeadersMiddleware

    app.add_middleware(RateLimitHeadersMiddleware)  # RateLimit-* on every /api/ response
    from brain.integrations.inbound_receiver import InboundWebhookMiddleware

    # Inbound webhooks are acknowledged ahead of the API stack (their own guard and
    # problems): providers time out slow receivers.
    app.add_middleware(InboundWebhookMiddleware, max_body_bytes=settings.max_json_body_bytes)
    app.add_middleware(SecurityHeadersMiddleware)
    if embedded_worker:
        from brain.core.pacing import GaugeMiddleware

        # The embedded worker's jobs give way while requests are in flight (core/pacing.py).
        app.add_middleware(GaugeMiddleware)
    return app
