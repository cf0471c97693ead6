"""TOTP enrolment, removal and recovery codes through the API."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.audit.models import AuditEvent
from brain.core.clock import FrozenClock
from brain.core.crypto import DecryptionError
from brain.core.etag import etag_of
from brain.core.runtime import Runtime
from brain.identity import mfa
from brain.identity.models import RecoveryCode, TotpFactor, UserSession
from tests.factories import Tenant
from tests.identity.mfa.conftest import (
    Enrolled,
    LoggedIn,
    Member,
    code_at,
    enrol,
    log_in,
)

MFA = "/api/v1/auth/mfa"


async def _factor(db: AsyncSession, member: Member) -> TotpFactor | None:
    row: TotpFactor | None = await db.scalar(
        select(TotpFactor)
        .where(TotpFactor.user_id == member.user.id)
        .execution_options(populate_existing=True)
    )
    return row


async def _actions(db: AsyncSession, member: Member) -> list[tuple[str, str]]:
    rows = (
        await db.execute(
            select(AuditEvent.action, AuditEvent.outcome)
            .where(AuditEvent.target_id == str(member.user.id))
            .order_by(AuditEvent.created_at, AuditEvent.id)
        )
    ).all()
    return [(r[0], r[1]) for r in rows]


async def test_setup_returns_secret_uri_and_qr_and_stores_the_secret_encrypted(
    client: httpx.AsyncClient,
    db: AsyncSession,
    runtime: Runtime,
    alice: Member,
    alice_session: LoggedIn,
) -> None:
    response = await client.post(f"{MFA}/totp/setup", headers=alice_session.headers)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"secret", "otpauth_uri", "qr_svg"}
    secret = body["secret"]
    assert body["otpauth_uri"].startswith("otpauth://totp/Brain:alice@example.com?")
    assert f"secret={secret}" in body["otpauth_uri"]
    assert body["qr_svg"].startswith("<svg")

    factor = await _factor(db, alice)
    assert factor is not None
    assert factor.confirmed_at is None
    assert secret not in factor.secret_encrypted
    context = f"totp_factors:{alice.user.id}"
    assert runtime.keys.decrypt(factor.secret_encrypted, context=context) == secret
    with pytest.raises(DecryptionError):
        runtime.keys.decrypt(factor.secret_encrypted, context="totp_factors:someone-else")

    status = await client.get(MFA, headers=alice_session.headers)
    assert status.json() == {"totp_enabled": False, "totp_confirmed_at": None,
                             "setup_pending": True, "recovery_codes_remaining": 0}
    assert secret not in status.text


async def test_setup_again_replaces_the_pending_secret(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, alice: Member,
    alice_session: LoggedIn,
) -> None:
    first = (await client.post(f"{MFA}/totp/setup", headers=alice_session.headers)).json()
    second = (await client.post(f"{MFA}/totp/setup", headers=alice_session.headers)).json()
    assert first["secret"] != second["secret"]
    rows = (await db.scalars(select(TotpFactor).where(TotpFactor.user_id == alice.user.id)))
    assert len(rows.all()) == 1
    stale = await client.post(f"{MFA}/totp/confirm", headers=alice_session.headers,
                              json={"code": code_at(first["secret"], clock)})
    assert stale.status_code == 400
    fresh = await client.post(f"{MFA}/totp/confirm", headers=alice_session.headers,
                              json={"code": code_at(second["secret"], clock)})
    assert fresh.status_code == 200, fresh.text


async def test_confirm_returns_ten_recovery_codes_and_signs_out_other_sessions(
    client: httpx.AsyncClient,
    db: AsyncSession,
    clock: FrozenClock,
    alice: Member,
    alice_session: LoggedIn,
) -> None:
    other = await log_in(db, clock, alice.user)
    setup = (await client.post(f"{MFA}/totp/setup", headers=alice_session.headers)).json()
    # A code of the previous step still counts (clock drift, typing time).
    code = code_at(setup["secret"], clock, step_offset=-1)
    response = await client.post(f"{MFA}/totp/confirm", headers=alice_session.headers,
                                 json={"code": code})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    codes = response.json()["recovery_codes"]
    assert len(codes) == 10
    assert len(set(codes)) == 10

    stored = (await db.scalars(
        select(RecoveryCode.code_hash).where(RecoveryCode.user_id == alice.user.id)
    )).all()
    assert len(stored) == 10
    assert not {c.replace("-", "") for c in codes} & set(stored)
    assert not any(c in h for c in codes for h in stored)

    # The other session is revoked; this one still works.
    assert (await client.get(MFA, headers=other.headers)).status_code == 401
    status = await client.get(MFA, headers=alice_session.headers)
    assert status.status_code == 200
    assert status.json()["totp_enabled"] is True
    assert status.json()["recovery_codes_remaining"] == 10
    assert status.json()["totp_confirmed_at"] == "2026-01-05T09:00:15Z"
    revoked = await db.scalar(
        select(UserSession.revoked_at).where(UserSession.id == other.session_id)
    )
    assert revoked is not None

    assert await mfa.user_has_mfa(db, alice.user.id)
    assert ("auth.mfa.totp_setup", "success") in await _actions(db, alice)
    assert ("auth.mfa.totp_confirm", "success") in await _actions(db, alice)


async def test_setup_after_confirmation_is_409(
    client: httpx.AsyncClient, enrolled: Enrolled
) -> None:
    response = await client.post(f"{MFA}/totp/setup", headers=enrolled.session.headers)
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    again = await client.post(f"{MFA}/totp/confirm", headers=enrolled.session.headers,
                              json={"code": "123456"})
    assert again.status_code == 409


async def test_confirm_rejects_wrong_stale_and_malformed_codes(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, alice: Member,
    alice_session: LoggedIn,
) -> None:
    headers = alice_session.headers
    assert (await client.post(f"{MFA}/totp/confirm", headers=headers,
                              json={"code": "123456"})).status_code == 409  # no setup yet
    secret = (await client.post(f"{MFA}/totp/setup", headers=headers)).json()["secret"]
    right = code_at(secret, clock)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = await client.post(f"{MFA}/totp/confirm", headers=headers, json={"code": wrong})
    assert response.status_code == 400
    assert response.json()["type"] == "/api/v1/problems/invalid-mfa-code"
    assert wrong not in response.text
    too_old = code_at(secret, clock, step_offset=-2)
    if too_old != right:
        response = await client.post(f"{MFA}/totp/confirm", headers=headers,
                                     json={"code": too_old})
        assert response.status_code == 400
    for malformed in ("12345", "x" * 33, 123456):
        response = await client.post(f"{MFA}/totp/confirm", headers=headers,
                                     json={"code": malformed})
        assert response.status_code == 422
    factor = await _factor(db, alice)
    assert factor is not None
    assert factor.confirmed_at is None
    # The failures were committed with their audit events despite the error status.
    assert ("auth.mfa.totp_confirm", "failure") in await _actions(db, alice)


async def test_too_many_wrong_codes_lock_the_user_out_for_a_while(
    client: httpx.AsyncClient, clock: FrozenClock, alice_session: LoggedIn
) -> None:
    headers = alice_session.headers
    secret = (await client.post(f"{MFA}/totp/setup", headers=headers)).json()["secret"]
    right = code_at(secret, clock)
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
    for _ in range(mfa.MAX_CODE_FAILURES):
        response = await client.post(f"{MFA}/totp/confirm", headers=headers,
                                     json={"code": wrong})
        assert response.status_code == 400
    locked = await client.post(f"{MFA}/totp/confirm", headers=headers, json={"code": right})
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0


async def test_disable_with_a_current_code(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, alice: Member,
    enrolled: Enrolled,
) -> None:
    headers = enrolled.session.headers
    wrong = await client.request("DELETE", f"{MFA}/totp", headers=headers,
                                 json={"code": "000000" if code_at(enrolled.secret, clock)
                                       != "000000" else "111111"})
    assert wrong.status_code == 400
    no_code = await client.delete(f"{MFA}/totp", headers=headers)
    assert no_code.status_code == 400
    assert "log in again" in no_code.json()["detail"]

    status = await client.get(MFA, headers=headers)
    stale = await client.request("DELETE", f"{MFA}/totp", headers={**headers, "If-Match": '"x"'},
                                 json={"code": code_at(enrolled.secret, clock)})
    assert stale.status_code == 412
    response = await client.request(
        "DELETE", f"{MFA}/totp", headers={**headers, "If-Match": status.headers["etag"]},
        json={"code": code_at(enrolled.secret, clock)},
    )
    assert response.status_code == 204, response.text
    assert await _factor(db, alice) is None
    assert not (await db.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == alice.user.id))).all()
    assert not await mfa.user_has_mfa(db, alice.user.id)
    assert (await client.get(MFA, headers=headers)).json()["totp_enabled"] is False
    assert (await client.delete(f"{MFA}/totp", headers=headers)).status_code == 404
    actions = await _actions(db, alice)
    assert ("auth.mfa.totp_disable", "failure") in actions
    assert ("auth.mfa.totp_disable", "success") in actions


async def test_disable_with_a_recovery_code(
    client: httpx.AsyncClient, db: AsyncSession, alice: Member, enrolled: Enrolled
) -> None:
    response = await client.request("DELETE", f"{MFA}/totp", headers=enrolled.session.headers,
                                    json={"code": enrolled.recovery_codes[3]})
    assert response.status_code == 204, response.text
    assert await _factor(db, alice) is None
    assert ("auth.mfa.recovery_code_used", "success") in await _actions(db, alice)


async def test_disable_without_code_after_a_recent_mfa_login(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, alice: Member,
    enrolled: Enrolled,
) -> None:
    recent = await log_in(db, clock, alice.user, method=mfa.MFA_SESSION_METHOD)
    clock.advance(timedelta(minutes=10, seconds=1))
    too_late = await client.delete(f"{MFA}/totp", headers=recent.headers)
    assert too_late.status_code == 400
    fresh = await log_in(db, clock, alice.user, method=mfa.MFA_SESSION_METHOD)
    clock.advance(timedelta(minutes=9))
    # A password-only session of the same age is not enough.
    password_only = await log_in(db, clock, alice.user)
    assert (await client.delete(f"{MFA}/totp", headers=password_only.headers)).status_code == 400
    response = await client.delete(f"{MFA}/totp", headers=fresh.headers)
    assert response.status_code == 204, response.text
    assert await _factor(db, alice) is None


async def test_an_unconfirmed_setup_can_be_cancelled_without_a_code(
    client: httpx.AsyncClient, db: AsyncSession, alice: Member, alice_session: LoggedIn
) -> None:
    await client.post(f"{MFA}/totp/setup", headers=alice_session.headers)
    response = await client.delete(f"{MFA}/totp", headers=alice_session.headers)
    assert response.status_code == 204
    assert await _factor(db, alice) is None


async def test_regenerate_recovery_codes(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, alice: Member,
    enrolled: Enrolled,
) -> None:
    headers = enrolled.session.headers
    wrong = await client.post(f"{MFA}/recovery-codes", headers=headers,
                              json={"code": "zzzzz-zzzzz"})
    assert wrong.status_code == 400
    response = await client.post(f"{MFA}/recovery-codes", headers=headers,
                                 json={"code": code_at(enrolled.secret, clock)})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    new_codes = response.json()["recovery_codes"]
    assert len(new_codes) == 10
    assert not set(new_codes) & set(enrolled.recovery_codes)
    # Old codes no longer work; a new one does (and is then used up).
    old = await client.post(f"{MFA}/recovery-codes", headers=headers,
                            json={"code": enrolled.recovery_codes[0]})
    assert old.status_code == 400
    again = await client.post(f"{MFA}/recovery-codes", headers=headers,
                              json={"code": new_codes[0]})
    assert again.status_code == 200
    assert ("auth.mfa.recovery_codes_regenerate", "success") in await _actions(db, alice)


async def test_regenerate_needs_mfa(client: httpx.AsyncClient, alice_session: LoggedIn) -> None:
    response = await client.post(f"{MFA}/recovery-codes", headers=alice_session.headers,
                                 json={"code": "123456"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", MFA, None),
        ("POST", f"{MFA}/totp/setup", None),
        ("POST", f"{MFA}/totp/confirm", {"code": "123456"}),
        ("DELETE", f"{MFA}/totp", {"code": "123456"}),
        ("POST", f"{MFA}/recovery-codes", {"code": "123456"}),
    ],
)
async def test_user_routes_need_a_session(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, tenant: Tenant,
    alice: Member, method: str, path: str, body: dict[str, str] | None,
) -> None:
    """401 without a cookie, with an unknown, expired or revoked one, and for API keys."""
    expired = await log_in(db, clock, alice.user)
    clock.advance(timedelta(hours=13))
    live = await log_in(db, clock, alice.user)
    credentials = [
        {},
        {"Cookie": "brain_session=not-a-session; brain_csrf=x", "X-CSRF-Token": "x"},
        expired.headers,
        tenant.admin,
    ]
    for headers in credentials:
        response = await client.request(method, path, headers=headers, json=body)
        assert response.status_code == 401, (headers, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    if method != "GET":
        # Cookie sessions must echo the CSRF token on writes.
        no_csrf = {"Cookie": live.headers["Cookie"]}
        response = await client.request(method, path, headers=no_csrf, json=body)
        assert response.status_code == 403
        assert response.json()["type"] == "/api/v1/problems/csrf-failed"


async def test_status_etag_changes_with_the_factor(
    client: httpx.AsyncClient, clock: FrozenClock, alice_session: LoggedIn
) -> None:
    before = await client.get(MFA, headers=alice_session.headers)
    assert before.headers["etag"] == etag_of(before.content)
    await enrol(client, clock, alice_session)
    after = await client.get(MFA, headers=alice_session.headers)
    assert after.headers["etag"] != before.headers["etag"]


async def test_secrets_never_reach_logs_audit_or_later_responses(
    client: httpx.AsyncClient,
    db: AsyncSession,
    clock: FrozenClock,
    alice: Member,
    alice_session: LoggedIn,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    enrolled = await enrol(client, clock, alice_session)
    headers = alice_session.headers
    later = [
        await client.get(MFA, headers=headers),
        await client.post(f"{MFA}/totp/setup", headers=headers),
        await client.post(f"{MFA}/recovery-codes", headers=headers,
                          json={"code": "00000-00000"}),
    ]
    code = code_at(enrolled.secret, clock)
    later.append(await client.post(f"{MFA}/recovery-codes", headers=headers,
                                   json={"code": code}))
    new_codes = later[-1].json()["recovery_codes"]
    later.append(await client.request("DELETE", f"{MFA}/totp", headers=headers,
                                      json={"code": new_codes[0]}))
    secrets_used = [enrolled.secret, *enrolled.recovery_codes, code]
    for response in later:
        for value in secrets_used:
            assert value not in response.text, response.request.url
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    for value in [*secrets_used, *new_codes]:
        assert value not in logged
    details = (await db.scalars(
        select(AuditEvent.details).where(AuditEvent.target_id == str(alice.user.id))
    )).all()
    assert details
    for value in [*secrets_used, *new_codes]:
        assert value not in str(details)
