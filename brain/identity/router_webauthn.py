"""Passkey endpoints (/api/v1/auth/webauthn/…): your passkeys (list, rename, remove), adding
one, answering a login's second-factor challenge with one, and signing in with one alone.

Each ceremony is two calls: `…/options` gives a `ceremony_id` and the `publicKey` options for
the browser, `…/verify` takes the browser's answer with that `ceremony_id`. Failures that must
stay in the audit trail (and the ceremony or attempt they used up) are returned as problem
responses, so the request's transaction still commits them.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from brain.audit.service import request_origin
from brain.core.cache import Cache
from brain.core.deps import AppCache, AppSettings, CurrentSession, DbSession, Jobs, get_runtime
from brain.core.errors import NotFound, ProblemError, problem_response
from brain.core.etag import check_if_match, etag_of_model
from brain.core.pagination import json_response, page_response
from brain.core.runtime import Runtime
from brain.core.schemas import Page
from brain.identity import auth_service, mfa
from brain.identity import webauthn as wa
from brain.identity.cookies import set_login_cookies
from brain.identity.models import User, WebAuthnCredential
from brain.identity.schemas_auth import LoginResult
from brain.identity.schemas_webauthn import (
    CeremonyOptions,
    MfaPasskeyOptionsRequest,
    MfaPasskeyVerify,
    PasskeyLoginVerify,
    PasskeyRead,
    PasskeyRename,
    Reauthentication,
    RegistrationVerify,
)
from brain.identity.sessions import ActiveSession, start_session
from brain.settings import Settings

router = APIRouter(prefix="/api/v1/auth/webauthn", tags=["passkeys"])

_NO_STORE = {"Cache-Control": "no-store"}
IfMatch = Annotated[
    str | None, Header(max_length=200, description="The ETag you read; a stale one is a 412.")
]
_INVALID_CHALLENGE = "The login challenge is invalid, used up or expired; log in again."


def _problem(request: Request, exc: ProblemError) -> Response:
    return problem_response(
        request.url.path, exc.status, exc.detail, kind=exc.kind, title=exc.title,
        errors=exc.errors, headers=exc.headers, extra=exc.extra,
    )


def _rp(settings: Settings) -> wa.RelyingParty:
    return wa.relying_party(settings)


def passkey_read(row: WebAuthnCredential) -> PasskeyRead:
    return PasskeyRead.model_validate(row)


async def _throttle_ip(runtime: Runtime, request: Request, scope: str) -> None:
    ip = auth_service.client_ip(request)
    if ip and (locked := await auth_service.throttle(runtime).hit(
        scope, ip, limit=runtime.settings.login_ip_per_minute, window_seconds=60
    )):
        raise auth_service.rate_limited(locked, "Too many passkey attempts; retry in {seconds} s.")


# --- re-authentication -----------------------------------------------------------------------


async def _reauthenticate(
    request: Request,
    db: AsyncSession,
    cache: Cache,
    active: ActiveSession,
    proof: Reauthentication | None,
    *,
    action: str,
) -> tuple[str | None, ProblemError | None]:
    """How the caller proved it is them (a code, the password, or a recent strong login),
    or the problem to answer with (wrong proofs are audited and throttled)."""
    runtime = get_runtime(request)
    user = await auth_service.get_user(db, active.user_id)
    if proof is not None and proof.code is not None:
        await mfa.ensure_not_locked(cache, user.id)
        method = await mfa.verify_second_factor(
            db, user_id=user.id, code=proof.code, keys=runtime.keys, clock=runtime.clock,
            recovery=mfa.recovery_key(runtime.settings),
        )
        if method is None:
            await mfa.note_code_failure(cache, user.id)
            await auth_service.audit(db, runtime, request, action, user=user,
                                     outcome="failure", details={"reason": "wrong_code"})
            return None, ProblemError(400, "The code is wrong or was already used.",
                                      kind="invalid-mfa-code")
        return method, None
    if proof is not None and proof.password is not None:
        guard = auth_service.throttle(runtime)
        ip = auth_service.client_ip(request)
        locked = await guard.login_locked(email=user.email, ip=ip)
        if locked is not None:
            return None, auth_service.rate_limited(
                locked, "Too many failed attempts; try again in {seconds} seconds.")
        await auth_service.end_read_phase(db)
        if not await auth_service.verify_password_async(user.password_hash, proof.password):
            await guard.login_failed(email=user.email, ip=ip)
            await auth_service.audit(db, runtime, request, action, user=user,
                                     outcome="failure", details={"reason": "wrong_password"})
            return None, ProblemError(
                403, "The password is incorrect.",
                errors=[{"loc": ["body", "password"], "message": "Incorrect password."}],
            )
        return "password", None
    # A login in the last 10 minutes did whatever the account required then (a second factor
    # when it had one: a session opened without one predates the account's first factor).
    if runtime.clock.now() - active.created_at <= mfa.REAUTHENTICATION_WINDOW:
        return "recent_login", None
    methods = await mfa.mfa_methods(db, user.id)
    accepted = (["password"] if user.password_hash else []) + (
        ["code"] if "totp" in methods else []
    )
    return None, ProblemError(
        403,
        "Confirm it is you: send your password or a code from your authenticator app, or "
        "log in again and retry within 10 minutes.",
        kind="reauthentication-required", extra={"accepted": accepted},
    )


# --- your passkeys ---------------------------------------------------------------------------


@router.get("/credentials", response_model=Page[PasskeyRead], operation_id="list_passkeys")
async def list_passkeys(active: CurrentSession, request: Request, session: DbSession
                        ) -> Response:
    """Your passkeys, oldest first (at most 20, so one page)."""
    rows = await wa.list_passkeys(session, active.user_id)
    page = Page[PasskeyRead](data=[passkey_read(r) for r in rows], next_cursor=None,
                             has_more=False)
    return page_response(request, page)


async def _own(session: AsyncSession, active: ActiveSession, passkey_id: uuid.UUID
               ) -> WebAuthnCredential:
    row = await wa.get_own_passkey(session, user_id=active.user_id, passkey_id=passkey_id)
    if row is None:
        raise NotFound("Passkey")
    return row


@router.get("/credentials/{passkey_id}", response_model=PasskeyRead,
            operation_id="get_passkey")
async def get_passkey(passkey_id: uuid.UUID, active: CurrentSession, session: DbSession
                      ) -> Response:
    """One of your passkeys (another user's is a 404)."""
    return json_response(passkey_read(await _own(session, active, passkey_id)))


@router.patch("/credentials/{passkey_id}", response_model=PasskeyRead,
              operation_id="rename_passkey")
async def rename_passkey(
    passkey_id: uuid.UUID, body: PasskeyRename, active: CurrentSession, request: Request,
    session: DbSession, if_match: IfMatch = None,
) -> Response:
    """Rename one of your passkeys."""
    runtime = get_runtime(request)
    row = await _own(session, active, passkey_id)
    check_if_match(if_match, passkey_read(row))
    before = row.name
    row.name = body.name
    row.updated_at = runtime.clock.now()
    await session.flush()
    user = await auth_service.get_user(session, active.user_id)
    await auth_service.audit(session, runtime, request, "auth.webauthn.rename", user=user,
                             target_type="webauthn_credential", target_id=row.id,
                             details={"from": before, "to": row.name})
    read = passkey_read(row)
    return json_response(read, headers={"ETag": etag_of_model(read)})


@router.delete(
    "/credentials/{passkey_id}", status_code=204, response_class=Response,
    operation_id="delete_passkey",
)
async def delete_passkey(
    passkey_id: uuid.UUID,
    active: CurrentSession,
    request: Request,
    session: DbSession,
    cache: AppCache,
    jobs: Jobs,
    body: Reauthentication | None = None,
    if_match: IfMatch = None,
) -> Response:
    """Remove one of your passkeys. Needs your password or a current code, unless this session
    logged in within the last 10 minutes (403 `reauthentication-required` otherwise)."""
    runtime = get_runtime(request)
    row = await _own(session, active, passkey_id)
    check_if_match(if_match, passkey_read(row))
    proof, failure = await _reauthenticate(request, session, cache, active, body,
                                           action="auth.webauthn.delete")
    if failure is not None:
        return _problem(request, failure)
    fingerprint = wa.credential_fingerprint(row.credential_id)
    name = row.name
    await session.delete(row)
    await session.flush()
    await mfa.forget_user_contexts(session, cache, jobs, active.user_id)
    user = await auth_service.get_user(session, active.user_id)
    await auth_service.audit(session, runtime, request, "auth.webauthn.delete", user=user,
                             target_type="webauthn_credential", target_id=passkey_id,
                             details={"name": name, "credential": fingerprint,
                                      "proof": proof})
    await mfa.notify_mfa_change(jobs, user, "passkey_removed")
    return Response(status_code=204)


# --- adding a passkey ------------------------------------------------------------------------


@router.post("/register/options", response_model=CeremonyOptions,
             operation_id="start_passkey_registration")
async def start_passkey_registration(
    active: CurrentSession,
    request: Request,
    session: DbSession,
    cache: AppCache,
    settings: AppSettings,
    body: Reauthentication | None = None,
) -> Response:
    """Start adding a passkey: options for `navigator.credentials.create()`. A passkey can
    sign in on its own, so this needs your password or a current code unless this session
    logged in within the last 10 minutes (403 `reauthentication-required`). At most 20
    passkeys (409)."""
    runtime = get_runtime(request)
    proof, failure = await _reauthenticate(request, session, cache, active, body,
                                           action="auth.webauthn.register")
    if failure is not None:
        return _problem(request, failure)
    user = await auth_service.get_user(session, active.user_id)
    ceremony_id, options = await wa.registration_options(
        session, user=user, session_id=active.session_id, rp=_rp(settings),
        clock=runtime.clock,
    )
    await auth_service.audit(session, runtime, request, "auth.webauthn.register_start",
                             user=user, details={"proof": proof})
    return json_response(CeremonyOptions(ceremony_id=ceremony_id, public_key=options),
                         headers=_NO_STORE)


@router.post(
    "/register/verify", response_model=PasskeyRead, status_code=201,
    operation_id="finish_passkey_registration",
)
async def finish_passkey_registration(
    body: RegistrationVerify,
    active: CurrentSession,
    request: Request,
    session: DbSession,
    jobs: Jobs,
    settings: AppSettings,
) -> Response:
    """Finish adding a passkey with the browser's answer (400
    `webauthn-challenge-invalid` / `webauthn-verification-failed`; 409 if already added).
    When it is your first second factor, your other sessions are signed out."""
    runtime = get_runtime(request)
    user = await auth_service.get_user(session, active.user_id)
    had_mfa = await mfa.user_has_mfa(session, user.id)
    try:
        row = await wa.register_passkey(
            session, user=user, session_id=active.session_id, ceremony_id=body.ceremony_id,
            credential=body.credential, name=body.name, rp=_rp(settings), clock=runtime.clock,
        )
    except (wa.CeremonyInvalid, wa.VerificationFailed) as exc:
        await auth_service.audit(session, runtime, request, "auth.webauthn.register",
                                 user=user, outcome="failure", details={"reason": exc.reason})
        return _problem(request, exc)
    revoked = 0
    if not had_mfa:
        revoked = await auth_service.revoke(session, runtime, jobs, user_id=user.id,
                                            keep=active.session_id)
    await auth_service.audit(
        session, runtime, request, "auth.webauthn.register", user=user,
        target_type="webauthn_credential", target_id=row.id,
        details={"name": row.name, "credential": wa.credential_fingerprint(row.credential_id),
                 "aaguid": row.aaguid, "device_type": row.device_type,
                 "sessions_revoked": revoked},
    )
    await mfa.notify_mfa_change(jobs, user, "passkey_added")
    read = passkey_read(row)
    return json_response(
        read, status_code=201,
        headers={"Location": f"/api/v1/auth/webauthn/credentials/{row.id}",
                 "ETag": etag_of_model(read)},
    )


# --- the second step of a password login --------------------------------------------------------


@router.post("/mfa/options", response_model=CeremonyOptions, operation_id="start_passkey_mfa")
async def start_passkey_mfa(
    body: MfaPasskeyOptionsRequest, request: Request, session: DbSession,
    settings: AppSettings,
) -> Response:
    """Answer a login's `mfa_required` challenge with a passkey: options for
    `navigator.credentials.get()` listing your passkeys. 401 when the challenge is invalid,
    used up or expired; 409 when the account has no passkey."""
    runtime = get_runtime(request)
    await _throttle_ip(runtime, request, "passkey-options")
    row, _ = await mfa.live_challenge(session, body.challenge_id, now=runtime.clock.now())
    if row is None:
        raise ProblemError(401, _INVALID_CHALLENGE, extra={"attempts_remaining": 0})
    if not await wa.count_passkeys(session, row.user_id):
        raise ProblemError(409, "This account has no passkey; use a code instead.")
    ceremony_id, options = await wa.authentication_options(
        session, purpose=wa.Purpose.mfa, rp=_rp(settings), clock=runtime.clock,
        user_id=row.user_id, login_challenge=body.challenge_id,
    )
    return json_response(CeremonyOptions(ceremony_id=ceremony_id, public_key=options),
                         headers=_NO_STORE)


@router.post("/mfa/verify", response_model=LoginResult, operation_id="finish_passkey_mfa")
async def finish_passkey_mfa(
    body: MfaPasskeyVerify,
    request: Request,
    session: DbSession,
    cache: AppCache,
    settings: AppSettings,
) -> Response:
    """Finish the login with the passkey's answer: sets the session cookies. Each answer uses
    one of the challenge's 5 attempts; 401 with `attempts_remaining` when it is not
    accepted."""
    runtime = get_runtime(request)
    now = runtime.clock.now()
    row, owner = await mfa.live_challenge(session, body.challenge_id, now=now)
    if row is None:
        await mfa.audit_mfa(session, runtime, request, "challenge", user_id=owner,
                            outcome="failure", details={"reason": "invalid_challenge",
                                                        "factor": "webauthn"})
        return problem_response(request.url.path, 401, _INVALID_CHALLENGE,
                                extra={"attempts_remaining": 0})
    await mfa.ensure_not_locked(cache, row.user_id)
    attempts = await mfa.take_challenge_attempt(session, row)
    user = await session.get(User, row.user_id)
    if attempts is None or user is None or user.deleted_at is not None:
        return problem_response(request.url.path, 401, _INVALID_CHALLENGE,
                                extra={"attempts_remaining": 0})
    remaining = mfa.CHALLENGE_MAX_ATTEMPTS - attempts
    try:
        ceremony = await wa.take_ceremony(
            session, ceremony_id=body.ceremony_id, purpose=wa.Purpose.mfa,
            clock=runtime.clock, login_challenge=body.challenge_id,
        )
        stored = await wa.find_credential(session, body.credential.id)
        if stored is None or stored.user_id != user.id:
            raise wa.VerificationFailed("This passkey is not registered to your account.",
                                        reason="unknown_credential", status=401)
        await wa.verify_assertion(
            session, stored=stored, ceremony=ceremony, credential=body.credential,
            rp=_rp(settings), clock=runtime.clock, require_user_verification=False,
        )
    except (wa.CeremonyInvalid, wa.VerificationFailed) as exc:
        await mfa.note_code_failure(cache, user.id)
        await mfa.audit_mfa(session, runtime, request, "challenge", user_id=user.id,
                            outcome="failure",
                            details={"reason": exc.reason, "factor": "webauthn",
                                     "attempts_remaining": remaining})
        exc.extra = {**exc.extra, "attempts_remaining": remaining}
        return _problem(request, exc)
    if not await mfa.finish_challenge(session, row, now=now):
        return problem_response(request.url.path, 401, _INVALID_CHALLENGE,
                                extra={"attempts_remaining": 0})
    ip, agent = request_origin(request)
    session_row, token = await start_session(
        session, user=user, clock=runtime.clock, ip=ip, user_agent=agent,
        method=mfa.MFA_SESSION_METHOD,
    )
    await mfa.audit_mfa(session, runtime, request, "challenge", user_id=user.id,
                        details={"factor": "webauthn", "session_id": str(session_row.id),
                                 "credential": wa.credential_fingerprint(stored.credential_id)})
    await auth_service.audit(session, runtime, request, "auth.login", user=user,
                             details={"method": mfa.MFA_SESSION_METHOD, "stage": "mfa",
                                      "factor": "webauthn"})
    response = json_response(LoginResult(user=await auth_service.user_read(session, user)),
                             headers=_NO_STORE)
    set_login_cookies(response, token=token, settings=settings)
    return response


# --- passwordless login ----------------------------------------------------------------------


@router.post("/login/options", response_model=CeremonyOptions,
             operation_id="start_passkey_login")
async def start_passkey_login(request: Request, session: DbSession, settings: AppSettings
                              ) -> Response:
    """Sign in with a passkey alone: options for `navigator.credentials.get()` with no
    credential listed (the authenticator offers this site's passkeys) and user verification
    required. Rate-limited per IP like the login."""
    runtime = get_runtime(request)
    await _throttle_ip(runtime, request, "passkey-options")
    ceremony_id, options = await wa.authentication_options(
        session, purpose=wa.Purpose.passwordless, rp=_rp(settings), clock=runtime.clock,
    )
    return json_response(CeremonyOptions(ceremony_id=ceremony_id, public_key=options),
                         headers=_NO_STORE)


@router.post(
    "/login/verify", response_model=LoginResult, operation_id="finish_passkey_login",
    responses={429: {"description": "Too many attempts from your address; see Retry-After."}},
)
async def finish_passkey_login(
    body: PasskeyLoginVerify, request: Request, session: DbSession, settings: AppSettings
) -> Response:
    """Finish signing in with the passkey's answer: sets the session and CSRF cookies (the
    session counts as multi-factor). 401 `webauthn-verification-failed` when it is not
    accepted; 403 `sso-required` when your organization requires single sign-on."""
    runtime = get_runtime(request)
    await _throttle_ip(runtime, request, "passkey-login")
    user: User | None = None
    try:
        ceremony = await wa.take_ceremony(
            session, ceremony_id=body.ceremony_id, purpose=wa.Purpose.passwordless,
            clock=runtime.clock,
        )
        stored = await wa.find_credential(session, body.credential.id)
        if stored is None:
            raise wa.VerificationFailed("This passkey is not registered here.",
                                        reason="unknown_credential", status=401)
        wa.check_user_handle(body.credential, stored)
        user = await session.get(User, stored.user_id)
        if user is None or user.deleted_at is not None:
            user = None
            raise wa.VerificationFailed("This passkey is not registered here.",
                                        reason="unknown_user", status=401)
        await wa.verify_assertion(
            session, stored=stored, ceremony=ceremony, credential=body.credential,
            rp=_rp(settings), clock=runtime.clock, require_user_verification=True,
        )
    except (wa.CeremonyInvalid, wa.VerificationFailed) as exc:
        await auth_service.audit(session, runtime, request, "auth.login", user=user,
                                 outcome="failure",
                                 details={"method": mfa.PASSKEY_SESSION_METHOD,
                                          "reason": exc.reason})
        return _problem(request, exc)
    sso_url = await auth_service.sso_login_url(session, user.email)
    if sso_url is not None:
        await auth_service.audit(session, runtime, request, "auth.login", user=user,
                                 outcome="denied",
                                 details={"method": mfa.PASSKEY_SESSION_METHOD,
                                          "reason": "sso_required"})
        return _problem(request, ProblemError(
            403, "Your organization requires single sign-on; log in through it.",
            kind="sso-required", extra={"sso_login_url": sso_url},
        ))
    ip, agent = request_origin(request)
    session_row, token = await start_session(
        session, user=user, clock=runtime.clock, ip=ip, user_agent=agent,
        method=mfa.PASSKEY_SESSION_METHOD,
    )
    await auth_service.audit(
        session, runtime, request, "auth.login", user=user,
        details={"method": mfa.PASSKEY_SESSION_METHOD, "session_id": str(session_row.id),
                 "credential": wa.credential_fingerprint(stored.credential_id)},
    )
    response = json_response(LoginResult(user=await auth_service.user_read(session, user)),
                             headers=_NO_STORE)
    set_login_cookies(response, token=token, settings=settings)
    return response


routers: list[APIRouter] = [router]
