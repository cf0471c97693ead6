"""Contract test for Resend's `POST /emails` (https://resend.com/docs/api-reference/emails/
send-email): request shape, the `{"id": …}` answer, and the error body
`{"statusCode": …, "name": …, "message": …}` mapped to retryable or permanent failures."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from brain.core.email import (
    EmailConfigurationError,
    EmailDeliveryError,
    EmailMessage,
    ResendBackend,
    create_email_backend,
)
from brain.settings import Settings

API_KEY = "re_test_123456789"
SENDER = "Brain <no-reply@brain.test>"


class Recorder:
    """A MockTransport handler that keeps requests and answers with a fixed response."""

    def __init__(self, status: int = 200, body: Any = None, headers: dict[str, str] | None = None
                 ) -> None:
        self.status = status
        self.body = {"id": "49a3999c-0ce1-4ea6-ab68-afcd6dc2e794"} if body is None else body
        self.headers = headers or {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, json=self.body, headers=self.headers)


def message(**overrides: Any) -> EmailMessage:
    fields: dict[str, Any] = {
        "to": "ana@example.com",
        "subject": "Confirm your email address for Brain",
        "text": "Hi Ana,\nhttps://app.brain.test/verify?token=abc\n",
        "html": "<p>Hi Ana</p>",
        "category": "verify_email",
        "tags": {"organization": "org 1"},
        "headers": {"X-Entity-Ref-ID": "ref-1"},
        "idempotency_key": "3b9f7c1e-idem",
    }
    return EmailMessage(**(fields | overrides))


def backend(handler: Recorder, base_url: str = "https://api.resend.com") -> ResendBackend:
    return ResendBackend(API_KEY, sender=SENDER, base_url=base_url,
                         transport=httpx.MockTransport(handler))


async def test_request_shape_and_message_id() -> None:
    recorder = Recorder()
    message_id = await backend(recorder).send(message())
    assert message_id == "49a3999c-0ce1-4ea6-ab68-afcd6dc2e794"

    [request] = recorder.requests
    assert request.method == "POST"
    assert str(request.url) == "https://api.resend.com/emails"
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Idempotency-Key"] == "3b9f7c1e-idem"
    assert json.loads(request.content) == {
        "from": SENDER,
        "to": ["ana@example.com"],
        "subject": "Confirm your email address for Brain",
        "text": "Hi Ana,\nhttps://app.brain.test/verify?token=abc\n",
        "html": "<p>Hi Ana</p>",
        "headers": {"X-Entity-Ref-ID": "ref-1"},
        "tags": [
            {"name": "organization", "value": "org_1"},
            {"name": "category", "value": "verify_email"},
        ],
    }


async def test_minimal_message_omits_optional_fields() -> None:
    recorder = Recorder()
    await backend(recorder, base_url="https://resend.internal/").send(EmailMessage(
        to=["a@example.com", "b@example.com"], subject="S", text="T",
        sender="Other <other@brain.test>", reply_to="help@brain.test"))
    [request] = recorder.requests
    assert str(request.url) == "https://resend.internal/emails"
    assert "Idempotency-Key" not in request.headers
    assert json.loads(request.content) == {
        "from": "Other <other@brain.test>", "to": ["a@example.com", "b@example.com"],
        "subject": "S", "text": "T", "reply_to": ["help@brain.test"],
    }


@pytest.mark.parametrize(("status", "name", "retryable"), [
    (400, "validation_error", False),
    (401, "missing_api_key", False),
    (403, "invalid_api_key", False),
    (409, "invalid_idempotent_request", False),
    (409, "concurrent_idempotent_requests", True),
    (422, "missing_required_field", False),
    (429, "rate_limit_exceeded", True),
    (429, "daily_quota_exceeded", False),
    (500, "internal_server_error", True),
    (503, "application_error", True),
])
async def test_errors_are_typed(status: int, name: str, retryable: bool) -> None:
    recorder = Recorder(status, {"statusCode": status, "name": name,
                                 "message": "The `to` field is invalid."})
    with pytest.raises(EmailDeliveryError) as info:
        await backend(recorder).send(message())
    error = info.value
    assert (error.provider, error.status_code, error.code, error.retryable) == (
        "resend", status, name, retryable)
    assert "The `to` field is invalid." in str(error)
    assert "token=abc" not in str(error)
    assert API_KEY not in str(error)


async def test_error_without_json_body() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>Bad gateway</html>")

    sender = ResendBackend(API_KEY, sender=SENDER, transport=httpx.MockTransport(handler))
    with pytest.raises(EmailDeliveryError) as info:
        await sender.send(message())
    assert info.value.retryable
    assert info.value.status_code == 502


async def test_success_without_id_is_a_permanent_error() -> None:
    with pytest.raises(EmailDeliveryError) as info:
        await backend(Recorder(200, {"object": "email"})).send(message())
    assert not info.value.retryable


@pytest.mark.parametrize("failure", [httpx.ConnectError("refused"),
                                     httpx.ReadTimeout("slow")])
async def test_network_failures_are_retryable(failure: Exception) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise failure

    sender = ResendBackend(API_KEY, sender=SENDER, transport=httpx.MockTransport(handler))
    with pytest.raises(EmailDeliveryError) as info:
        await sender.send(message())
    assert info.value.retryable


def test_settings_select_resend(email_settings: Settings) -> None:
    with pytest.raises(EmailConfigurationError, match="RESEND_API_KEY"):
        create_email_backend(email_settings.model_copy(update={"email_backend": "resend"}))
    chosen = create_email_backend(email_settings.model_copy(update={
        "email_backend": "resend", "resend_api_key": API_KEY,
        "resend_base_url": "https://resend.example/"}))
    assert isinstance(chosen, ResendBackend)
    assert chosen.base_url == "https://resend.example"
