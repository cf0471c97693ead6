"""Sending from request code: nothing leaves before the transaction commits (the job buffer is
flushed), retries are bounded, and logs never carry bodies, links or tokens."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from urllib.parse import parse_qs, urlsplit

import pytest

from brain.core.email import (
    EMAIL_SEND_JOB,
    EmailDeliveryError,
    EmailMessage,
    TemplateContextError,
    deliver,
    list_outbox,
    queue_email,
    send_email_now,
)
from brain.core.jobs import JOB_REGISTRY, InlineDispatcher, JobBuffer, load_job_modules
from brain.core.runtime import Runtime

TOKEN = "vErIfY-t0ken_ABC"


class FlakyBackend:
    """Fails with the given errors in turn, then succeeds."""

    name = "flaky"

    def __init__(self, failures: Sequence[EmailDeliveryError]) -> None:
        self.failures = list(failures)
        self.calls = 0

    async def send(self, message: EmailMessage) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return f"id-{self.calls}"


class Sleeper:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def retryable() -> EmailDeliveryError:
    return EmailDeliveryError("flaky", "try later", retryable=True, status_code=429)


def permanent() -> EmailDeliveryError:
    return EmailDeliveryError("flaky", "rejected", retryable=False, status_code=422)


def sample() -> EmailMessage:
    return EmailMessage(to="ana@example.com", subject="S",
                        text=f"https://app.brain.test/verify?token={TOKEN}",
                        category="verify_email")


def test_job_is_registered() -> None:
    load_job_modules()
    assert EMAIL_SEND_JOB in JOB_REGISTRY


async def test_queue_email_sends_only_after_flush(email_runtime: Runtime) -> None:
    jobs = JobBuffer()
    dispatcher = InlineDispatcher(email_runtime)
    await queue_email(jobs, to="ana@example.com", template="verify_email", locale="es",
                      context={"token": TOKEN, "recipient_name": "Ana"})
    assert [name for name, _ in jobs.pending] == [EMAIL_SEND_JOB]
    assert list_outbox(email_runtime.settings) == []

    await jobs.flush(dispatcher)
    [entry] = list_outbox(email_runtime.settings)
    assert entry.to == ["ana@example.com"]
    assert entry.category == "verify_email"
    assert entry.subject == "Confirma tu dirección de correo en Brain"
    link = next(word for word in entry.text.split() if word.startswith("https://"))
    assert urlsplit(link).path == "/verify"
    assert parse_qs(urlsplit(link).query) == {"token": [TOKEN]}
    assert entry.html is not None
    assert "Hola, Ana:" in entry.html
    [(name, kwargs)] = dispatcher.sent
    assert name == EMAIL_SEND_JOB
    assert kwargs["template"] == "verify_email"
    assert kwargs["idempotency_key"]


async def test_discarded_buffer_sends_nothing(email_runtime: Runtime) -> None:
    jobs = JobBuffer()
    await queue_email(jobs, to="ana@example.com", template="reset_password", locale="en",
                      context={"token": TOKEN})
    jobs.discard()  # the request rolled back
    await jobs.flush(InlineDispatcher(email_runtime))
    assert list_outbox(email_runtime.settings) == []


async def test_invite_goes_to_several_recipients(email_runtime: Runtime) -> None:
    jobs = JobBuffer()
    await queue_email(jobs, to=["a@example.com", "b@example.com"], template="invite",
                      locale="en-US", context={"token": TOKEN, "organization_name": "Acme",
                                               "inviter_name": "Bruno"})
    await jobs.flush(InlineDispatcher(email_runtime))
    [entry] = list_outbox(email_runtime.settings)
    assert entry.to == ["a@example.com", "b@example.com"]
    assert "/invite?token=" in entry.text


@pytest.mark.parametrize(("to", "template", "context", "error"), [
    ("ana@example.com", "welcome_pack", {"token": "t"}, TemplateContextError),
    ("ana@example.com", "invite", {"token": "t"}, TemplateContextError),
    ("ana@example.com", "verify_email", {"token": "t", "when": object()}, ValueError),
    ("not-an-address", "verify_email", {"token": "t"}, ValueError),
    ("a@example.com\r\nBcc: x@example.com", "verify_email", {"token": "t"}, ValueError),
])
async def test_queue_email_checks_its_input_at_once(
    to: str, template: str, context: dict[str, object], error: type[Exception]
) -> None:
    jobs = JobBuffer()
    with pytest.raises(error):
        await queue_email(jobs, to=to, template=template, locale="en", context=context)
    assert jobs.pending == []


async def test_retryable_failures_are_retried_with_back_off() -> None:
    backend, sleeper = FlakyBackend([retryable(), retryable()]), Sleeper()
    assert await deliver(backend, sample(), delays=(0.5, 2.0), sleep=sleeper) == "id-3"
    assert backend.calls == 3
    assert sleeper.delays == [0.5, 2.0]


async def test_retries_are_bounded() -> None:
    backend, sleeper = FlakyBackend([retryable()] * 5), Sleeper()
    with pytest.raises(EmailDeliveryError):
        await deliver(backend, sample(), delays=(0.5, 2.0), sleep=sleeper)
    assert backend.calls == 3


async def test_permanent_failures_are_not_retried() -> None:
    backend, sleeper = FlakyBackend([permanent()]), Sleeper()
    with pytest.raises(EmailDeliveryError):
        await deliver(backend, sample(), sleep=sleeper)
    assert backend.calls == 1
    assert sleeper.delays == []


async def test_logs_never_carry_tokens_links_or_bodies(
    email_runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await send_email_now(email_runtime, to="ana@example.com", template="verify_email",
                         locale="en", context={"token": TOKEN, "recipient_name": "Ana"})
    with pytest.raises(EmailDeliveryError):
        await deliver(FlakyBackend([retryable()] * 3), sample(), delays=(0, 0),
                      sleep=Sleeper())
    logged = caplog.text
    assert "sent via outbox" in logged
    assert "failed via flaky after 3 attempt(s)" in logged
    assert "a***@example.com" in logged
    assert TOKEN not in logged
    assert "token=" not in logged
    assert "Thanks for signing up" not in logged
    assert "ana@example.com" not in logged


async def test_send_email_now_returns_the_provider_id(email_runtime: Runtime) -> None:
    backend = FlakyBackend([retryable()])
    message_id = await send_email_now(
        email_runtime, to="ana@example.com", template="notification", locale="es",
        context={"title": "Informe listo", "body": "Tu informe está listo."},
        backend=backend, delays=(0,))
    assert message_id == "id-2"
