"""The message every backend sends, the backend interface, and the one error they raise."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Protocol, runtime_checkable

# RFC 5322 field names: printable ASCII except the colon.
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")
# Headers the backends set themselves; callers may not override them.
RESERVED_HEADERS = frozenset(
    {"from", "to", "cc", "bcc", "subject", "date", "message-id", "mime-version",
     "content-type", "content-transfer-encoding", "sender", "return-path"}
)


class EmailDeliveryError(Exception):
    """A provider refused or could not take a message; `retryable` says whether to try again.

    The text never contains the message body, links or tokens: only the provider, the status
    and the provider's error code and message.
    """

    def __init__(
        self,
        provider: str,
        message: str,
        *,
        retryable: bool,
        status_code: int | None = None,
        code: str | None = None,
    ) -> None:
        self.provider = provider
        self.retryable = retryable
        self.status_code = status_code
        self.code = code
        details = ", ".join(
            part for part in (
                f"status {status_code}" if status_code is not None else "",
                code or "",
                "retryable" if retryable else "permanent",
            ) if part
        )
        super().__init__(f"{provider}: {message} ({details})")


@dataclass(frozen=True)
class EmailMessage:
    """One rendered email: recipients, subject, a text part and an optional HTML part."""

    to: str | Sequence[str]
    subject: str
    text: str
    html: str | None = None
    # Provider tags (Resend `tags`, SES `EmailTags`): ASCII letters, digits, `_` and `-`.
    tags: Mapping[str, str] = field(default_factory=dict)
    # What kind of email this is (e.g. the template name); sent as the `category` tag.
    category: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    # Overrides the configured sender (`BRAIN_EMAIL_FROM`) when set.
    sender: str | None = None
    reply_to: str | None = None
    # Sent as Resend's `Idempotency-Key` so a retried request is not delivered twice.
    idempotency_key: str | None = None

    def __post_init__(self) -> None:
        if not self.recipients:
            raise ValueError("an email needs at least one recipient")
        for address in self.recipients:
            _check_address(address)
        if "\r" in self.subject or "\n" in self.subject:
            raise ValueError("the subject must be a single line")
        for name, value in self.headers.items():
            if not _HEADER_NAME.match(name):
                raise ValueError(f"invalid header name {name!r}")
            if name.lower() in RESERVED_HEADERS:
                raise ValueError(f"header {name!r} is set by the backend")
            if "\r" in value or "\n" in value:
                raise ValueError(f"header {name!r} must be a single line")

    @property
    def recipients(self) -> tuple[str, ...]:
        if isinstance(self.to, str):
            return (self.to,)
        return tuple(self.to)

    @property
    def all_tags(self) -> dict[str, str]:
        """The tags with the category added, each name and value made provider-safe."""
        tags = dict(self.tags)
        if self.category:
            tags.setdefault("category", self.category)
        return {safe_tag(name): safe_tag(value) for name, value in tags.items()}


def safe_tag(value: str) -> str:
    """Tag names and values may hold only ASCII letters, digits, `_` and `-` (max 256)."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "_", value)[:256]
    return cleaned or "_"


def _check_address(address: str) -> None:
    if "\r" in address or "\n" in address:
        raise ValueError("an email address must be a single line")
    _, addr = parseaddr(address)
    if "@" not in addr:
        raise ValueError("not an email address")


def bare_address(address: str) -> str:
    """`Name <a@b>` → `a@b`."""
    return parseaddr(address)[1]


def masked_address(address: str) -> str:
    """An address fit for logs: `j***@example.com`."""
    addr = bare_address(address)
    local, _, domain = addr.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


@runtime_checkable
class EmailBackend(Protocol):
    """Sends one message and returns the provider's id for it."""

    name: str

    async def send(self, message: EmailMessage) -> str: ...
