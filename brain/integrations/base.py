"""The connector contract every provider implements (modelled on Airbyte's protocol).

A connector describes itself (`spec`), proves its credentials work (`check`), lists its
`streams` and `read`s one stream as a sequence of `Record`s interleaved with
`StateCheckpoint`s. The sync engine buffers records until the next checkpoint, then writes
them (`Connector.write`) and stores the checkpoint's state in ONE transaction: a checkpoint
is therefore a promise that every record before it is safe to lose and re-read, and that
reading again from that state yields only what comes after it (or overlaps idempotently).

Connectors never touch the database except through `write`, never commit, and make every
HTTP call through `ProviderHttpClient` (`brain.integrations.http`), which carries the
retries, back-off and rate limits. Errors the engine must act on are `ConnectorError`s with a
`ConnectorErrorKind` (expired token → reauth, rate limited → retry later, …).
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import httpx
    from sqlalchemy.ext.asyncio import AsyncSession

    from brain.core.auth import AuthContext
    from brain.integrations.http import ProviderHttpClient
    from brain.settings import Settings


class AuthMethod(StrEnum):
    """How a provider authenticates Brain."""

    oauth2 = "oauth2"
    api_key = "api_key"


class SyncMode(StrEnum):
    """Airbyte's two read modes: everything each time, or only what changed since the cursor."""

    full_refresh = "full_refresh"
    incremental = "incremental"


@dataclass(frozen=True)
class OAuthSpec:
    """The provider's OAuth 2.0 authorization-code endpoints (PKCE where supported)."""

    authorize_url: str
    token_url: str
    pkce: bool = True
    revoke_url: str | None = None
    # Extra query parameters the provider's authorize endpoint wants (e.g. access_type).
    authorize_params: dict[str, str] = field(default_factory=dict)
    scope_separator: str = " "


@dataclass(frozen=True)
class Spec:
    """What a provider needs from the user: auth method, scopes and a JSON-schema of config."""

    id: str
    name: str
    auth: AuthMethod
    scopes: tuple[str, ...] = ()
    config_schema: dict[str, Any] = field(default_factory=dict)
    oauth: OAuthSpec | None = None
    docs_url: str | None = None


@dataclass(frozen=True)
class Stream:
    """One readable collection: its primary key, its cursor field and the modes it supports."""

    name: str
    primary_key: tuple[str, ...]
    cursor_field: str | None = None
    modes: tuple[SyncMode, ...] = (SyncMode.full_refresh,)
    description: str = ""

    @property
    def incremental(self) -> bool:
        return SyncMode.incremental in self.modes


@dataclass
class Record:
    """One row of a stream, as the provider returned it after light normalisation."""

    stream: str
    data: dict[str, Any]


@dataclass
class StateCheckpoint:
    """The stream's state after every record yielded before it (JSON-serialisable, opaque)."""

    stream: str
    state: dict[str, Any]


Message = Record | StateCheckpoint


@dataclass(frozen=True)
class SyncWindow:
    """The date range a read covers (backfill: from the start date in chunks; delta: recent)."""

    start_date: date
    end_date: date


@dataclass
class CheckItem:
    """One line of a connection test: what was checked, whether it passed and why not."""

    name: str
    ok: bool
    detail: str = ""


@dataclass
class CheckResult:
    """The outcome of `Connector.check`: each check plus the scopes still missing."""

    checks: list[CheckItem] = field(default_factory=list)
    missing_scopes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(item.ok for item in self.checks) and not self.missing_scopes

    def add(self, name: str, ok: bool, detail: str = "") -> CheckItem:
        item = CheckItem(name=name, ok=ok, detail=detail)
        self.checks.append(item)
        return item


class ConnectorErrorKind(StrEnum):
    """What went wrong, in the terms the engine acts on."""

    expired_token = "expired_token"  # noqa: S105  (refresh, else the connection needs reauth)
    invalid_credentials = "invalid_credentials"  # needs reauth
    missing_scope = "missing_scope"  # the user must grant more
    rate_limited = "rate_limited"  # retry after `retry_after`
    provider_unavailable = "provider_unavailable"  # 5xx / network: retry with back-off
    invalid_request = "invalid_request"  # our request or the config is wrong
    not_found = "not_found"  # account / resource does not exist


_RETRYABLE = {ConnectorErrorKind.rate_limited, ConnectorErrorKind.provider_unavailable}
_REAUTH = {ConnectorErrorKind.expired_token, ConnectorErrorKind.invalid_credentials}


