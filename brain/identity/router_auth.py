"""User-level auth endpoints: registration, email verification, login/logout, password change
and reset. Sessions, the profile and organization switching are in `router_sessions.py`.

Cookies: a successful `register` or `login` sets `brain_session` (the opaque session token;
HttpOnly, SameSite=Lax, Secure outside development, path /) and `brain_csrf` (readable by the
web app, which echoes it in `X-CSRF-Token` on every cookie-authenticated POST/PUT/PATCH/
DELETE). Neither cookie has Max-Age: the session ends with the browser, at logout, or at the
idle/absolute timeout of the strictest of the user's organizations. `logout` clears both.
Responses that set cookies carry `Cache-Control: no-store`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from brain.core.deps import AppSettings, CurrentSession, DbSession, Jobs, get_runtime
from brain.core.errors import ProblemError, problem_response
from brain.core.pagination import json_response
from brain.identity import auth_service as service
from brain.identity.cookies import clear_login_cookies, set_login_cookies
from brain.identity.router_sessions import router as sessions_router
from brain.identity.router_webauthn import router as webauthn_router
from brain.identity.schemas_auth import (
    LoginRequest,
    LoginResult,
    MfaRequired,
    PasswordChange,
    RegisterRequest,
    RegisterResult,
    ResetComplete,
    ResetRequest,
    VerifyEmailRequest,
    VerifyEmailResult,
)

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
NO_STORE = {"Cache-Control": "no-store"}


def problem(request: Request, exc: ProblemError) -> Response:
    """The problem as a response, not an exception, so the request's audit row commits."""
    return problem_response(
        request.url.path, exc.status, exc.detail, kind=exc.kind, title=exc.title,
        errors=exc.errors, headers=exc.headers, extra=exc.extra,
    )


@router.post(
    "/register", response_model=RegisterResult, status_code=201, operation_id="register",
)
async def register(
    body: RegisterRequest, request: Request, session: DbSession, jobs: Jobs,
    settings: AppSettings,
) -> Response:
    """Create your user, your organization (you are its owner) and log in; a verification
    link is emailed. Sets the `brain_session` and `brain_csrf` cookies.

    An email that already has an account gets the same answer (the account is not touched
    and the cookies open nothing); that address is emailed "you already have an account"."""
    registered = await service.register(
        session, get_runtime(request), jobs, body=body, request=request
    )
    response = json_response(
        RegisterResult(user=registered.user, organization_id=registered.organization_id),
        status_code=201, headers={**NO_STORE, "Location": "/api/v1/auth/me"},
    )
    set_login_cookies(response, token=registered.session_token, settings=settings)
    return response


@router.post("/verify", response_model=VerifyEmailResult, operation_id="verify_email")
async def verify_email(
    body: VerifyEmailRequest, request: Request, session: DbSession
) -> Response:
    """Confirm your email address with the `token` of the emailed link (single use, 48 h;
    400 `invalid-token` when unknown or used, 410 `gone`)."""
    user = await service.verify_email(
        session, get_runtime(request), token=body.token, request=request
    )
    return json_response(VerifyEmailResult(user=await service.user_read(session, user)))


@router.post(
    "/verify/resend", status_code=202, response_class=Response,
    responses={202: {"description": "A new link is on its way."}},
    operation_id="resend_verification_email",
)
async def resend_verification_email(
    active: CurrentSession, request: Request, session: DbSession, jobs: Jobs
) -> Response:
    """Email a new verification link (earlier links stop working); at most 3 per 15 min."""
    await service.resend_verification(
        session, get_runtime(request), jobs, active=active, request=request
    )
    return Response(status_code=202)


@router.post(
    "/login", response_model=LoginResult | MfaRequired, operation_id="login",
    responses={429: {"description": "Locked out after failed logins; see Retry-After."}},
)
async def login(
    body: LoginRequest, request: Request, session: DbSession, settings: AppSettings
) -> Response:
    """Log in with email and password: sets the session and CSRF cookies, or — when you have
    a second factor — answers `{"mfa_required": true, "challenge_id": …, "methods": [...]}`
    without cookies (then POST /api/v1/auth/mfa/challenge with a code, or
    /api/v1/auth/webauthn/mfa/… with a passkey). A wrong email or password is one 401 whether or
    not the email exists; repeated failures lock the account and the IP with back-off (429
    with Retry-After); organizations enforcing SSO answer 403 `sso-required` with the URL."""
    outcome = await service.login(session, get_runtime(request), body=body, request=request)
    if outcome.problem is not None:
        return problem(request, outcome.problem)
    if outcome.challenge_id is not None:
        return json_response(
            MfaRequired.model_validate(
                {"challenge_id": outcome.challenge_id, "methods": list(outcome.mfa_methods)}
            ),
            headers=NO_STORE,
        )
    assert outcome.user is not None
    assert outcome.session_token is not None
    response = json_response(
        # A session was opened, so the user has no second factor.
        LoginResult(user=await service.user_read(session, outcome.user, mfa=False)),
        headers=NO_STORE,
    )
    set_login_cookies(response, token=outcome.session_token, settings=settings)
    return response


@router.post("/logout", status_code=204, response_class=Response, operation_id="logout")
async def logout(
    active: CurrentSession, request: Request, session: DbSession, jobs: Jobs,
    settings: AppSettings,
) -> Response:
    """End this session and clear the cookies."""
    await service.logout(session, get_runtime(request), jobs, active=active, request=request)
    response = Response(status_code=204)
    clear_login_cookies(response, settings=settings)
    return response


@router.post("/password", status_code=204, response_class=Response,
             operation_id="change_password")
async def change_password(
    body: PasswordChange, active: CurrentSession, request: Request, session: DbSession,
    jobs: Jobs,
) -> Response:
    """Change your password (the current one is required); every other session ends.
    A wrong current password is a 403 and counts towards the login lockout."""
    failed = await service.change_password(
        session, get_runtime(request), jobs, active=active,
        current_password=body.current_password, new_password=body.new_password,
        request=request,
    )
    if failed is not None:
        return problem(request, failed)
    return Response(status_code=204)


@router.post(
    "/reset/request", status_code=202, response_class=Response,
    responses={202: {"description": "If the address has an account, a link is on its way."}},
    operation_id="request_password_reset",
)
async def request_password_reset(
    body: ResetRequest, request: Request, session: DbSession, jobs: Jobs
) -> Response:
    """Email a password-reset link (1 h, single use) if the address has an account; the
    answer is the same 202 either way."""
    await service.request_reset(
        session, get_runtime(request), jobs, email=body.email, request=request
    )
    return Response(status_code=202)


@router.post("/reset", status_code=204, response_class=Response,
             operation_id="reset_password")
async def reset_password(
    body: ResetComplete, request: Request, session: DbSession, jobs: Jobs
) -> Response:
    """Set a new password with the emailed `token`: every session of the account ends and
    the email counts as verified. 400 `invalid-token` / 410 `gone`."""
    await service.complete_reset(
        session, get_runtime(request), jobs, token=body.token,
        new_password=body.new_password, request=request,
    )
    return Response(status_code=204)


routers: list[APIRouter] = [router, sessions_router, webauthn_router]
