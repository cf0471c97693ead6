"""Email providers: SMTP (aiosmtplib), Resend and Amazon SES over their HTTP APIs, and the
embedded outbox; `create_email_backend(settings)` picks the configured one."""

from __future__ import annotations

import json
import ssl
from dataclasses import dataclass, field
from datetime import UTC
from email.message import EmailMessage as MimeMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib
import httpx

from brain.core.clock import Clock, SystemClock
from brain.core.email import sigv4
from brain.core.email.message import (
    EmailBackend,
    EmailDeliveryError,
    EmailMessage,
    bare_address,
)
from brain.core.email.outbox import OutboxBackend
from brain.settings import Settings

USER_AGENT = "brain-email/1"
DEFAULT_HTTP_TIMEOUT = httpx.Timeout(15.0, connect=5.0)


class EmailConfigurationError(ValueError):
    """The configured email backend is missing a setting or has an invalid one."""


def _sender_domain(sender: str) -> str:
    domain = bare_address(sender).rpartition("@")[2]
    return domain or "localhost"


# --- SMTP ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpConfig:
    """Parsed `BRAIN_SMTP_URL`: `smtp://` plain, `smtp+starttls://` STARTTLS, `smtps://` TLS."""

    host: str
    port: int
    security: str  # "plain" | "starttls" | "tls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0

    _SCHEMES = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("tls", 465)}

    @classmethod
    def from_url(cls, url: str) -> SmtpConfig:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in cls._SCHEMES:
            raise EmailConfigurationError(
                "BRAIN_SMTP_URL must start with smtp://, smtp+starttls:// or smtps://"
            )
        if not parts.hostname:
            raise EmailConfigurationError("BRAIN_SMTP_URL needs a host")
        security, default_port = cls._SCHEMES[scheme]
        try:
            port = parts.port or default_port
        except ValueError as exc:
            raise EmailConfigurationError("BRAIN_SMTP_URL has an invalid port") from exc
        options = parse_qs(parts.query)
        timeout = 30.0
        if "timeout" in options:
            try:
                timeout = float(options["timeout"][0])
            except ValueError as exc:
                raise EmailConfigurationError("BRAIN_SMTP_URL timeout must be a number") from exc
        return cls(
            host=parts.hostname,
            port=port,
            security=security,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
            timeout=timeout,
        )


class SmtpBackend:
    """Delivers over SMTP as a multipart/alternative MIME message (text, then HTML)."""

    name = "smtp"

    def __init__(
        self,
        config: SmtpConfig,
        *,
        sender: str,
        tls_context: ssl.SSLContext | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.config = config
        self.sender = sender
        self.tls_context = tls_context
        self.clock = clock or SystemClock()

    def build_mime(self, message: EmailMessage) -> tuple[MimeMessage, str]:
        """(the MIME message, its Message-ID)."""
        sender = message.sender or self.sender
        domain = _sender_domain(sender)
        message_id = make_msgid(domain=domain)
        mime = MimeMessage()
        mime["From"] = sender
        mime["To"] = ", ".join(message.recipients)
        mime["Subject"] = message.subject
        mime["Date"] = format_datetime(self.clock.now().astimezone(UTC))
        mime["Message-ID"] = message_id
        if message.reply_to:
            mime["Reply-To"] = message.reply_to
        if message.category:
            mime["X-Brain-Category"] = message.category
        for name, value in message.headers.items():
            mime[name] = value
        mime.set_content(message.text, subtype="plain", charset="utf-8")
        if message.html is not None:
            mime.add_alternative(message.html, subtype="html", charset="utf-8")
        return mime, message_id

    async def send(self, message: EmailMessage) -> str:
        mime, message_id = self.build_mime(message)
        sender = message.sender or self.sender
        config = self.config
        try:
            await aiosmtplib.send(
                mime,
                sender=bare_address(sender),
                recipients=[bare_address(address) for address in message.recipients],
                hostname=config.host,
                port=config.port,
                username=config.username,
                password=config.password,
                use_tls=config.security == "tls",
                start_tls=config.security == "starttls",
                tls_context=self.tls_context,
                timeout=config.timeout,
                local_hostname=_sender_domain(sender),
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [refused.code for refused in exc.recipients]
            raise EmailDeliveryError(
                self.name, "every recipient was refused",
                retryable=bool(codes) and all(400 <= code < 500 for code in codes),
                status_code=codes[0] if codes else None,
            ) from None
        except aiosmtplib.SMTPResponseException as exc:
            raise EmailDeliveryError(
                self.name, _first_line(exc.message),
                retryable=400 <= exc.code < 500, status_code=exc.code,
                code=type(exc).__name__,
            ) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            # Connection refused, timeouts, disconnects, TLS handshake failures.
            raise EmailDeliveryError(
                self.name, f"{type(exc).__name__}: {_first_line(str(exc))}", retryable=True,
                code=type(exc).__name__,
            ) from None
        return message_id


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0][:200]


# --- HTTP providers ------------------------------------------------------------------------


def _http_client(
    transport: httpx.AsyncBaseTransport | None, timeout: httpx.Timeout
) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=transport, timeout=timeout, follow_redirects=False)