class ConnectorError(Exception):
    """A classified provider failure (raised by connectors and the HTTP client)."""

    def __init__(
        self,
        kind: ConnectorErrorKind,
        message: str,
        *,
        provider: str = "",
        status_code: int | None = None,
        retry_after: float | None = None,
        missing_scopes: Sequence[str] = (),
        provider_code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.provider = provider
        self.status_code = status_code
        self.retry_after = retry_after
        self.missing_scopes = list(missing_scopes)
        self.provider_code = provider_code

    @property
    def retryable(self) -> bool:
        return self.kind in _RETRYABLE

    @property
    def needs_reauth(self) -> bool:
        return self.kind in _REAUTH

    def __str__(self) -> str:
        code = f" [{self.provider_code}]" if self.provider_code else ""
        return f"{self.provider or 'provider'} {self.kind.value}{code}: {self.message}"


@dataclass
class Credentials:
    """Decrypted credentials of a connection (never logged, never returned by the API)."""

    access_token: str | None = None
    refresh_token: str | None = None
    expires_at: datetime | None = None
    api_key: str | None = None
    scopes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "api_key": self.api_key,
            "scopes": self.scopes,
            "extra": self.extra,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Credentials:
        expires = data.get("expires_at")
        return cls(
            access_token=data.get("access_token"),
            refresh_token=data.get("refresh_token"),
            expires_at=datetime.fromisoformat(expires) if expires else None,
            api_key=data.get("api_key"),
            scopes=list(data.get("scopes") or []),
            extra=dict(data.get("extra") or {}),
        )

    @property
    def bearer(self) -> str:
        """The token to present: the OAuth access token, else the API key / private token."""
        token = self.access_token or self.api_key
        if not token:
            raise ConnectorError(
                ConnectorErrorKind.invalid_credentials, "the connection has no credentials"
            )
        return token


@dataclass
class ConnectorContext:
    """Everything a connector instance needs: tenant, connection, config, credentials, HTTP."""

    organization_id: uuid.UUID
    connection_id: uuid.UUID
    config: dict[str, Any]
    credentials: Credentials
    http: ProviderHttpClient
    sandbox: bool = False


class Connector(ABC):
    """Base class of every provider connector; subclasses set `spec` and implement the rest.

    `read` must yield a `StateCheckpoint` at least after every page/chunk it fully yielded,
    with state from which a new `read` continues after those records. `write` maps a batch of
    one stream's records into the warehouse with idempotent upserts keyed by natural keys and
    returns how many rows it wrote; it runs inside the engine's transaction and never commits.
    """

    spec: ClassVar[Spec]
    # Production API root, used by the default `base_url`.
    api_root: ClassVar[str] = ""
    # The provider's documented request budget, enforced by a process-wide token bucket.
    rate_per_second: ClassVar[float] = 10.0
    burst: ClassVar[int] = 10
    # The longest date range one `read` may be asked for (the engine splits windows into
    # chunks of at most this many days; each finished chunk is a checkpoint).
    max_chunk_days: ClassVar[int] = 7

    @classmethod
    def base_url(cls, config: dict[str, Any]) -> str:
        """The API root `ProviderHttpClient` resolves relative paths against (may depend on
        the connection's config, e.g. a shop domain)."""
        return cls.api_root

    @classmethod
    def classify(cls, response: httpx.Response) -> ConnectorError | None:
        """Map a provider response to an error (None = success). Override to read the
        provider's error envelope; the default uses the HTTP status only."""
        from brain.integrations.http import default_classify

        return default_classify(cls.spec.id)(response)

    @classmethod
    def auth_headers(
        cls, credentials: Credentials, config: dict[str, Any], *, settings: Settings | None = None
    ) -> dict[str, str]:
        """Headers carrying the credentials on every request (default: a bearer token).

        `settings` gives app-level secrets some providers need on every call (e.g. the
        Google Ads developer token)."""
        return {"Authorization": f"Bearer {credentials.bearer}"}

    def __init__(self, context: ConnectorContext) -> None:
        self.context = context
        self.http = context.http

    @abstractmethod
    def streams(self) -> list[Stream]:
        """The streams this connector can read."""

    @abstractmethod
    async def check(self) -> CheckResult:
        """Prove the credentials and scopes work; report each check and the missing scopes."""

    @abstractmethod
    def read(
        self, stream: Stream, state: dict[str, Any] | None, window: SyncWindow
    ) -> AsyncIterator[Message]:
        """Yield the stream's records within `window`, resuming after `state`."""

    @abstractmethod
    async def write(
        self, session: AsyncSession, stream: Stream, records: Sequence[Record]
    ) -> int:
        """Upsert a batch of one stream's records into the warehouse; returns rows written."""

    @classmethod
    def stream_catalogue(cls) -> list[Stream]:
        """The streams without a connection (for the catalogue): `streams()` must therefore
        not depend on the instance's context."""
        return cls.streams(cls.__new__(cls))

    @classmethod
    async def purge(
        cls, session: AsyncSession, auth: AuthContext, config: dict[str, Any]
    ) -> int:
        """Delete the warehouse data a connection with `config` brought in (when the tenant
        disconnects with "purge"); returns how many top-level objects went. Default: none."""
        return 0

    def stream(self, name: str) -> Stream:
        """The stream called `name` (KeyError if the connector has none)."""
        for candidate in self.streams():
            if candidate.name == name:
                return candidate
        raise KeyError(name)

    def missing_scopes(self, granted: Sequence[str]) -> list[str]:
        """The spec's required scopes not in `granted`."""
        have = set(granted)
        return [scope for scope in self.spec.scopes if scope not in have]
