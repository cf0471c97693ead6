"""Standard Webhooks signing: the reference libraries' known-answer vector, verification
rules (tolerance, several signatures, constant-time compare)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from brain.webhooks.signing import (
    WebhookVerificationError,
    generate_secret,
    sign,
    signature_headers,
    verify,
)

# The vector the standardwebhooks reference libraries test their signer with.
KAT_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
KAT_MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
KAT_TIMESTAMP = 1614265330
KAT_PAYLOAD = b'{"test": 2432232314}'
KAT_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
KAT_NOW = datetime.fromtimestamp(KAT_TIMESTAMP, UTC)


def kat_headers(signature: str = KAT_SIGNATURE) -> dict[str, str]:
    return {"webhook-id": KAT_MSG_ID, "webhook-timestamp": str(KAT_TIMESTAMP),
            "webhook-signature": signature}


def test_signer_reproduces_the_known_answer() -> None:
    assert sign(KAT_SECRET, KAT_MSG_ID, KAT_TIMESTAMP, KAT_PAYLOAD) == KAT_SIGNATURE
    # The prefix is optional, as in the reference libraries.
    assert sign(KAT_SECRET.removeprefix("whsec_"), KAT_MSG_ID, KAT_TIMESTAMP,
                KAT_PAYLOAD) == KAT_SIGNATURE


def test_verifier_accepts_the_known_answer() -> None:
    verify([KAT_SECRET], kat_headers(), KAT_PAYLOAD, now=KAT_NOW)
    verify([KAT_SECRET], {k.title(): v for k, v in kat_headers().items()}, KAT_PAYLOAD,
           now=KAT_NOW + timedelta(minutes=4))


@pytest.mark.parametrize("mutate", [
    lambda h: h.update({"webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="}),
    lambda h: h.update({"webhook-signature": "v2," + KAT_SIGNATURE[3:]}),
    lambda h: h.update({"webhook-timestamp": "hello"}),
    lambda h: h.update({"webhook-id": "msg_other"}),
    lambda h: h.pop("webhook-id"),
    lambda h: h.pop("webhook-timestamp"),
    lambda h: h.pop("webhook-signature"),
])
def test_verifier_rejects_tampered_or_missing_headers(mutate: object) -> None:
    headers = kat_headers()
    mutate(headers)  # type: ignore[operator]
    with pytest.raises(WebhookVerificationError):
        verify([KAT_SECRET], headers, KAT_PAYLOAD, now=KAT_NOW)


def test_verifier_rejects_a_changed_body_and_a_wrong_secret() -> None:
    with pytest.raises(WebhookVerificationError):
        verify([KAT_SECRET], kat_headers(), b'{"test": 2432232315}', now=KAT_NOW)
    with pytest.raises(WebhookVerificationError):
        verify([generate_secret()], kat_headers(), KAT_PAYLOAD, now=KAT_NOW)


@pytest.mark.parametrize("skew", [timedelta(minutes=5, seconds=1),
                                  -timedelta(minutes=5, seconds=1)])
def test_timestamps_outside_five_minutes_are_refused(skew: timedelta) -> None:
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        verify([KAT_SECRET], kat_headers(), KAT_PAYLOAD, now=KAT_NOW + skew)


def test_one_matching_signature_among_several_is_enough() -> None:
    others = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/Wa"
    verify([KAT_SECRET], kat_headers(f"{others} {KAT_SIGNATURE}"), KAT_PAYLOAD, now=KAT_NOW)


def test_rotation_headers_carry_both_signatures() -> None:
    old, new = generate_secret(), generate_secret()
    headers = signature_headers([new, old], "msg_1", KAT_TIMESTAMP, b"{}")
    assert len(headers["webhook-signature"].split(" ")) == 2
    verify([old], headers, b"{}", now=KAT_NOW)
    verify([new], headers, b"{}", now=KAT_NOW)


def test_generated_secrets_are_whsec_base64() -> None:
    secret = generate_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 24
    assert generate_secret() != secret
