"""SSO endpoints: an organization's OpenID Connect connection, and the browser login flows of
organization SSO and social login (which always end in a redirect, never an error document)."""

from __future__ import annotations

import logging
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from starlette.responses import Response

from brain.billing.gates import SSO_ENFORCEMENT_GATE
from brain.core.auth import AuthContext
from brain.core.deps import AppSettings, Authorized, DbSession, get_runtime
from brain.core.errors import NotFound, ProblemError
from brain.core.etag import check_if_match, etag_of_model
from brain.core.pagination import json_response
from brain.identity import auth_service, oidc
from brain.identity.cookies import set_login_cookies
from brain.identity.external_login import (
    BINDING_COOKIE,
    LoginFailure,
    LoginResult,
    browser_binding,
    error_redirect,
    limit_attempts,
    mfa_redirect,
    set_binding_cookie,
    success_redirect,
)
from brain.identity.schemas_sso import (
    SocialProviderInfo,
    SocialProviders,
    SsoConnectionRead,
    SsoConnectionWrite,
    SsoDiscoverRequest,
    SsoDiscovery,
    SsoTestResult,
)
from brain.identity.social import (
    SocialProvider,
    begin_social_login,
    complete_social_login,
    enabled_providers,
    social_login_path,
)
from brain.identity.sso import (
    check_connection,
    connection_read,
    delete_connection,
    get_connection,
    put_connection,
    sso_connection_for_email,
    sso_login_path,
)
from brain.identity.sso_login import (
    CallbackParams,
    FlowContext,
    begin_sso_login,
    complete_sso_login,
)
from brain.organizations.models import Organization
from brain.organizations.permissions import Permission

logger = logging.getLogger("brain.identity.sso")

ManageSso = Annotated[AuthContext, Authorized(Permission.sso_manage)]
IfMatch = Annotated[
    str | None, Header(max_length=200, description="The ETag you read; a stale one is a 412.")
]

connection_router = APIRouter(prefix="/api/v1/organizations/{org_id}/sso", tags=["sso"])
login_router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

_REDIRECT: dict[int | str, dict[str, Any]] = {
    302: {"description": "To the identity provider, or back to the web app (a failure goes "
          "to `/login?error=<code>`)."}
}


def http_options(request: Request) -> oidc.HttpOptions:
    """Outbound calls to identity providers (tests may set `app.state.oidc_transport`)."""
    settings = get_runtime(request).settings
    return oidc.HttpOptions(
        transport=getattr(request.app.state, "oidc_transport", None),
        allow_private=not settings.is_production,
    )


def _flow(request: Request, session: DbSession) -> FlowContext:
    runtime = get_runtime(request)
    return FlowContext(
        db=session, cache=runtime.cache, clock=runtime.clock, keys=runtime.keys,
        settings=runtime.settings, http=http_options(request), request=request,
    )


async def _organization(session: DbSession, auth: AuthContext) -> Organization:
    org = await session.get(Organization, auth.organization_id)
    if org is None or org.deleted_at is not None:
        raise NotFound("Organization")
    return org


@connection_router.get("", response_model=SsoConnectionRead, operation_id="get_sso_connection")
async def get_sso_connection(
    org_id: uuid.UUID, auth: ManageSso, session: DbSession, settings: AppSettings
) -> Response:
    """The organization's OpenID Connect connection (the client secret is never shown)."""
    connection = await get_connection(session, auth)
    if connection is None:
        raise NotFound("SSO connection")
    org = await _organization(session, auth)
    return json_response(connection_read(connection, org, settings))


@connection_router.put(
    "", response_model=SsoConnectionRead, operation_id="put_sso_connection",
    responses={201: {"description": "Created", "model": SsoConnectionRead}},
    # Enforcing SSO (`enforced: true`) is an Enterprise feature.
    dependencies=[Depends(SSO_ENFORCEMENT_GATE)],
)
async def put_sso_connection(
    org_id: uuid.UUID,
    body: SsoConnectionWrite,
    request: Request,
    auth: ManageSso,
    session: DbSession,
    if_match: IfMatch = None,
) -> Response:
    """Create or replace the connection (201 when created). The client secret is write-only."""
    runtime = get_runtime(request)
    org = await _organization(session, auth)
    current = await get_connection(session, auth)
    if current is not None:
        check_if_match(if_match, connection_read(current, org, runtime.settings))
    elif if_match is not None:
        raise ProblemError(412, "There is no connection yet; send no If-Match to create it.",
                           kind="precondition-failed")
    connection, created = await put_connection(
        session, auth=auth, body=body, keys=runtime.keys, clock=runtime.clock, request=request
    )
    read = connection_read(connection, org, runtime.settings)
    headers = {"ETag": etag_of_model(read)}
    if created:
        headers["Location"] = f"/api/v1/organizations/{org_id}/sso"
    return json_response(read, status_code=201 if created else 200, headers=headers)


