"""How each provider signs a request (written from the providers' documentation), so the
tests send what the real senders send."""

from __future__ import annotations

import base64
import hashlib
import hmac


def shopify_headers(secret: str, body: bytes, *, topic: str, event_id: str) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return {"X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
            "X-Shopify-Topic": topic, "X-Shopify-Event-Id": event_id,
            "X-Shopify-Shop-Domain": "demo.myshopify.com", "Content-Type": "application/json"}


def hubspot_headers(secret: str, *, method: str, uri: str, body: bytes,
                    timestamp_ms: int) -> dict[str, str]:
    signed = f"{method}{uri}".encode() + body + str(timestamp_ms).encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    return {"X-HubSpot-Signature-v3": base64.b64encode(digest).decode(),
            "X-HubSpot-Request-Timestamp": str(timestamp_ms),
            "Content-Type": "application/json"}


def stripe_headers(secret: str, body: bytes, *, timestamp: int) -> dict[str, str]:
    signed = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={timestamp},v1={digest}",
            "Content-Type": "application/json"}
