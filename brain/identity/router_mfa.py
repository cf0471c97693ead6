"""MFA endpoints: TOTP enrolment and removal, recovery codes, the login challenge, and the
admin reset of a member's MFA."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from brain.audit.service import request_origin
from brain.core.auth import AuthContext
from brain.core.cache import Cache
from brain.core.deps import (
    AppCache,
    AppSettings,
    Authorized,
    CurrentSession,
    DbSession,
    Jobs,
    get_runtime,
)
from brain.core.errors import NotFound, problem_response
from brain.core.etag import check_if_match
from brain.core.pagination import json_response
from brain.identity import mfa
from brain.identity.auth_service import audit, revoke, user_read
from brain.identity.cookies import set_login_cookies
from brain.identity.schemas_auth import LoginResult
from brain.identity.schemas_mfa import (
    MfaChallengeAnswer,
    MfaCode,
    MfaStatus,
    RecoveryCodes,
    TotpSetup,
)
from brain.identity.sessions import ActiveSession, start_session
from brain.organizations.permissions import Permission
from brain.settings import Settings

router = APIRouter(prefix="/api/v1/auth/mfa", tags=["mfa"])
admin_router = APIRouter(prefix="/api/v1/organizations/{org_id}/members", tags=["members"])

ManageMembers = Annotated[AuthContext, Authorized(Permission.members_manage)]
_NO_STORE = {"Cache-Control": "no-store"}
_WRONG_CODE = "The code is wrong or was already used."


def _wrong_code(request: Request, detail: str = _WRONG_CODE) -> Response:
    # Returned, not raised: the failed attempt and its audit event must still be committed.
    return problem_response(request.url.path, 400, detail, kind="invalid-mfa-code")


async def _status(session: AsyncSession, user_id: uuid.UUID) -> MfaStatus:
    factor = await mfa.get_factor(session, user_id)
    confirmed = factor is not None and factor.confirmed_at is not None
    return MfaStatus(
        totp_enabled=confirmed,
        totp_confirmed_at=factor.confirmed_at if factor is not None else None,
        setup_pending=factor is not None and not confirmed,
        recovery_codes_remaining=(
            await mfa.recovery_codes_remaining(session, user_id) if confirmed else 0
        ),
    )


@router.get("", response_model=MfaStatus, operation_id="get_mfa_status")
async def get_mfa_status(active: CurrentSession, session: DbSession) -> Response:
    """Whether the logged-in user has an authenticator app and how many recovery codes are
    left."""
    return json_response(await _status(session, active.user_id))


@router.post("/totp/setup", response_model=TotpSetup, operation_id="start_totp_setup")
async def start_totp_setup(
    request: Request, active: CurrentSession, session: DbSession
) -> Response:
    """Start (or restart) enrolling an authenticator app: a new secret, its otpauth URI and QR
    code. 409 once an app is confirmed."""
    runtime = get_runtime(request)
    user = await mfa.load_user(session, active.user_id)
    enrolment = await mfa.begin_totp_setup(
        session, user=user, keys=runtime.keys, clock=runtime.clock
    )
    await mfa.audit_mfa(session, runtime, request, "totp_setup", user_id=user.id)
    body = TotpSetup(secret=enrolment.secret, otpauth_uri=enrolment.otpauth_uri,
                     qr_svg=enrolment.qr_svg)
    return json_response(body, headers=_NO_STORE)


@router.post("/totp/confirm", response_model=RecoveryCodes, operation_id="confirm_totp")
async def confirm_totp(
    body: MfaCode,
    request: Request,
    active: CurrentSession,
    session: DbSession,
    cache: AppCache,
    jobs: Jobs,
    settings: AppSettings,
) -> Response:
    """Turn MFA on with a first code from the app; returns 10 single-use recovery codes (shown
    only here) and signs out the user's other sessions."""
    runtime = get_runtime(request)
    await mfa.ensure_not_locked(cache, active.user_id)
    codes = await mfa.confirm_totp(
        session, user_id=active.user_id, code=body.code, keys=runtime.keys,
        clock=runtime.clock, recovery=mfa.recovery_key(settings),
    )
    if codes is None:
        await mfa.note_code_failure(cache, active.user_id)
        await mfa.audit_mfa(session, runtime, request, "totp_confirm",
                            user_id=active.user_id, outcome="failure",
                            details={"reason": "wrong_code"})
        return _wrong_code(request)
    revoked = await revoke(session, runtime, jobs, user_id=active.user_id,
                           keep=active.session_id)
    await mfa.audit_mfa(session, runtime, request, "totp_confirm", user_id=active.user_id,
                        details={"sessions_revoked": revoked})
    await mfa.notify_mfa_change(jobs, await mfa.load_user(session, active.user_id), "enabled")
    return json_response(RecoveryCodes(recovery_codes=codes), headers=_NO_STORE)


