"""A real SMTP server for tests (aiosmtpd on 127.0.0.1, a free port, its own thread) that keeps
every message it receives, parsed; plus helpers to make a self-signed certificate and to take
the token out of an email's link.

    from tests.smtp_sink import SmtpSink, extract_token, smtp_sink  # fixture

    message = smtp_sink.wait_for(to="ana@example.com")
    token = extract_token(message)
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import ipaddress
import logging
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

_TOKEN = re.compile(r"[?&]token=([^&\s#\"'<>]+)")


@dataclass(frozen=True)
class Received:
    """What the server saw around one message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    tls: bool
    login: str | None


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        # Lines arrive CRLF-terminated; parse them as local text so parts read with `\n`.
        parsed = email.message_from_bytes(raw.replace(b"\r\n", b"\n"),
                                          policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        auth_data = session.auth_data
        login = auth_data.login if isinstance(auth_data, LoginPassword) else None
        self.sink._record(
            parsed,
            Received(
                mail_from=envelope.mail_from or "",
                rcpt_tos=tuple(envelope.rcpt_tos),
                tls=session.ssl is not None or _over_tls(server),
                login=login.decode() if isinstance(login, bytes) else None,
            ),
        )
        return "250 Message accepted for delivery"


def _over_tls(server: SMTP) -> bool:
    transport = server.transport
    return transport is not None and transport.get_extra_info("ssl_object") is not None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


class SmtpSink:
    """An SMTP server on loopback that stores what it receives.

    Modes: plain (default); STARTTLS offered with `starttls_context` (and demanded with
    `require_starttls`); implicit TLS with `implicit_tls_context`. With `credentials`
    the server requires AUTH (PLAIN/LOGIN) with that user and password.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        starttls_context: ssl.SSLContext | None = None,
        require_starttls: bool = False,
        implicit_tls_context: ssl.SSLContext | None = None,
        credentials: tuple[str, str] | None = None,
        auth_require_tls: bool | None = None,
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.starttls_context = starttls_context
        self.require_starttls = require_starttls
        self.implicit_tls_context = implicit_tls_context
        self.credentials = credentials
        self.auth_require_tls = (
            auth_require_tls if auth_require_tls is not None
            else bool(starttls_context or implicit_tls_context)
        )
        self.messages: list[EmailMessage] = []
        self.received: list[Received] = []
        self.failed_logins = 0
        self._condition = threading.Condition()
        self._controller: Controller | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> SmtpSink:
        # aiosmtpd logs protocol lines (message data included) at DEBUG; keep them out.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        options: dict[str, Any] = {"server_hostname": "sink.localhost"}
        if self.starttls_context is not None:
            options["tls_context"] = self.starttls_context
            options["require_starttls"] = self.require_starttls
        if self.credentials is not None:
            options["authenticator"] = self._authenticate
            options["auth_required"] = True
            options["auth_require_tls"] = self.auth_require_tls
        self._controller = Controller(
            _Handler(self),
            hostname=self.host,
            port=self.port,
            ssl_context=self.implicit_tls_context,
            ready_timeout=10.0,
            **options,
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The `BRAIN_SMTP_URL` that reaches this sink."""
        if self.implicit_tls_context is not None:
            scheme = "smtps"
        elif self.starttls_context is not None:
            scheme = "smtp+starttls"
        else:
            scheme = "smtp"
        userinfo = ""
        if self.credentials is not None:
            user, password = self.credentials
            userinfo = f"{quote(user, safe='')}:{quote(password, safe='')}@"
        return f"{scheme}://{userinfo}{self.host}:{self.port}"

    # -- received mail ----------------------------------------------------------------------

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str,
        auth_data: Any,
    ) -> AuthResult:
        assert self.credentials is not None
        user, password = self.credentials
        if (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode()
                and auth_data.password == password.encode()):
            return AuthResult(success=True, auth_data=auth_data)
        with self._condition:
            self.failed_logins += 1
        return AuthResult(success=False, handled=False)

    def _record(self, message: EmailMessage, received: Received) -> None:
        with self._condition:
            self.messages.append(message)
            self.received.append(received)
            self._condition.notify_all()

    def clear(self) -> None:
        with self._condition:
            self.messages.clear()
            self.received.clear()

    def _matching(self, to: str | None) -> list[EmailMessage]:
        if to is None:
            return list(self.messages)
        wanted = parseaddr(to)[1].lower()
        found = []
        for message, received in zip(self.messages, self.received, strict=True):
            header_addresses = {
                addr.lower() for _, addr in getaddresses(message.get_all("To", []))
            }
            envelope_addresses = {address.lower() for address in received.rcpt_tos}
            if wanted in header_addresses or wanted in envelope_addresses:
                found.append(message)
        return found

    def wait_for(
        self, to: str | None = None, *, timeout: float = 5.0, count: int = 1
    ) -> EmailMessage:
        """Block until at least `count` messages for `to` arrived; the latest of them."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                found = self._matching(to)
                if len(found) >= count:
                    return found[-1]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"no email for {to or 'anyone'} within {timeout}s "
                        f"({len(found)} of {count} arrived)"
                    )
                self._condition.wait(remaining)

    async def wait_for_async(
        self, to: str | None = None, *, timeout: float = 5.0, count: int = 1  # noqa: ASYNC109
    ) -> EmailMessage:
        """`wait_for` for code whose sender runs on the same event loop as the test."""
        deadline = time.monotonic() + timeout
        while True:
            with self._condition:
                found = self._matching(to)
            if len(found) >= count:
                return found[-1]
            if time.monotonic() >= deadline:
                raise TimeoutError(f"no email for {to or 'anyone'} within {timeout}s")
            await asyncio.sleep(0.02)


def text_part(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    if body is None:
        raise LookupError("the message has no text/plain part")
    content: str = body.get_content()
    return content


def html_part(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("html",))
    if body is None:
        raise LookupError("the message has no text/html part")
    content: str = body.get_content()
    return content


def extract_token(message: EmailMessage) -> str:
    """The `token=` value of the first link in the message's text part (URL-decoded)."""
    match = _TOKEN.search(text_part(message))
    if match is None:
        raise LookupError("no link with token= in the message's text part")
    return unquote(match.group(1))


# -- TLS material -----------------------------------------------------------------------------


def make_self_signed_cert(directory: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """A certificate for `host` (and localhost) signed by its own key: (cert.pem, key.pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([
                x509.IPAddress(ipaddress.ip_address(host)),
                x509.DNSName("localhost"),
            ]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def server_tls_context(cert_path: Path, key_path: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context


def client_tls_context(cert_path: Path) -> ssl.SSLContext:
    """A client context that trusts only this certificate (hostname checked)."""
    return ssl.create_default_context(cafile=str(cert_path))


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """A plain SMTP sink on 127.0.0.1 for one test; `smtp_sink.url` is its BRAIN_SMTP_URL."""
    sink = SmtpSink().start()
    try:
        yield sink
    finally:
        sink.stop()
