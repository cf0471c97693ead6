"""Standard Webhooks signatures: `v1,<base64 HMAC-SHA256("{id}.{timestamp}.{body}")>` under
the base64 key after `whsec_`; several space-separated signatures while a secret rotates."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE_SECONDS = 5 * 60
_SECRET_BYTES = 24


class WebhookVerificationError(Exception):
    """The message's headers or signature do not check out (reason in the message)."""


def generate_secret() -> str:
    """A new endpoint secret: `whsec_` + base64 of 24 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key: the base64-decoded part after the optional `whsec_` prefix."""
    try:
        return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("a webhook secret is base64 after 'whsec_'") from exc


def _digest(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def sign(secret: str, msg_id: str, timestamp: int | datetime, body: bytes | str) -> str:
    """One `v1,<signature>` entry for the message."""
    seconds = int(timestamp.timestamp()) if isinstance(timestamp, datetime) else timestamp
    raw = body.encode() if isinstance(body, str) else body
    return f"{SIGNATURE_VERSION},{_digest(secret_key(secret), msg_id, seconds, raw)}"


def signature_headers(
    secrets_in_use: Sequence[str], msg_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The three Standard Webhooks headers, signed with every secret in use (rotation)."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(s, msg_id, timestamp, body) for s in secrets_in_use),
    }


def verify(
    secrets_accepted: Sequence[str],
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: datetime,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
) -> None:
    """Check a received message: all three headers present, the timestamp within the
    tolerance either way (replay protection), and one `v1` signature matching one secret
    (constant-time compare). Raises `WebhookVerificationError`."""
    lowered = {k.lower(): v for k, v in headers.items()}
    msg_id = lowered.get("webhook-id")
    timestamp_text = lowered.get("webhook-timestamp")
    signature_text = lowered.get("webhook-signature")
    if not msg_id or not timestamp_text or not signature_text:
        raise WebhookVerificationError("missing webhook-id, webhook-timestamp or signature")
    try:
        timestamp = int(timestamp_text)
    except ValueError as exc:
        raise WebhookVerificationError("webhook-timestamp is not an integer") from exc
    if abs(now.timestamp() - timestamp) > tolerance_seconds:
        raise WebhookVerificationError("webhook-timestamp is outside the tolerance")
    offered = [
        value for version, _, value in (p.partition(",") for p in signature_text.split())
        if version == SIGNATURE_VERSION and value
    ]
    for secret in secrets_accepted:
        expected = _digest(secret_key(secret), msg_id, timestamp, body).encode()
        # Compare against every offered signature: no early exit reveals which one matched.
        matched = False
        for candidate in offered:
            matched |= hmac.compare_digest(expected, candidate.encode())
        if matched:
            return
    raise WebhookVerificationError("no signature matches")