async def _check_code(
    request: Request,
    session: AsyncSession,
    cache: Cache,
    active: ActiveSession,
    code: str,
    *,
    action: str,
    settings: Settings,
) -> str | None:
    """The factor `code` proves ("totp" | "recovery_code"), or None (failure audited)."""
    runtime = get_runtime(request)
    await mfa.ensure_not_locked(cache, active.user_id)
    method = await mfa.verify_second_factor(
        session, user_id=active.user_id, code=code, keys=runtime.keys, clock=runtime.clock,
        recovery=mfa.recovery_key(settings),
    )
    if method is None:
        await mfa.note_code_failure(cache, active.user_id)
        await mfa.audit_mfa(session, runtime, request, action, user_id=active.user_id,
                            outcome="failure", details={"reason": "wrong_code"})
    elif method == "recovery_code":
        await mfa.audit_mfa(session, runtime, request, "recovery_code_used",
                            user_id=active.user_id, details={"purpose": action})
    return method


@router.delete("/totp", status_code=204, operation_id="disable_totp")
async def disable_totp(
    request: Request,
    active: CurrentSession,
    session: DbSession,
    cache: AppCache,
    jobs: Jobs,
    settings: AppSettings,
    body: MfaCode | None = None,
    if_match: Annotated[
        str | None,
        Header(max_length=200, description="The ETag of GET /api/v1/auth/mfa; stale → 412."),
    ] = None,
) -> Response:
    """Remove the authenticator app and the recovery codes. Needs a current code (or a
    recovery code), unless this session logged in with MFA in the last 10 minutes."""
    runtime = get_runtime(request)
    status = await _status(session, active.user_id)
    if not status.totp_enabled and not status.setup_pending:
        raise NotFound("Authenticator")
    check_if_match(if_match, status)
    if status.totp_enabled:
        if body is not None:
            method = await _check_code(request, session, cache, active, body.code,
                                       action="totp_disable", settings=settings)
            if method is None:
                return _wrong_code(request)
            proof = method
        elif mfa.recently_reauthenticated(active.method, active.created_at, runtime.clock):
            proof = "recent_login"
        else:
            return _wrong_code(
                request,
                "Send a current code, or log in again with MFA and retry within 10 minutes.",
            )
    else:
        proof = "unconfirmed"
    await mfa.remove_mfa(session, active.user_id)
    await mfa.forget_user_contexts(session, cache, jobs, active.user_id)
    await mfa.audit_mfa(session, runtime, request, "totp_disable", user_id=active.user_id,
                        details={"proof": proof})
    if status.totp_enabled:
        await mfa.notify_mfa_change(jobs, await mfa.load_user(session, active.user_id),
                                    "disabled")
    return Response(status_code=204)


@router.post("/recovery-codes", response_model=RecoveryCodes,
             operation_id="regenerate_recovery_codes")