async def _post(
    provider: str,
    client: httpx.AsyncClient,
    url: str,
    *,
    content: bytes,
    headers: dict[str, str],
) -> httpx.Response:
    try:
        return await client.post(url, content=content, headers=headers)
    except httpx.TimeoutException:
        raise EmailDeliveryError(provider, "request timed out", retryable=True,
                                 code="timeout") from None
    except httpx.TransportError as exc:
        raise EmailDeliveryError(provider, f"transport error: {type(exc).__name__}",
                                 retryable=True, code="transport_error") from None


def _json_body(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class ResendBackend:
    """Resend's `POST /emails` (Bearer API key; JSON in, `{"id": …}` out)."""

    name = "resend"
    # 429s that waiting a few seconds does not cure.
    _QUOTA_ERRORS = frozenset({"daily_quota_exceeded", "monthly_quota_exceeded"})
    _RETRYABLE_CONFLICTS = frozenset({"concurrent_idempotent_requests"})

    def __init__(
        self,
        api_key: str,
        *,
        sender: str,
        base_url: str = "https://api.resend.com",
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_HTTP_TIMEOUT,
    ) -> None:
        self._api_key = api_key
        self.sender = sender
        self.base_url = base_url.rstrip("/")
        self.transport = transport
        self.timeout = timeout

    def request_body(self, message: EmailMessage) -> dict[str, Any]:
        body: dict[str, Any] = {
            "from": message.sender or self.sender,
            "to": list(message.recipients),
            "subject": message.subject,
            "text": message.text,
        }
        if message.html is not None:
            body["html"] = message.html
        if message.reply_to:
            body["reply_to"] = [message.reply_to]
        if message.headers:
            body["headers"] = dict(message.headers)
        tags = message.all_tags
        if tags:
            body["tags"] = [{"name": name, "value": value} for name, value in tags.items()]
        return body

    async def send(self, message: EmailMessage) -> str:
        headers = {
            "Authorization": f"Bearer {self._api_key}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        if message.idempotency_key:
            headers["Idempotency-Key"] = message.idempotency_key
        content = json.dumps(self.request_body(message), ensure_ascii=False).encode("utf-8")
        async with _http_client(self.transport, self.timeout) as client:
            response = await _post(self.name, client, f"{self.base_url}/emails",
                                   content=content, headers=headers)
        data = _json_body(response)
        if response.is_success:
            message_id = data.get("id")
            if not isinstance(message_id, str) or not message_id:
                raise EmailDeliveryError(self.name, "response had no message id",
                                         retryable=False, status_code=response.status_code)
            return message_id
        name = str(data.get("name") or "")
        status = response.status_code
        retryable = (
            status >= 500
            or (status == 429 and name not in self._QUOTA_ERRORS)
            or (status == 409 and name in self._RETRYABLE_CONFLICTS)
        )
        raise EmailDeliveryError(
            self.name, _first_line(str(data.get("message") or response.reason_phrase)),
            retryable=retryable, status_code=status, code=name or None,
        )


class SesBackend:
    """Amazon SES API v2 `SendEmail` (`POST /v2/email/outbound-emails`), signed with SigV4."""

    name = "ses"
    service = "ses"
    _RETRYABLE_ERRORS = frozenset(
        {"TooManyRequestsException", "ThrottlingException", "Throttling",
         "InternalServiceErrorException", "ServiceUnavailable", "InternalFailure"}
    )

    def __init__(
        self,
        *,
        region: str,
        credentials: sigv4.Credentials,
        sender: str,
        endpoint_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_HTTP_TIMEOUT,
        clock: Clock | None = None,
    ) -> None:
        self.region = region
        self._credentials = credentials
        self.sender = sender
        base = (endpoint_url or f"https://email.{region}.amazonaws.com").rstrip("/")
        self.url = f"{base}/v2/email/outbound-emails"
        self.transport = transport
        self.timeout = timeout
        self.clock = clock or SystemClock()

    def request_body(self, message: EmailMessage) -> dict[str, Any]:
        simple: dict[str, Any] = {
            "Subject": {"Data": message.subject, "Charset": "UTF-8"},
            "Body": {"Text": {"Data": message.text, "Charset": "UTF-8"}},
        }
        if message.html is not None:
            simple["Body"]["Html"] = {"Data": message.html, "Charset": "UTF-8"}
        if message.headers:
            simple["Headers"] = [
                {"Name": name, "Value": value} for name, value in message.headers.items()
            ]
        body: dict[str, Any] = {
            "FromEmailAddress": _encoded_address(message.sender or self.sender),
            "Destination": {"ToAddresses": list(message.recipients)},
            "Content": {"Simple": simple},
        }
        if message.reply_to:
            body["ReplyToAddresses"] = [message.reply_to]
        tags = message.all_tags
        if tags:
            body["EmailTags"] = [{"Name": name, "Value": value} for name, value in tags.items()]
        return body

    async def send(self, message: EmailMessage) -> str:
        content = json.dumps(self.request_body(message), ensure_ascii=False).encode("utf-8")
        headers = sigv4.sign_headers(
            method="POST",
            url=self.url,
            headers={"Content-Type": "application/json"},
            body=content,
            credentials=self._credentials,
            region=self.region,
            service=self.service,
            now=self.clock.now(),
        )
        headers["User-Agent"] = USER_AGENT
        async with _http_client(self.transport, self.timeout) as client:
            response = await _post(self.name, client, self.url, content=content,
                                   headers=headers)
        data = _json_body(response)
        if response.is_success:
            message_id = data.get("MessageId")
            if not isinstance(message_id, str) or not message_id:
                raise EmailDeliveryError(self.name, "response had no MessageId",
                                         retryable=False, status_code=response.status_code)
            return message_id
        error_type = _aws_error_type(response, data)
        status = response.status_code
        raise EmailDeliveryError(
            self.name,
            _first_line(str(data.get("message") or data.get("Message")
                            or response.reason_phrase)),
            retryable=status >= 500 or status == 429 or error_type in self._RETRYABLE_ERRORS,
            status_code=status, code=error_type or None,
        )


def _aws_error_type(response: httpx.Response, data: dict[str, Any]) -> str:
    """REST-JSON errors name their type in `x-amzn-ErrorType` (`Name:uri`) or `__type`."""
    raw = response.headers.get("x-amzn-errortype") or str(data.get("__type") or "")
    raw = raw.split(":", 1)[0]
    return raw.rsplit("#", 1)[-1]


def _encoded_address(address: str) -> str:
    """A `Name <addr>` with a non-ASCII name, RFC 2047-encoded as SES requires."""
    name, addr = parseaddr(address)
    if not name or name.isascii():
        return address
    return formataddr((name, addr), charset="utf-8")


# --- factory -------------------------------------------------------------------------------


def create_email_backend(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    tls_context: ssl.SSLContext | None = None,
) -> EmailBackend:
    """The backend `BRAIN_EMAIL_BACKEND` names, configured from the settings."""
    sender = settings.email_from
    if "@" not in bare_address(sender):
        raise EmailConfigurationError("BRAIN_EMAIL_FROM must be an email address")
    kind = settings.email_backend
    if kind == "outbox":
        return OutboxBackend(settings.outbox_dir, sender=sender)
    if kind == "smtp":
        if not settings.smtp_url:
            raise EmailConfigurationError("BRAIN_SMTP_URL is required for the smtp backend")
        return SmtpBackend(SmtpConfig.from_url(settings.smtp_url), sender=sender,
                           tls_context=tls_context)
    if kind == "resend":
        if not settings.resend_api_key:
            raise EmailConfigurationError("BRAIN_RESEND_API_KEY is required for resend")
        return ResendBackend(settings.resend_api_key, sender=sender,
                             base_url=settings.resend_base_url, transport=transport)
    if kind == "ses":
        if not (settings.ses_region and settings.ses_access_key_id
                and settings.ses_secret_access_key):
            raise EmailConfigurationError(
                "BRAIN_SES_REGION, BRAIN_SES_ACCESS_KEY_ID and BRAIN_SES_SECRET_ACCESS_KEY "
                "are required for ses"
            )
        return SesBackend(
            region=settings.ses_region,
            credentials=sigv4.Credentials(settings.ses_access_key_id,
                                          settings.ses_secret_access_key),
            sender=sender,
            endpoint_url=settings.ses_endpoint_url,
            transport=transport,
        )
    raise EmailConfigurationError(f"unknown email backend {kind!r}")