@connection_router.delete("", status_code=204, operation_id="delete_sso_connection")
async def delete_sso_connection(
    org_id: uuid.UUID,
    request: Request,
    auth: ManageSso,
    session: DbSession,
    if_match: IfMatch = None,
) -> Response:
    """Remove the connection; its members keep their accounts and sign in another way."""
    runtime = get_runtime(request)
    connection = await get_connection(session, auth)
    if connection is None:
        raise NotFound("SSO connection")
    org = await _organization(session, auth)
    check_if_match(if_match, connection_read(connection, org, runtime.settings))
    await delete_connection(session, auth=auth, connection=connection, clock=runtime.clock,
                            request=request)
    return Response(status_code=204)


@connection_router.post("/test", response_model=SsoTestResult,
                        operation_id="test_sso_connection")
async def test_sso_connection(
    org_id: uuid.UUID, request: Request, auth: ManageSso, session: DbSession
) -> Response:
    """Fetch the provider's discovery document and keys; a checklist of what works."""
    runtime = get_runtime(request)
    connection = await get_connection(session, auth)
    if connection is None:
        raise NotFound("SSO connection")
    result = await check_connection(
        connection, keys=runtime.keys, options=http_options(request), settings=runtime.settings
    )
    return json_response(result)


def _signed_in(result: LoginResult, flow: FlowContext) -> Response:
    """The session cookies and the redirect to where the user was going (or, for a user with
    MFA, to the login page's second-factor step)."""
    if result.session_token is None:
        assert result.mfa_challenge is not None
        return mfa_redirect(result.mfa_challenge, result.next_path, result.mfa_methods)
    response = success_redirect(result.next_path)
    set_login_cookies(response, token=result.session_token, settings=flow.settings)
    return response


async def _unexpected(flow: FlowContext, what: str) -> Response:
    """A bug or an outage mid-login: nothing of it is kept, the browser gets a redirect."""
    logger.exception("%s failed unexpectedly", what)
    await flow.db.rollback()
    return error_redirect("server-error")


@login_router.get(
    "/sso/{org_slug}/login", status_code=302, operation_id="start_sso_login",
    responses=_REDIRECT, response_class=Response,
)
async def start_sso_login(
    org_slug: str,
    request: Request,
    session: DbSession,
    email: Annotated[str | None, Query(description="Pre-fills the provider's login.")] = None,
    next_path: Annotated[
        str | None, Query(alias="next", description="A relative path to return to.")
    ] = None,
) -> Response:
    """Sign in with the organization's identity provider: redirects there."""
    flow = _flow(request, session)
    binding = browser_binding(request)
    try:
        await limit_attempts(flow.cache, request, per_minute=flow.settings.login_ip_per_minute,
                             clock=flow.clock)
        url = await begin_sso_login(flow, slug=org_slug, email_hint=email, next_path=next_path,
                                    binding=binding)
    except LoginFailure as failure:
        return error_redirect(failure.code)
    except Exception:
        return await _unexpected(flow, "login start")
    response = Response(status_code=302, headers={"Location": url, "Cache-Control": "no-store"})
    set_binding_cookie(response, binding, settings=flow.settings)
    return response


@login_router.get(
    "/sso/callback", status_code=302, operation_id="finish_sso_login", responses=_REDIRECT,
    response_class=Response,
)
async def finish_sso_login(
    request: Request,
    session: DbSession,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
    iss: str | None = None,
) -> Response:
    """Where the identity provider sends the browser back: signs the member in."""
    flow = _flow(request, session)
    params = CallbackParams(code=code, state=state, error=error, iss=iss)
    try:
        await limit_attempts(flow.cache, request, per_minute=flow.settings.login_ip_per_minute,
                             clock=flow.clock)
        result = await complete_sso_login(
            flow, params=params, binding=request.cookies.get(BINDING_COOKIE)
        )
    except LoginFailure as failure:
        return error_redirect(failure.code)
    except Exception:
        return await _unexpected(flow, "login callback")
    return _signed_in(result, flow)


