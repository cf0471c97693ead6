"""Email: one message type, provider backends (outbox, SMTP, Resend, SES), localized templates,
and sending from request code only after the transaction commits.

Typical use in a service::

    await queue_email(jobs, to=user.email, template="verify_email", locale=user.locale,
                      context={"token": token, "recipient_name": user.name})
"""

from brain.core.email.backends import (
    EmailConfigurationError,
    ResendBackend,
    SesBackend,
    SmtpBackend,
    SmtpConfig,
    create_email_backend,
)
from brain.core.email.message import EmailBackend, EmailDeliveryError, EmailMessage
from brain.core.email.outbox import OutboxBackend, OutboxEntry, list_outbox, read_outbox
from brain.core.email.tasks import (
    EMAIL_SEND_JOB,
    build_message,
    deliver,
    queue_email,
    send_email_now,
)
from brain.core.email.templates import (
    SUPPORTED_LOCALES,
    TEMPLATES,
    RenderedEmail,
    TemplateContextError,
    build_action_link,
    describe_duration,
    render_email,
    resolve_locale,
)

__all__ = [
    "EMAIL_SEND_JOB",
    "SUPPORTED_LOCALES",
    "TEMPLATES",
    "EmailBackend",
    "EmailConfigurationError",
    "EmailDeliveryError",
    "EmailMessage",
    "OutboxBackend",
    "OutboxEntry",
    "RenderedEmail",
    "ResendBackend",
    "SesBackend",
    "SmtpBackend",
    "SmtpConfig",
    "TemplateContextError",
    "build_action_link",
    "build_message",
    "create_email_backend",
    "deliver",
    "describe_duration",
    "list_outbox",
    "queue_email",
    "read_outbox",
    "render_email",
    "resolve_locale",
    "send_email_now",
]
