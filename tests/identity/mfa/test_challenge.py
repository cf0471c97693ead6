"""The login challenge: TOTP or recovery code after a correct password, with replay
protection, an attempt limit, single use and a 5-minute lifetime."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from brain.audit.models import AuditEvent
from brain.core.clock import FrozenClock
from brain.core.db import set_system_mode
from brain.identity import mfa
from brain.identity.models import OneTimeToken, UserSession
from brain.identity.passwords import hash_password
from brain.identity.sessions import CSRF_COOKIE, SESSION_COOKIE, hash_token
from tests.identity.mfa.conftest import STEP, Enrolled, LoggedIn, Member, code_at

CHALLENGE = "/api/v1/auth/mfa/challenge"


async def _challenge(db: AsyncSession, clock: FrozenClock, member: Member) -> str:
    challenge_id = await mfa.create_login_challenge(
        db, user=member.user, clock=clock, ip="127.0.0.1", user_agent="pytest"
    )
    await db.commit()
    return challenge_id


async def _answer(client: httpx.AsyncClient, challenge_id: str, code: str) -> httpx.Response:
    client.cookies.clear()
    return await client.post(CHALLENGE, json={"challenge_id": challenge_id, "code": code})


def _wrong(code: str) -> str:
    return f"{(int(code) + 500_000) % 1_000_000:06d}"


async def _audit(db: AsyncSession, member: Member, action: str) -> list[AuditEvent]:
    rows = await db.scalars(
        select(AuditEvent)
        .where(AuditEvent.target_id == str(member.user.id), AuditEvent.action == action)
        .order_by(AuditEvent.created_at, AuditEvent.id)
    )
    return list(rows.all())


async def test_user_has_mfa_only_once_confirmed(
    client: httpx.AsyncClient, db: AsyncSession, alice: Member, alice_session: LoggedIn
) -> None:
    assert not await mfa.user_has_mfa(db, alice.user.id)
    await client.post("/api/v1/auth/mfa/totp/setup", headers=alice_session.headers)
    assert not await mfa.user_has_mfa(db, alice.user.id)


async def test_challenge_is_a_hashed_five_minute_one_time_token(
    db: AsyncSession, clock: FrozenClock, alice: Member, enrolled: Enrolled
) -> None:
    challenge_id = await _challenge(db, clock, alice)
    assert len(challenge_id) >= 43  # 256 bits, URL-safe base64
    row = await db.scalar(
        select(OneTimeToken).where(OneTimeToken.token_hash == hash_token(challenge_id))
    )
    assert row is not None
    assert row.purpose == "mfa_challenge"
    assert row.user_id == alice.user.id
    assert row.expires_at - row.created_at == timedelta(minutes=5)
    assert row.token_hash != challenge_id


async def test_a_valid_totp_code_logs_in_with_an_mfa_session(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, alice: Member,
    enrolled: Enrolled,
) -> None:
    challenge_id = await _challenge(db, clock, alice)
    response = await _answer(client, challenge_id, code_at(enrolled.secret, clock))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mfa_required"] is False
    assert body["user"]["id"] == str(alice.user.id)
    assert body["user"]["email"] == "alice@example.com"
    assert response.headers["cache-control"] == "no-store"
    assert enrolled.secret not in response.text

    token = response.cookies[SESSION_COOKIE]
    csrf = response.cookies[CSRF_COOKIE]
    set_cookie = [v for k, v in response.headers.multi_items() if k == "set-cookie"]
    session_cookie = next(c for c in set_cookie if c.startswith(f"{SESSION_COOKIE}="))
    assert "HttpOnly" in session_cookie
    assert "SameSite=lax" in session_cookie
    row = await db.scalar(select(UserSession).where(UserSession.token_hash == hash_token(token)))
    assert row is not None
    assert row.method == "password+mfa"
    assert row.user_id == alice.user.id

    client.cookies.clear()
    headers = {"Cookie": f"{SESSION_COOKIE}={token}; {CSRF_COOKIE}={csrf}"}
    me = await client.get("/api/v1/auth/mfa", headers=headers)
    assert me.status_code == 200
    assert me.json()["totp_enabled"] is True

    events = await _audit(db, alice, "auth.mfa.challenge")
    assert [(e.outcome, e.details.get("factor")) for e in events] == [("success", "totp")]


async def test_replay_of_the_same_code_is_rejected(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, alice: Member,
    enrolled: Enrolled,
) -> None:
    code = code_at(enrolled.secret, clock)
    first = await _answer(client, await _challenge(db, clock, alice), code)
    assert first.status_code == 200
    second_challenge = await _challenge(db, clock, alice)
    replay = await _answer(client, second_challenge, code)
    assert replay.status_code == 401
    assert replay.json()["attempts_remaining"] == 4
    assert SESSION_COOKIE not in replay.cookies
    # Even after time moves on, the step already used (and older ones) stay spent.
    clock.advance(STEP)
    assert (await _answer(client, second_challenge, code)).status_code == 401
    assert (await _answer(client, second_challenge,
                          code_at(enrolled.secret, clock))).status_code == 200


async def test_codes_one_step_either_side_are_accepted_but_not_two(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, alice: Member,
    enrolled: Enrolled,
) -> None:
    two_back = code_at(enrolled.secret, clock, step_offset=-2)
    in_window = {code_at(enrolled.secret, clock, step_offset=o) for o in (-1, 0, 1)}
    challenge_id = await _challenge(db, clock, alice)
    if two_back not in in_window:  # (a one-in-a-million coincidence otherwise)
        assert (await _answer(client, challenge_id, two_back)).status_code == 401
    ahead = code_at(enrolled.secret, clock, step_offset=1)
    assert (await _answer(client, challenge_id, ahead)).status_code == 200


async def test_a_recovery_code_works_once(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, alice: Member,
    enrolled: Enrolled,
) -> None:
    code = enrolled.recovery_codes[0]
    response = await _answer(client, await _challenge(db, clock, alice), code.upper())
    assert response.status_code == 200, response.text
    assert SESSION_COOKIE in response.cookies
    again = await _answer(client, await _challenge(db, clock, alice), code)
    assert again.status_code == 401
    other = await _answer(client, await _challenge(db, clock, alice),
                          enrolled.recovery_codes[1].replace("-", ""))
    assert other.status_code == 200
    assert await mfa.recovery_codes_remaining(db, alice.user.id) == 8
    used = await _audit(db, alice, "auth.mfa.recovery_code_used")
    assert [e.details["remaining"] for e in used] == [9, 8]
    challenges = await _audit(db, alice, "auth.mfa.challenge")
    assert [(e.outcome, e.details.get("factor")) for e in challenges] == [
        ("success", "recovery_code"), ("failure", None), ("success", "recovery_code")]


async def test_five_attempts_then_the_challenge_is_dead(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, alice: Member,
    enrolled: Enrolled,
) -> None:
    challenge_id = await _challenge(db, clock, alice)
    wrong = _wrong(code_at(enrolled.secret, clock))
    for remaining in (4, 3, 2, 1, 0):
        response = await _answer(client, challenge_id, wrong)
        assert response.status_code == 401
        assert response.json()["attempts_remaining"] == remaining
        assert response.headers["content-type"] == "application/problem+json"
    right = await _answer(client, challenge_id, code_at(enrolled.secret, clock))
    assert right.status_code == 401
    assert "log in again" in right.json()["detail"]
    # The right code was not spent on the dead challenge: a new challenge accepts it.
    fresh = await _answer(client, await _challenge(db, clock, alice),
                          code_at(enrolled.secret, clock))
    assert fresh.status_code == 200
    failures = [e for e in await _audit(db, alice, "auth.mfa.challenge")
                if e.outcome == "failure"]
    assert [e.details["reason"] for e in failures] == ["wrong_code"] * 5 + ["invalid_challenge"]
    assert all(e.ip for e in failures)


async def test_a_challenge_is_single_use(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, alice: Member,
    enrolled: Enrolled,
) -> None:
    challenge_id = await _challenge(db, clock, alice)
    assert (await _answer(client, challenge_id, code_at(enrolled.secret, clock))).status_code \
        == 200
    clock.advance(STEP)
    again = await _answer(client, challenge_id, code_at(enrolled.secret, clock))
    assert again.status_code == 401
    assert again.json()["attempts_remaining"] == 0


async def test_a_challenge_expires_after_five_minutes(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, alice: Member,
    enrolled: Enrolled,
) -> None:
    challenge_id = await _challenge(db, clock, alice)
    clock.advance(timedelta(minutes=5))
    expired = await _answer(client, challenge_id, code_at(enrolled.secret, clock))
    assert expired.status_code == 401
    assert SESSION_COOKIE not in expired.cookies
    almost = await _challenge(db, clock, alice)
    clock.advance(timedelta(minutes=4, seconds=59))
    ok = await _answer(client, almost, code_at(enrolled.secret, clock))
    assert ok.status_code == 200


async def test_unknown_challenges_and_bad_bodies(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, alice: Member,
    enrolled: Enrolled,
) -> None:
    response = await _answer(client, "not-a-challenge", code_at(enrolled.secret, clock))
    assert response.status_code == 401
    assert response.json()["type"] == "/api/v1/problems/unauthorized"
    # A token of another purpose is not a challenge.
    db.add(OneTimeToken(user_id=alice.user.id, purpose="reset_password",
                        token_hash=hash_token("reset-token-value"),
                        created_at=clock.now(), expires_at=clock.now() + timedelta(hours=1)))
    await db.commit()
    assert (await _answer(client, "reset-token-value",
                          code_at(enrolled.secret, clock))).status_code == 401
    for body in ({}, {"challenge_id": "x"}, {"challenge_id": "x", "code": "1"},
                 {"challenge_id": "x" * 101, "code": "123456"},
                 {"challenge_id": "x", "code": "123456", "extra": 1}):
        assert (await client.post(CHALLENGE, json=body)).status_code == 422


async def test_removing_mfa_kills_pending_challenges(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, alice: Member,
    enrolled: Enrolled,
) -> None:
    challenge_id = await _challenge(db, clock, alice)
    removed = await client.request("DELETE", "/api/v1/auth/mfa/totp",
                                   headers=enrolled.session.headers,
                                   json={"code": code_at(enrolled.secret, clock)})
    assert removed.status_code == 204
    clock.advance(STEP)
    response = await _answer(client, challenge_id, enrolled.recovery_codes[0])
    assert response.status_code == 401
    assert response.json()["attempts_remaining"] == 0


async def test_login_then_challenge_end_to_end(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, alice: Member,
    enrolled: Enrolled,
) -> None:
    """The login route asks for the second factor (no cookies) and the challenge finishes."""
    password = "correct horse battery staple 42"
    await set_system_mode(db, True)
    alice.user.password_hash = hash_password(password)
    db.add(alice.user)
    await db.commit()
    client.cookies.clear()
    login = await client.post("/api/v1/auth/login",
                              json={"email": "alice@example.com", "password": password})
    assert login.status_code == 200, login.text
    body = login.json()
    assert body["mfa_required"] is True
    assert set(body) == {"mfa_required", "challenge_id", "methods"}
    assert body["methods"] == ["totp"]
    assert SESSION_COOKIE not in login.cookies
    wrong = await _answer(client, body["challenge_id"], _wrong(code_at(enrolled.secret, clock)))
    assert wrong.status_code == 401
    done = await _answer(client, body["challenge_id"], code_at(enrolled.secret, clock))
    assert done.status_code == 200, done.text
    assert done.json()["mfa_required"] is False
    assert done.json()["user"]["mfa_enabled"] is True
    assert SESSION_COOKIE in done.cookies
    logins = await db.scalars(
        select(AuditEvent.details).where(AuditEvent.action == "auth.login",
                                         AuditEvent.actor_id == alice.user.id)
    )
    assert {"method": "password+mfa", "stage": "mfa"} in list(logins.all())


async def test_wrong_codes_across_challenges_lock_the_user_out(
    client: httpx.AsyncClient, db: AsyncSession, clock: FrozenClock, alice: Member,
    enrolled: Enrolled,
) -> None:
    """Fresh challenges (a new login each) do not reset the count of wrong codes."""
    wrong = _wrong(code_at(enrolled.secret, clock))
    for _ in range(mfa.MAX_CODE_FAILURES // mfa.CHALLENGE_MAX_ATTEMPTS):
        challenge_id = await _challenge(db, clock, alice)
        for _ in range(mfa.CHALLENGE_MAX_ATTEMPTS):
            assert (await _answer(client, challenge_id, wrong)).status_code == 401
    locked = await _answer(client, await _challenge(db, clock, alice),
                           code_at(enrolled.secret, clock))
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0