@login_router.post(
    "/sso/discover", response_model=SsoDiscovery, operation_id="discover_sso",
    responses={429: {"description": "Too many look-ups from your address; see Retry-After."}},
)
async def discover_sso(
    body: SsoDiscoverRequest, request: Request, session: DbSession
) -> Response:
    """Whether the email's domain signs in with single sign-on, and where. It reveals only
    what a domain's login page shows anyone (never whether the address has an account);
    rate-limited per IP like the login."""
    runtime = get_runtime(request)
    ip = auth_service.client_ip(request)
    if ip and (locked := await auth_service.throttle(runtime).hit(
        "sso-discover", ip, limit=runtime.settings.login_ip_per_minute, window_seconds=60
    )):
        raise auth_service.rate_limited(locked, "Too many look-ups; retry in {seconds} s.")
    found = None
    if "@" in body.email:
        found = await sso_connection_for_email(session, body.email)
    if found is None:
        return json_response(SsoDiscovery(sso=False), headers={"Cache-Control": "no-store"})
    connection, organization = found
    return json_response(
        SsoDiscovery(sso=True, enforced=connection.enforced,
                     login_url=sso_login_path(organization.slug),
                     organization_name=organization.name),
        headers={"Cache-Control": "no-store"},
    )


@login_router.get("/social", response_model=SocialProviders,
                  operation_id="list_social_providers")
async def list_social_providers(settings: AppSettings) -> Response:
    """The social login providers this platform offers."""
    return json_response(
        SocialProviders(
            providers=[
                SocialProviderInfo(name=p.value, login_url=social_login_path(p))
                for p in enabled_providers(settings)
            ]
        )
    )


def _provider(name: str) -> SocialProvider:
    try:
        return SocialProvider(name)
    except ValueError as exc:
        raise LoginFailure("social-not-configured", "unknown provider") from exc


@login_router.get(
    "/social/{provider}/login", status_code=302, operation_id="start_social_login",
    responses=_REDIRECT, response_class=Response,
)
async def start_social_login(
    provider: str,
    request: Request,
    session: DbSession,
    next_path: Annotated[
        str | None, Query(alias="next", description="A relative path to return to.")
    ] = None,
) -> Response:
    """Continue with Google, Microsoft or GitHub: redirects to the provider."""
    flow = _flow(request, session)
    binding = browser_binding(request)
    try:
        await limit_attempts(flow.cache, request, per_minute=flow.settings.login_ip_per_minute,
                             clock=flow.clock)
        url = await begin_social_login(flow, provider=_provider(provider), next_path=next_path,
                                       binding=binding)
    except LoginFailure as failure:
        return error_redirect(failure.code)
    except Exception:
        return await _unexpected(flow, "login start")
    response = Response(status_code=302, headers={"Location": url, "Cache-Control": "no-store"})
    set_binding_cookie(response, binding, settings=flow.settings)
    return response


@login_router.get(
    "/social/{provider}/callback", status_code=302, operation_id="finish_social_login",
    responses=_REDIRECT, response_class=Response,
)
async def finish_social_login(
    provider: str,
    request: Request,
    session: DbSession,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
    iss: str | None = None,
) -> Response:
    """Where the social provider sends the browser back: signs the person in (an account
    with no organization is created for a new, verified email)."""
    flow = _flow(request, session)
    params = CallbackParams(code=code, state=state, error=error, iss=iss)
    try:
        await limit_attempts(flow.cache, request, per_minute=flow.settings.login_ip_per_minute,
                             clock=flow.clock)
        result = await complete_social_login(
            flow, provider=_provider(provider), params=params,
            binding=request.cookies.get(BINDING_COOKIE),
        )
    except LoginFailure as failure:
        return error_redirect(failure.code)
    except Exception:
        return await _unexpected(flow, "login callback")
    return _signed_in(result, flow)


routers: list[APIRouter] = [connection_router, login_router]
