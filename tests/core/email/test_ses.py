"""Amazon SES v2 `SendEmail` contract and the AWS Signature Version 4 signer.

The signer is checked against AWS's published examples (the IAM `ListUsers` requests of the
General Reference and cases of the SigV4 test suite: credentials `AKIDEXAMPLE` /
`wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY`); the request to SES is pinned with MockTransport
and its signature re-derived the way the service verifies it."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from brain.core.clock import FrozenClock
from brain.core.email import (
    EmailConfigurationError,
    EmailDeliveryError,
    EmailMessage,
    SesBackend,
    create_email_backend,
    sigv4,
)
from brain.settings import Settings

EXAMPLE_KEY_ID = "AKIDEXAMPLE"
EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SENDER = "Brain <no-reply@brain.test>"


# --- published SigV4 examples ---------------------------------------------------------------


@pytest.mark.parametrize(("date", "expected"), [
    ("20150830", "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"),
    ("20120215", "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"),
])
def test_signing_key_derivation(date: str, expected: str) -> None:
    assert sigv4.signing_key(EXAMPLE_SECRET, date, "us-east-1", "iam").hex() == expected


def test_iam_list_users_get_example() -> None:
    """General Reference, "Create a canonical request" … "Calculate the signature" (2015)."""
    headers = {
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        "Host": "iam.amazonaws.com",
        "X-Amz-Date": "20150830T123600Z",
    }
    canonical, _signed = sigv4.canonical_request(
        "GET", "https://iam.amazonaws.com/?Version=2010-05-08&Action=ListUsers", headers,
        sigv4.sha256_hex(b""))
    assert canonical == (
        "GET\n/\nAction=ListUsers&Version=2010-05-08\n"
        "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
        "host:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
        "content-type;host;x-amz-date\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert sigv4.sha256_hex(canonical.encode()) == (
        "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59")
    scope = sigv4.credential_scope("20150830", "us-east-1", "iam")
    to_sign = sigv4.string_to_sign("20150830T123600Z", scope, canonical)
    assert to_sign == (
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n"
        "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59")
    key = sigv4.signing_key(EXAMPLE_SECRET, "20150830", "us-east-1", "iam")
    assert sigv4.signature(key, to_sign) == (
        "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")


def test_iam_list_users_post_example() -> None:
    """General Reference, signed POST request example (2011)."""
    signed = sigv4.sign_headers(
        method="POST",
        url="http://iam.amazonaws.com/",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                 "Host": "iam.amazonaws.com"},
        body=b"Action=ListUsers&Version=2010-05-08",
        credentials=sigv4.Credentials(EXAMPLE_KEY_ID, EXAMPLE_SECRET),
        region="us-east-1", service="iam",
        now=datetime(2011, 9, 9, 23, 36, tzinfo=UTC),
        include_content_sha256=False,
    )
    assert signed["X-Amz-Date"] == "20110909T233600Z"
    assert signed["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20110909/us-east-1/iam/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date, "
        "Signature=ced6826de92d2bdeed8f846f0bf508e8559e98e4b0199114b84c54174deb456c")


@pytest.mark.parametrize(("method", "url", "expected"), [
    ("GET", "https://example.amazonaws.com/",
     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    ("GET", "https://example.amazonaws.com/?Param2=value2&Param1=value1",
     "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
    ("POST", "https://example.amazonaws.com/",
     "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
])
def test_sigv4_test_suite_cases(method: str, url: str, expected: str) -> None:
    """get-vanilla, get-vanilla-query-order-key-case and post-vanilla of the test suite."""
    signed = sigv4.sign_headers(
        method=method, url=url, headers={}, body=b"",
        credentials=sigv4.Credentials(EXAMPLE_KEY_ID, EXAMPLE_SECRET),
        region="us-east-1", service="service",
        now=datetime(2015, 8, 30, 12, 36, tzinfo=UTC), include_content_sha256=False,
    )
    assert signed["Host"] == "example.amazonaws.com"
    assert signed["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        f"SignedHeaders=host;x-amz-date, Signature={expected}")


def test_canonical_parts() -> None:
    assert sigv4.canonical_uri("") == "/"
    assert sigv4.canonical_uri("/v2/email/outbound-emails") == "/v2/email/outbound-emails"
    assert sigv4.canonical_uri("/a%20b/c") == "/a%2520b/c"  # encoded again (not S3)
    assert sigv4.canonical_query("b=2&a=1&a=0&c=x y") == "a=0&a=1&b=2&c=x%20y"
    lines, names = sigv4.canonical_headers({"X-B": "  a   b ", "host": "h", "x-b2": "v"})
    assert lines == "host:h\nx-b:a b\nx-b2:v\n"
    assert names == "host;x-b;x-b2"


# --- SES SendEmail contract -----------------------------------------------------------------

AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=AKIASES0TEST/(?P<date>\d{8})/eu-west-1/ses/aws4_request, "
    r"SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<signature>[0-9a-f]{64})$"
)
SECRET = "ses-secret-access-key-for-tests"


class Recorder:
    def __init__(self, status: int = 200, body: Any = None,
                 headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.body = {"MessageId": "0102018d-ses-message-id"} if body is None else body
        self.headers = headers or {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, json=self.body, headers=self.headers)


def ses(handler: Recorder, endpoint_url: str | None = None) -> SesBackend:
    return SesBackend(
        region="eu-west-1",
        credentials=sigv4.Credentials("AKIASES0TEST", SECRET),
        sender=SENDER,
        endpoint_url=endpoint_url,
        transport=httpx.MockTransport(handler),
        clock=FrozenClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC)),
    )


def message(**overrides: Any) -> EmailMessage:
    fields: dict[str, Any] = {
        "to": "ana@example.com",
        "subject": "Confirma tu dirección de correo en Brain",
        "text": "Hola, Ana:\nhttps://app.brain.test/verify?token=abc\n",
        "html": "<p>Hola, Ana</p>",
        "category": "verify_email",
        "headers": {"X-Entity-Ref-ID": "ref-1"},
    }
    return EmailMessage(**(fields | overrides))


def verify_like_aws(request: httpx.Request) -> None:
    """Recompute the signature from what arrived, as the service does, and compare."""
    match = AUTHORIZATION.match(request.headers["Authorization"])
    assert match, request.headers["Authorization"]
    signed_names = match["signed"].split(";")
    headers = {name: request.headers[name] for name in signed_names}
    canonical, _ = sigv4.canonical_request(
        request.method, str(request.url), headers, hashlib.sha256(request.content).hexdigest())
    scope = sigv4.credential_scope(match["date"], "eu-west-1", "ses")
    key = sigv4.signing_key(SECRET, match["date"], "eu-west-1", "ses")
    expected = sigv4.signature(
        key, sigv4.string_to_sign(request.headers["X-Amz-Date"], scope, canonical))
    assert match["signature"] == expected


async def test_request_shape_and_signature() -> None:
    recorder = Recorder()
    message_id = await ses(recorder).send(message())
    assert message_id == "0102018d-ses-message-id"

    [request] = recorder.requests
    assert request.method == "POST"
    assert str(request.url) == "https://email.eu-west-1.amazonaws.com/v2/email/outbound-emails"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Host"] == "email.eu-west-1.amazonaws.com"
    assert request.headers["X-Amz-Date"] == "20260105T090000Z"
    assert request.headers["x-amz-content-sha256"] == hashlib.sha256(
        request.content).hexdigest()
    match = AUTHORIZATION.match(request.headers["Authorization"])
    assert match is not None
    assert match["date"] == "20260105"
    assert match["signed"] == "content-type;host;x-amz-content-sha256;x-amz-date"
    verify_like_aws(request)

    assert json.loads(request.content) == {
        "FromEmailAddress": SENDER,
        "Destination": {"ToAddresses": ["ana@example.com"]},
        "Content": {"Simple": {
            "Subject": {"Data": "Confirma tu dirección de correo en Brain", "Charset": "UTF-8"},
            "Body": {
                "Text": {"Data": "Hola, Ana:\nhttps://app.brain.test/verify?token=abc\n",
                         "Charset": "UTF-8"},
                "Html": {"Data": "<p>Hola, Ana</p>", "Charset": "UTF-8"},
            },
            "Headers": [{"Name": "X-Entity-Ref-ID", "Value": "ref-1"}],
        }},
        "EmailTags": [{"Name": "category", "Value": "verify_email"}],
    }


async def test_endpoint_override_and_encoded_sender() -> None:
    recorder = Recorder()
    backend = ses(recorder, endpoint_url="http://localhost:4566/")
    await backend.send(message(sender="José Núñez <jose@brain.test>", html=None, headers={},
                               category=None, reply_to="help@brain.test"))
    [request] = recorder.requests
    assert str(request.url) == "http://localhost:4566/v2/email/outbound-emails"
    verify_like_aws(request)
    body = json.loads(request.content)
    assert body["FromEmailAddress"].startswith("=?utf-8?")
    assert body["FromEmailAddress"].endswith("<jose@brain.test>")
    assert body["ReplyToAddresses"] == ["help@brain.test"]
    assert "Html" not in body["Content"]["Simple"]["Body"]
    assert "Headers" not in body["Content"]["Simple"]
    assert "EmailTags" not in body


@pytest.mark.parametrize(("status", "error_type", "retryable"), [
    (400, "MessageRejected", False),
    (400, "MailFromDomainNotVerifiedException", False),
    (400, "AccountSuspendedException", False),
    (400, "SendingPausedException", False),
    (400, "BadRequestException", False),
    (403, "AccessDeniedException", False),
    (404, "NotFoundException", False),
    (429, "TooManyRequestsException", True),
    (400, "ThrottlingException", True),
    (500, "InternalServiceErrorException", True),
])
async def test_errors_are_typed(status: int, error_type: str, retryable: bool) -> None:
    recorder = Recorder(status, {"message": "Email address is not verified."},
                        {"x-amzn-ErrorType": f"{error_type}:http://internal.amazon.com/"})
    with pytest.raises(EmailDeliveryError) as info:
        await ses(recorder).send(message())
    error = info.value
    assert (error.provider, error.status_code, error.code, error.retryable) == (
        "ses", status, error_type, retryable)
    assert "Email address is not verified." in str(error)
    assert SECRET not in str(error)
    assert "token=abc" not in str(error)


async def test_error_type_from_the_body() -> None:
    recorder = Recorder(400, {"__type": "com.amazonaws.sesv2#MessageRejected",
                              "message": "rejected"})
    with pytest.raises(EmailDeliveryError) as info:
        await ses(recorder).send(message())
    assert info.value.code == "MessageRejected"
    assert not info.value.retryable


async def test_success_without_message_id_is_an_error() -> None:
    with pytest.raises(EmailDeliveryError):
        await ses(Recorder(200, {})).send(message())


async def test_timeout_is_retryable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("slow")

    backend = SesBackend(region="eu-west-1",
                         credentials=sigv4.Credentials("AKIASES0TEST", SECRET),
                         sender=SENDER, transport=httpx.MockTransport(handler))
    with pytest.raises(EmailDeliveryError) as info:
        await backend.send(message())
    assert info.value.retryable


async def test_session_token_is_sent_and_signed() -> None:
    recorder = Recorder()
    backend = SesBackend(region="eu-west-1",
                         credentials=sigv4.Credentials("AKIASES0TEST", SECRET, "sts-token"),
                         sender=SENDER, transport=httpx.MockTransport(recorder))
    await backend.send(message())
    [request] = recorder.requests
    assert request.headers["X-Amz-Security-Token"] == "sts-token"
    assert "x-amz-security-token" in request.headers["Authorization"]


def test_settings_select_ses(email_settings: Settings) -> None:
    with pytest.raises(EmailConfigurationError, match="BRAIN_SES_REGION"):
        create_email_backend(email_settings.model_copy(update={"email_backend": "ses"}))
    chosen = create_email_backend(email_settings.model_copy(update={
        "email_backend": "ses", "ses_region": "us-east-2", "ses_access_key_id": "AKIA1",
        "ses_secret_access_key": "secret"}))
    assert isinstance(chosen, SesBackend)
    assert chosen.url == "https://email.us-east-2.amazonaws.com/v2/email/outbound-emails"
