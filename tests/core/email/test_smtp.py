"""SMTP end to end against a real aiosmtpd server on loopback: plain, STARTTLS and implicit TLS
with a self-signed certificate, AUTH, and the MIME message that arrives."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import pytest

from brain.core.clock import FrozenClock
from brain.core.email import (
    EmailConfigurationError,
    EmailDeliveryError,
    EmailMessage,
    SmtpBackend,
    SmtpConfig,
    create_email_backend,
    send_email_now,
)
from brain.core.runtime import Runtime
from brain.settings import Settings
from tests.core.email.conftest import TlsFiles
from tests.smtp_sink import (
    SmtpSink,
    client_tls_context,
    extract_token,
    free_port,
    html_part,
    server_tls_context,
    text_part,
)

SENDER = "Brain <no-reply@brain.test>"


def message(**overrides: object) -> EmailMessage:
    fields: dict[str, object] = {
        "to": "Ana Pérez <ana@example.com>",
        "subject": "Confirma tu correo ✓",
        "text": "Hola Ana,\nhttps://app.brain.test/verify?token=tok_123\n",
        "html": "<p>Hola Ana, <a href=\"https://app.brain.test/verify?token=tok_123\">"
                "confirmar</a></p>",
        "category": "verify_email",
        "headers": {"X-Entity-Ref-ID": "ref-1"},
    }
    fields.update(overrides)
    return EmailMessage(**fields)  # type: ignore[arg-type]


# --- URL parsing --------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "expected"), [
    ("smtp://mail.test", ("mail.test", 25, "plain", None, None)),
    ("smtp://mail.test:2525", ("mail.test", 2525, "plain", None, None)),
    ("smtp+starttls://user%40x:p%3Ass@mail.test", ("mail.test", 587, "starttls", "user@x",
                                                     "p:ss")),
    ("smtps://u:p@mail.test:4650", ("mail.test", 4650, "tls", "u", "p")),
    ("SMTPS://mail.test", ("mail.test", 465, "tls", None, None)),
])
def test_smtp_url_parsing(url: str, expected: tuple[object, ...]) -> None:
    config = SmtpConfig.from_url(url)
    assert (config.host, config.port, config.security, config.username,
            config.password) == expected


def test_smtp_url_errors_and_secret_hiding() -> None:
    with pytest.raises(EmailConfigurationError, match="smtp://"):
        SmtpConfig.from_url("http://mail.test")
    with pytest.raises(EmailConfigurationError, match="host"):
        SmtpConfig.from_url("smtp://")
    with pytest.raises(EmailConfigurationError, match="timeout"):
        SmtpConfig.from_url("smtp://mail.test?timeout=soon")
    assert SmtpConfig.from_url("smtp://mail.test?timeout=2.5").timeout == 2.5
    assert "hunter2" not in repr(SmtpConfig.from_url("smtp://me:hunter2@mail.test"))


def test_settings_need_an_smtp_url(email_settings: Settings) -> None:
    with pytest.raises(EmailConfigurationError, match="BRAIN_SMTP_URL"):
        create_email_backend(email_settings.model_copy(update={"email_backend": "smtp"}))


# --- delivery -----------------------------------------------------------------------------


async def test_plain_delivery_sends_multipart_alternative(smtp_sink: SmtpSink) -> None:
    clock = FrozenClock(datetime(2026, 3, 2, 10, 30, tzinfo=UTC))
    backend = SmtpBackend(SmtpConfig.from_url(smtp_sink.url), sender=SENDER, clock=clock)
    message_id = await backend.send(message())

    received = smtp_sink.wait_for(to="ana@example.com")
    envelope = smtp_sink.received[-1]
    assert envelope.mail_from == "no-reply@brain.test"
    assert envelope.rcpt_tos == ("ana@example.com",)
    assert not envelope.tls

    assert received.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in received.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert received["Message-ID"] == message_id
    assert message_id.startswith("<")
    assert message_id.endswith("@brain.test>")
    assert parsedate_to_datetime(received["Date"]) == clock.now()
    assert received["From"] == SENDER
    assert received["To"] == "Ana Pérez <ana@example.com>"
    assert received["Subject"] == "Confirma tu correo ✓"
    assert received["MIME-Version"] == "1.0"
    assert received["X-Entity-Ref-ID"] == "ref-1"
    assert received["X-Brain-Category"] == "verify_email"
    assert text_part(received).startswith("Hola Ana,\n")
    assert "<a href=" in html_part(received)
    assert extract_token(received) == "tok_123"


async def test_text_only_message_is_not_multipart(smtp_sink: SmtpSink) -> None:
    backend = SmtpBackend(SmtpConfig.from_url(smtp_sink.url), sender=SENDER)
    await backend.send(message(html=None))
    received = smtp_sink.wait_for(to="ana@example.com")
    assert received.get_content_type() == "text/plain"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
async def test_plain_delivery_with_auth() -> None:
    with SmtpSink(credentials=("mailer", "s3cr:et"), auth_require_tls=False) as sink:
        assert sink.url.startswith("smtp://mailer:s3cr%3Aet@")
        backend = SmtpBackend(SmtpConfig.from_url(sink.url), sender=SENDER)
        await backend.send(message())
        sink.wait_for(to="ana@example.com")
        assert sink.received[-1].login == "mailer"


@pytest.fixture
def starttls_sink(tls_files: TlsFiles) -> Iterator[SmtpSink]:
    with SmtpSink(
        starttls_context=server_tls_context(tls_files.cert, tls_files.key),
        require_starttls=True,
        credentials=("mailer", "pa55word"),
    ) as sink:
        yield sink


async def test_starttls_with_auth(starttls_sink: SmtpSink, tls_files: TlsFiles) -> None:
    assert starttls_sink.url.startswith("smtp+starttls://")
    backend = SmtpBackend(SmtpConfig.from_url(starttls_sink.url), sender=SENDER,
                          tls_context=client_tls_context(tls_files.cert))
    message_id = await backend.send(message())
    received = starttls_sink.wait_for(to="ana@example.com")
    assert received["Message-ID"] == message_id
    assert starttls_sink.received[-1].tls
    assert starttls_sink.received[-1].login == "mailer"


async def test_starttls_rejects_an_untrusted_certificate(starttls_sink: SmtpSink) -> None:
    backend = SmtpBackend(SmtpConfig.from_url(starttls_sink.url), sender=SENDER)
    with pytest.raises(EmailDeliveryError) as info:
        await backend.send(message())
    assert info.value.provider == "smtp"
    assert starttls_sink.messages == []


async def test_wrong_password_is_a_permanent_error(
    starttls_sink: SmtpSink, tls_files: TlsFiles
) -> None:
    url = starttls_sink.url.replace("pa55word", "wrong")
    backend = SmtpBackend(SmtpConfig.from_url(url), sender=SENDER,
                          tls_context=client_tls_context(tls_files.cert))
    with pytest.raises(EmailDeliveryError) as info:
        await backend.send(message())
    assert info.value.status_code == 535
    assert not info.value.retryable
    assert "wrong" not in str(info.value)
    assert starttls_sink.failed_logins >= 1


async def test_implicit_tls(tls_files: TlsFiles) -> None:
    context = server_tls_context(tls_files.cert, tls_files.key)
    with SmtpSink(implicit_tls_context=context) as sink:
        assert sink.url.startswith("smtps://")
        backend = SmtpBackend(SmtpConfig.from_url(sink.url), sender=SENDER,
                              tls_context=client_tls_context(tls_files.cert))
        await backend.send(message())
        sink.wait_for(to="ana@example.com")
        assert sink.received[-1].tls


async def test_unreachable_server_is_retryable() -> None:
    port = free_port()
    backend = SmtpBackend(SmtpConfig.from_url(f"smtp://127.0.0.1:{port}?timeout=2"),
                          sender=SENDER)
    with pytest.raises(EmailDeliveryError) as info:
        await backend.send(message())
    assert info.value.retryable


async def test_send_email_now_through_settings(
    email_runtime: Runtime, smtp_sink: SmtpSink
) -> None:
    settings = email_runtime.settings.model_copy(
        update={"email_backend": "smtp", "smtp_url": smtp_sink.url})
    runtime = Runtime(settings=settings, engine=email_runtime.engine,
                      session_factory=email_runtime.session_factory,
                      cache=email_runtime.cache, owns_engine=False,
                      keyring=email_runtime.keyring)
    await send_email_now(runtime, to="bea@example.com", template="reset_password",
                         locale="es", context={"token": "r3set/t0ken", "recipient_name": "Bea"})
    received = smtp_sink.wait_for(to="bea@example.com")
    assert received["Subject"] == "Restablece tu contraseña de Brain"
    assert extract_token(received) == "r3set/t0ken"
    assert "https://app.brain.test/reset-password?token=" in text_part(received)


def test_client_context_verifies_hostnames(tls_files: TlsFiles) -> None:
    context = client_tls_context(tls_files.cert)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
