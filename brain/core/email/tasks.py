"""Sending email from application code: `queue_email` buffers the `email.send` job so mail
leaves only after the request's transaction commits; the job renders and sends with bounded
retries. `send_email_now` does the same at once (CLI, tests).

Logs name the template, the provider, a masked recipient and the provider's error code;
never the body, the link or the token."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from brain.core.email.backends import create_email_backend
from brain.core.email.message import (
    EmailBackend,
    EmailDeliveryError,
    EmailMessage,
    masked_address,
)
from brain.core.email.templates import render_email, template_context
from brain.core.jobs import JobBuffer, job
from brain.core.runtime import Runtime
from brain.settings import Settings

logger = logging.getLogger("brain.email")

EMAIL_SEND_JOB = "email.send"
# Pauses between attempts: three attempts in all.
RETRY_DELAYS_SECONDS: tuple[float, ...] = (1.0, 4.0)

Sleep = Callable[[float], Awaitable[None]]


def build_message(
    settings: Settings,
    *,
    to: str | Sequence[str],
    template: str,
    locale: str | None,
    context: Mapping[str, Any],
    idempotency_key: str | None = None,
) -> EmailMessage:
    """Render `template` into a message; links are built on `settings.public_url`."""
    full_context = {"public_url": settings.public_url, **context}
    subject, text, html = render_email(template, locale, full_context)
    return EmailMessage(
        to=to if isinstance(to, str) else list(to),
        subject=subject,
        text=text,
        html=html,
        category=template,
        idempotency_key=idempotency_key,
    )


async def deliver(
    backend: EmailBackend,
    message: EmailMessage,
    *,
    delays: Sequence[float] = RETRY_DELAYS_SECONDS,
    sleep: Sleep = asyncio.sleep,
) -> str:
    """Send, retrying retryable failures after each of `delays`; the provider's message id."""
    attempts = len(delays) + 1
    recipient = ", ".join(masked_address(address) for address in message.recipients)
    for attempt in range(1, attempts + 1):
        try:
            message_id = await backend.send(message)
        except EmailDeliveryError as exc:
            if not exc.retryable or attempt == attempts:
                logger.error(
                    "email %s to %s failed via %s after %d attempt(s): %s",
                    message.category or "-", recipient, backend.name, attempt, exc,
                )
                raise
            logger.warning(
                "email %s to %s: attempt %d/%d via %s failed, retrying: %s",
                message.category or "-", recipient, attempt, attempts, backend.name, exc,
            )
            await sleep(delays[attempt - 1])
        else:
            logger.info("email %s to %s sent via %s as %s", message.category or "-",
                        recipient, backend.name, message_id)
            return message_id
    raise AssertionError("unreachable")


@job(EMAIL_SEND_JOB)
async def send_email_job(
    runtime: Runtime,
    *,
    to: str | list[str],
    template: str,
    locale: str | None,
    context: dict[str, Any],
    idempotency_key: str | None = None,
) -> None:
    """Render `template` and send it with the configured backend (bounded retries)."""
    message = build_message(runtime.settings, to=to, template=template, locale=locale,
                            context=context, idempotency_key=idempotency_key)
    await deliver(create_email_backend(runtime.settings), message)


async def queue_email(
    jobs: JobBuffer,
    *,
    to: str | Sequence[str],
    template: str,
    locale: str | None,
    context: Mapping[str, Any],
) -> None:
    """Buffer an email; it is rendered and sent by a job after the transaction commits.

    The context is checked now (template known, required keys present, JSON-serializable) so
    a mistake fails the request rather than the worker.
    """
    recipients = [to] if isinstance(to, str) else list(to)
    EmailMessage(to=recipients, subject="-", text="-")  # validates the addresses
    template_context(template, "en", {"public_url": "http://check.invalid", **context})
    payload = dict(context)
    try:
        json.dumps(payload)
    except (TypeError, ValueError) as exc:
        raise ValueError("email context must be JSON-serializable") from exc
    jobs.enqueue(
        EMAIL_SEND_JOB,
        to=recipients[0] if len(recipients) == 1 else recipients,
        template=template,
        locale=locale,
        context=payload,
        idempotency_key=str(uuid.uuid4()),
    )


async def send_email_now(
    runtime: Runtime,
    *,
    to: str | Sequence[str],
    template: str,
    locale: str | None,
    context: Mapping[str, Any],
    backend: EmailBackend | None = None,
    delays: Sequence[float] = RETRY_DELAYS_SECONDS,
) -> str:
    """Render and send at once (CLI, tests); the provider's message id."""
    message = build_message(runtime.settings, to=to, template=template, locale=locale,
                            context=context, idempotency_key=str(uuid.uuid4()))
    return await deliver(backend or create_email_backend(runtime.settings), message,
                         delays=delays)