async def regenerate_recovery_codes(
    body: MfaCode,
    request: Request,
    active: CurrentSession,
    session: DbSession,
    cache: AppCache,
    jobs: Jobs,
    settings: AppSettings,
) -> Response:
    """Replace the recovery codes with 10 new ones (the old ones stop working); needs a current
    code or an unused recovery code."""
    runtime = get_runtime(request)
    if not await mfa.user_has_mfa(session, active.user_id):
        raise NotFound("Authenticator")
    method = await _check_code(request, session, cache, active, body.code,
                               action="recovery_codes_regenerate", settings=settings)
    if method is None:
        return _wrong_code(request)
    codes = await mfa.issue_recovery_codes(
        session, user_id=active.user_id, clock=runtime.clock,
        recovery=mfa.recovery_key(settings),
    )
    await mfa.audit_mfa(session, runtime, request, "recovery_codes_regenerate",
                        user_id=active.user_id, details={"proof": method})
    await mfa.notify_mfa_change(jobs, await mfa.load_user(session, active.user_id),
                                "recovery_codes")
    return json_response(RecoveryCodes(recovery_codes=codes), headers=_NO_STORE)


@router.post("/challenge", response_model=LoginResult, operation_id="complete_mfa_challenge")
async def complete_mfa_challenge(
    body: MfaChallengeAnswer,
    request: Request,
    session: DbSession,
    cache: AppCache,
    settings: AppSettings,
) -> Response:
    """Finish a login that answered `mfa_required`: a TOTP code or an unused recovery code.
    At most 5 tries per challenge, which lasts 5 minutes; success sets the session cookies."""
    runtime = get_runtime(request)
    outcome = await mfa.answer_challenge(
        session, cache, challenge_id=body.challenge_id, code=body.code, keys=runtime.keys,
        clock=runtime.clock, recovery=mfa.recovery_key(settings),
    )
    if outcome.user is None:
        await mfa.audit_mfa(session, runtime, request, "challenge", user_id=outcome.user_id,
                            outcome="failure", details={"reason": "invalid_challenge"})
        return problem_response(
            request.url.path, 401,
            "The login challenge is invalid, used up or expired; log in again.",
            extra={"attempts_remaining": 0},
        )
    if not outcome.ok:
        await mfa.audit_mfa(session, runtime, request, "challenge", user_id=outcome.user.id,
                            outcome="failure",
                            details={"reason": "wrong_code",
                                     "attempts_remaining": outcome.attempts_remaining})
        return problem_response(
            request.url.path, 401, _WRONG_CODE,
            extra={"attempts_remaining": outcome.attempts_remaining},
        )
    user = outcome.user
    ip, agent = request_origin(request)
    row, token = await start_session(
        session, user=user, clock=runtime.clock, ip=ip, user_agent=agent,
        method=mfa.MFA_SESSION_METHOD,
    )
    if outcome.method == "recovery_code":
        remaining = await mfa.recovery_codes_remaining(session, user.id)
        await mfa.audit_mfa(session, runtime, request, "recovery_code_used", user_id=user.id,
                            details={"purpose": "login", "remaining": remaining})
    await mfa.audit_mfa(session, runtime, request, "challenge", user_id=user.id,
                        details={"factor": outcome.method, "session_id": str(row.id)})
    await audit(session, runtime, request, "auth.login", user=user,
                details={"method": mfa.MFA_SESSION_METHOD, "stage": "mfa"})
    response = json_response(LoginResult(user=await user_read(session, user)),
                             headers=_NO_STORE)
    set_login_cookies(response, token=token, settings=settings)
    return response


@admin_router.post("/{member_id}/mfa/reset", status_code=204, operation_id="reset_member_mfa")
async def reset_member_mfa(
    org_id: uuid.UUID,
    member_id: uuid.UUID,
    request: Request,
    auth: ManageMembers,
    session: DbSession,
    cache: AppCache,
    jobs: Jobs,
) -> Response:
    """Remove a member's authenticator app and recovery codes and sign them out (they set MFA
    up again at their next login). Only an owner may reset an owner."""
    runtime = get_runtime(request)
    membership, had_factor = await mfa.reset_member_mfa(
        session, runtime, jobs, auth=auth, member_id=member_id
    )
    await mfa.audit_mfa(
        session, runtime, request, "admin_reset", user_id=membership.user_id, actor=auth,
        details={"membership_id": str(membership.id), "had_factor": had_factor},
    )
    if had_factor:
        await mfa.notify_mfa_change(jobs, await mfa.load_user(session, membership.user_id),
                                    "admin_reset")
    return Response(status_code=204)


routers: list[APIRouter] = [router, admin_router]
