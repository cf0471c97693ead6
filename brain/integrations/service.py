"""Integration logic behind the API: connect, test, update, delete, request syncs (never commits).

A sandbox connection is active at once: its credentials are the simulator's token and its
config names the simulated accounts. An API-key provider becomes active when the key is
given (in the create call or later by PATCH); an OAuth provider stays `pending` until the
callback completes the authorization started here. `reauthorize_connection` does the same for
an existing connection whose authorization broke (`needs_reauth`).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.auth import AuthContext
from brain.core.crypto import DecryptionError, Keyring
from brain.core.errors import Conflict, ProblemError
from brain.core.models import utcnow
from brain.demo.verticals import get_profile
from brain.integrations import oauth
from brain.integrations.base import AuthMethod, CheckResult, ConnectorError, Credentials, Spec
from brain.integrations.crm_models import CrmRecord
from brain.integrations.factory import build_connector
from brain.integrations.inbound import forget_target
from brain.integrations.loaders import job_auth
from brain.integrations.models import (
    Connection,
    ConnectionStatus,
    OAuthState,
    SyncKind,
    SyncLease,
    SyncRun,
    SyncStatus,
    open_credentials,
    seal_credentials,
)
from brain.integrations.registry import ProviderEntry, get_provider
from brain.integrations.repository import (
    ConnectionRepository,
    StreamStateRepository,
    SyncRunRepository,
)
from brain.integrations.sandbox.common import SandboxContext, default_sandbox_config
from brain.settings import Settings

DEFAULT_SCHEDULE_MINUTES = 24 * 60
DELTA_DEFAULT_DAYS = 30
SANDBOX_MAX_DAYS = 1095  # the longest history `brain seed` simulates
MAX_SYNC_DAYS = 3 * 366


@dataclass
class ConnectStep:
    """What the client must do next: nothing, send the user to `url`, or send a key."""

    type: str  # "ready" | "oauth_redirect" | "api_key"
    authorization_url: str | None = None
    fields: tuple[str, ...] = ()


def provider_or_422(provider: str) -> ProviderEntry:
    entry = get_provider(provider)
    if entry is None:
        raise ProblemError(
            422, f"Unknown provider {provider!r}.",
            errors=[{"loc": ["body", "provider"], "message": "unknown provider"}],
        )
    return entry


def binding_for(kind: str, subject: uuid.UUID) -> str:
    """The hashed identity an OAuth flow is bound to: a user session or an API key."""
    return hashlib.sha256(f"{kind}:{subject}".encode()).hexdigest()


def session_binding(auth: AuthContext) -> str:
    """Who started an OAuth flow: the user session (or API key); the callback must match."""
    if auth.session_id is not None:
        return binding_for("user", auth.session_id)
    return binding_for("api_key", auth.subject_id)


def callback_url(settings: Settings, provider: str) -> str:
    return f"{settings.public_url.rstrip('/')}/api/v1/integrations/{provider}/callback"


def _sandbox_settings(config: dict[str, Any], today: date) -> dict[str, Any]:
    requested = dict(config.get("sandbox") or {})
    vertical = str(requested.get("vertical", "beauty"))
    try:
        get_profile(vertical)
    except (KeyError, ValueError) as exc:
        raise ProblemError(
            422, f"Unknown sandbox vertical {vertical!r}.",
            errors=[{"loc": ["body", "config", "sandbox", "vertical"], "message": "unknown"}],
        ) from exc
    merged = default_sandbox_config(vertical, today=today)
    for key in ("days", "fault_rate", "rate_limit_every", "seed", "page_size_cap", "today"):
        if key in requested:
            merged[key] = requested[key]
    try:
        date.fromisoformat(str(merged["today"]))
    except ValueError as exc:
        raise ProblemError(
            422, "Sandbox today must be a date (YYYY-MM-DD).",
            errors=[{"loc": ["body", "config", "sandbox", "today"], "message": "not a date"}],
        ) from exc
    try:
        days = int(merged["days"])
        fault_rate = float(merged["fault_rate"])
        int(merged["rate_limit_every"])
        int(merged["seed"])
        page_cap = int(merged.get("page_size_cap", 500))
    except (TypeError, ValueError) as exc:
        raise ProblemError(422, "Invalid sandbox settings.") from exc
    if not 30 <= days <= SANDBOX_MAX_DAYS or not 0 <= fault_rate <= 0.5 \
            or not 1 <= page_cap <= 10_000:
        raise ProblemError(
            422, f"Sandbox days must be 30-{SANDBOX_MAX_DAYS}, fault_rate 0-0.5, "
                 "page_size_cap 1-10000."
        )
    return merged


async def create_connection(
    session: AsyncSession,
    auth: AuthContext,
    *,
    provider: str,
    sandbox: bool,
    config: dict[str, Any],
    name: str | None,
    credentials: dict[str, str] | None,
    keyring: Keyring,
    settings: Settings,
) -> tuple[Connection, ConnectStep]:
    """Create a connection and say what completes it (nothing for a sandbox)."""
    entry = provider_or_422(provider)
    spec = entry.connector.spec
    repo = ConnectionRepository(session, auth)
    now = utcnow()
    connection = Connection(
        id=uuid.uuid4(),
        provider=spec.id,
        name=(name or (f"{spec.name} (sandbox)" if sandbox else spec.name))[:200],
        status=ConnectionStatus.pending.value,
        sandbox=sandbox,
        config={k: v for k, v in config.items() if k != "sandbox"},
        granted_scopes=[],
        disabled_streams=[],
        schedule_minutes=DEFAULT_SCHEDULE_MINUTES,
        created_by=auth.user_id,
    )
    if sandbox:
        sandbox_config = _sandbox_settings(config, now.date())
        context = SandboxContext.from_config(
            auth.organization_id, connection.id, {"sandbox": sandbox_config}
        )
        defaults = entry.sandbox_config(context) if entry.sandbox_config else {}
        connection.config = {**defaults, **connection.config, "sandbox": sandbox_config}
        connection.backfill_start = context.simulation().start
        seal_credentials(
            keyring, connection,
            Credentials(access_token=context.access_token, scopes=list(spec.scopes)),
        )
        connection.status = ConnectionStatus.active.value
        connection.next_sync_at = now + timedelta(minutes=DEFAULT_SCHEDULE_MINUTES)
        repo.add(connection)
        await session.flush()
        return connection, ConnectStep(type="ready")
    connection.backfill_start = now.date() - timedelta(days=settings.integrations_backfill_days)
    if spec.auth is AuthMethod.api_key:
        repo.add(connection)
        step = ConnectStep(type="api_key", fields=("api_key",))
        if credentials:
            set_api_key(connection, credentials, keyring)
            step = ConnectStep(type="ready")
        await session.flush()
        return connection, step
    client = _oauth_client(settings, spec)
    repo.add(connection)
    await session.flush()
    step = await _start_authorization(session, auth, connection, spec, client,
                                      keyring=keyring, settings=settings, now=now)
    return connection, step


def _oauth_client(settings: Settings, spec: Spec) -> oauth.OAuthClient:
    """Brain's OAuth app at the provider (422 when this server has none configured)."""
    client_raw = settings.integrations_oauth_clients.get(spec.id) or {}
    if not client_raw.get("client_id") or not client_raw.get("client_secret"):
        raise ProblemError(
            422,
            f"No OAuth app is configured for {spec.name} on this server; "
            "connect it with \"sandbox\": true or configure BRAIN_INTEGRATIONS_OAUTH_CLIENTS.",
        )
    return oauth.OAuthClient(client_raw["client_id"], client_raw["client_secret"])


async def _start_authorization(
    session: AsyncSession,
    auth: AuthContext,
    connection: Connection,
    spec: Spec,
    client: oauth.OAuthClient,
    *,
    keyring: Keyring,
    settings: Settings,
    now: datetime,
) -> ConnectStep:
    """A fresh authorization code + PKCE flow for the connection: the state (hashed) bound to
    the caller's session, the verifier encrypted; the callback completes it."""
    redirect_uri = callback_url(settings, spec.id)
    authorization = oauth.new_authorization(spec, client, redirect_uri=redirect_uri)
    state = OAuthState(
        organization_id=auth.organization_id,
        connection_id=connection.id,
        state_hash=oauth.hash_state(authorization.state),
        session_binding=session_binding(auth),
        code_verifier_encrypted=keyring.encrypt(
            authorization.code_verifier, context=f"integrations.oauth:{connection.id}"
        ),
        redirect_uri=redirect_uri,
        expires_at=now + oauth.STATE_TTL,
        created_at=now,
    )
    session.add(state)
    await session.flush()
    return ConnectStep(type="oauth_redirect", authorization_url=authorization.url)


def api_key_of(credentials: dict[str, str] | None) -> str:
    """The API key / private-app token of a request's `credentials` (422 without one)."""
    key = (credentials or {}).get("api_key") or (credentials or {}).get("access_token")
    if not key or not str(key).strip():
        raise ProblemError(
            422, "An API key is required.",
            errors=[{"loc": ["body", "credentials", "api_key"], "message": "required"}],
        )
    return str(key).strip()


def set_api_key(connection: Connection, credentials: dict[str, str], keyring: Keyring) -> None:
    """Store an API key / private-app token and make the connection active."""
    seal_credentials(keyring, connection, Credentials(api_key=api_key_of(credentials)))
    connection.status = ConnectionStatus.active.value
    connection.last_error = None


# --- re-authorization ----------------------------------------------------------------------


@dataclass(frozen=True)
class Reauthorization:
    """What a re-authorization did: the next step, and whether it is already complete."""

    step: ConnectStep
    method: str  # "oauth2" | "api_key" | "sandbox"
    completed: bool


def _merged_config(connection: Connection, config: dict[str, Any] | None) -> dict[str, Any]:
    """The connection's config with the request's keys over it (the sandbox's own is kept)."""
    merged = dict(connection.config or {})
    merged.update({k: v for k, v in (config or {}).items() if k != "sandbox"})
    return merged


def _reconnected(connection: Connection, now: datetime) -> None:
    connection.status = ConnectionStatus.active.value
    connection.last_error = None
    if connection.schedule_minutes:
        connection.next_sync_at = now  # catch up on what was missed while it was broken


async def reauthorize_connection(
    session: AsyncSession,
    auth: AuthContext,
    connection: Connection,
    *,
    config: dict[str, Any] | None,
    credentials: dict[str, str] | None,
    keyring: Keyring,
    settings: Settings,
    transport: Any = None,
) -> Reauthorization:
    """Authorize an existing connection again, as connecting it did: a sandbox at once, an API
    key after the provider accepted it (the old key stays otherwise), an OAuth provider
    through a new authorization whose callback stores the new tokens. Never a new slot."""
    entry = provider_or_422(connection.provider)
    spec = entry.connector.spec
    now = utcnow()
    if connection.sandbox:
        if config or credentials:
            raise ProblemError(
                422, "A sandbox connection is re-authorized as it is: send no config or "
                     "credentials.",
                errors=[{"loc": ["body", "credentials" if credentials else "config"],
                         "message": "not taken by a sandbox connection"}],
            )
        context = SandboxContext.from_config(
            connection.organization_id, connection.id, dict(connection.config or {}))
        seal_credentials(keyring, connection, Credentials(
            access_token=context.access_token, scopes=list(spec.scopes)))
        _reconnected(connection, now)
        await session.flush()
        return Reauthorization(ConnectStep(type="ready"), "sandbox", completed=True)
    merged = _merged_config(connection, config)
    if spec.auth is AuthMethod.api_key:
        key = api_key_of(credentials)
        await check_api_key(entry, connection, merged, Credentials(api_key=key),
                            keyring=keyring, settings=settings, transport=transport)
        connection.config = merged
        seal_credentials(keyring, connection, Credentials(api_key=key))
        _reconnected(connection, now)
        await session.flush()
        return Reauthorization(ConnectStep(type="ready"), "api_key", completed=True)
    if credentials:
        raise ProblemError(
            422, f"{spec.name} is authorized through OAuth: send no credentials.",
            errors=[{"loc": ["body", "credentials"], "message": "not taken by OAuth providers"}],
        )
    client = _oauth_client(settings, spec)
    connection.config = merged
    # Only the newest authorization of a connection can complete.
    await session.execute(delete(OAuthState).where(
        OAuthState.organization_id == connection.organization_id,
        OAuthState.connection_id == connection.id))
    step = await _start_authorization(session, auth, connection, spec, client,
                                      keyring=keyring, settings=settings, now=now)
    return Reauthorization(step, "oauth2", completed=False)


async def check_api_key(
    entry: ProviderEntry,
    connection: Connection,
    config: dict[str, Any],
    credentials: Credentials,
    *,
    keyring: Keyring,
    settings: Settings,
    transport: Any = None,
) -> None:
    """Run the provider's check with `credentials` before anything is stored: 422 naming
    each failed check (or the missing scopes), 502 when the provider could not answer."""
    probe = Connection(id=connection.id, organization_id=connection.organization_id,
                       provider=connection.provider, name=connection.name, sandbox=False,
                       config=config)
    try:
        connector = build_connector(entry, probe, keyring=keyring, settings=settings,
                                    transport=transport, credentials=credentials)
    except (ConnectorError, KeyError, ValueError) as exc:
        raise ProblemError(
            422, f"The connection's config is not usable: {exc}",
            errors=[{"loc": ["body", "config"], "message": str(exc)[:200]}],
        ) from exc
    try:
        result = await connector.check()
    except ConnectorError as exc:
        if exc.retryable:
            raise ProblemError(
                502, f"{entry.connector.spec.name} could not check the credentials "
                     f"({exc.message}); try again later.", kind="provider-error",
            ) from exc
        result = CheckResult()
        result.add("credentials", False, exc.message)
        result.missing_scopes = list(exc.missing_scopes)
    finally:
        await connector.http.aclose()
    if result.ok:
        return
    messages = [f"{item.name}: {item.detail}"[:300] for item in result.checks if not item.ok]
    if result.missing_scopes:
        messages.append(f"missing scopes: {', '.join(result.missing_scopes)}")
    errors = [{"loc": ["body", "credentials"], "message": m} for m in messages]
    what = "; ".join(messages) or "the check failed"
    raise ProblemError(
        422, f"{entry.connector.spec.name} did not accept the new credentials: {what}.",
        errors=errors,
        extra={"checks": [{"name": c.name, "ok": c.ok, "detail": c.detail}
                          for c in result.checks],
               "missing_scopes": list(result.missing_scopes)},
    )


async def complete_oauth(
    session: AsyncSession,
    *,
    provider: str,
    code: str | None,
    state: str,
    error: str | None,
    binding: str,
    keyring: Keyring,
    settings: Settings,
    transport: Any = None,
) -> tuple[Connection, bool]:
    """Finish an authorization: check state + session binding, exchange the code, store tokens.
    Returns the connection and whether it replaced earlier credentials (a re-authorization).

    Runs in system mode (the tenant is known only from the state)."""
    from brain.integrations.repository import find_oauth_state

    entry = provider_or_422(provider)
    stored = await find_oauth_state(session, oauth.hash_state(state))
    now = utcnow()
    if stored is None or stored.expires_at < now:
        raise ProblemError(400, "Unknown or expired authorization state; start again.",
                           kind="invalid-token")
    if stored.session_binding != binding:
        raise ProblemError(400, "This authorization was started from another session.",
                           kind="invalid-token")
    connection = await session.get(Connection, stored.connection_id)
    await session.delete(stored)
    if connection is None or connection.provider != entry.id:
        raise ProblemError(400, "The authorization does not match this provider.",
                           kind="invalid-token")
    if connection.status == ConnectionStatus.revoked.value:
        raise ProblemError(400, "The connection was deleted meanwhile; connect it again.",
                           kind="invalid-token")
    if error or not code:
        connection.last_error = f"authorization refused: {error or 'no code'}"[:1000]
        await session.flush()
        return connection, False
    client_raw = settings.integrations_oauth_clients.get(entry.id) or {}
    client = oauth.OAuthClient(client_raw.get("client_id", ""), client_raw.get("client_secret", ""))
    verifier = keyring.decrypt(
        stored.code_verifier_encrypted, context=f"integrations.oauth:{connection.id}"
    )
    credentials = await oauth.exchange_code(
        entry.connector.spec, client, code=code, code_verifier=verifier,
        redirect_uri=stored.redirect_uri, now=now, transport=transport,
    )
    reauthorized = connection.credentials_encrypted is not None
    seal_credentials(keyring, connection, credentials)
    connection.status = ConnectionStatus.active.value
    connection.last_error = None
    connection.next_sync_at = now
    await session.flush()
    return connection, reauthorized


def _validate_range(start: date, end: date) -> None:
    if start > end:
        raise ProblemError(422, "start_date must not be after end_date.",
                           errors=[{"loc": ["body", "start_date"], "message": "after end_date"}])
    if (end - start).days > MAX_SYNC_DAYS:
        raise ProblemError(422, f"A sync covers at most {MAX_SYNC_DAYS} days.")


async def request_sync(
    session: AsyncSession,
    auth: AuthContext,
    connection: Connection,
    *,
    mode: SyncKind,
    start_date: date | None,
    end_date: date | None,
    trigger: str = "manual",
    today: date | None = None,
    only_streams: list[str] | None = None,
) -> SyncRun:
    """Queue a sync run (409 when one is already queued or running, or not connected);
    `only_streams` limits it to those streams."""
    if connection.status in (ConnectionStatus.pending.value, ConnectionStatus.revoked.value):
        raise Conflict("The connection is not connected yet; finish connecting it first.")
    runs = SyncRunRepository(session, auth)
    active = await runs.active(connection.id)
    if active is not None:
        raise ProblemError(409, "A sync of this connection is already queued or running.",
                           extra={"sync_id": str(active.id)})
    today = today or utcnow().date()
    end = end_date or today - timedelta(days=1)
    if mode is SyncKind.backfill:
        start = start_date or connection.backfill_start or end - timedelta(days=365)
    else:
        start = start_date or end - timedelta(days=DELTA_DEFAULT_DAYS)
    _validate_range(start, end)
    run = SyncRun(
        connection_id=connection.id,
        mode=mode.value,
        status=SyncStatus.queued.value,
        trigger=trigger,
        start_date=start,
        end_date=end,
        rows_read=0,
        rows_written=0,
        streams={},
        only_streams=only_streams,
        attempts=0,
        requested_by=auth.user_id,
    )
    runs.add(run)
    await session.flush()
    return run


async def revoke_connection(
    session: AsyncSession,
    auth: AuthContext,
    connection: Connection,
    *,
    purge_data: bool,
    now: datetime,
    keyring: Keyring | None = None,
    transport: Any = None,
) -> None:
    """Forget the credentials and mark the connection revoked; optionally purge the data it
    brought in (the connector knows which warehouse objects are its own)."""
    entry = get_provider(connection.provider)
    if purge_data and entry is not None:
        await entry.connector.purge(session, auth, dict(connection.config))
    if purge_data:
        await session.execute(delete(CrmRecord).where(
            CrmRecord.organization_id == connection.organization_id,
            CrmRecord.connection_id == connection.id))
    if entry is not None and not connection.sandbox and keyring is not None:
        try:
            credentials = open_credentials(keyring, connection)
        except DecryptionError:  # unreadable (key gone): nothing to revoke, still disconnect
            credentials = Credentials()
        token = credentials.refresh_token or credentials.access_token
        if token:
            await oauth.revoke(entry.connector.spec, token, transport=transport)
    connection.status = ConnectionStatus.revoked.value
    connection.revoked_at = now
    connection.credentials_encrypted = None
    connection.token_expires_at = None
    connection.schedule_minutes = None
    connection.next_sync_at = None
    connection.webhook_sync_streams = None
    connection.webhook_sync_at = None
    # An authorization still in flight (a re-authorization) must not bring it back.
    await session.execute(delete(OAuthState).where(
        OAuthState.organization_id == connection.organization_id,
        OAuthState.connection_id == connection.id))
    auth = job_auth(connection.organization_id, connection.id)
    for state in await StreamStateRepository(session, auth).for_connection(connection.id):
        await session.delete(state)
    lease = await session.get(SyncLease, connection.id)
    if lease is not None and lease.organization_id == connection.organization_id:
        await session.delete(lease)
    await session.flush()
    forget_target(connection.id)  # its inbound webhooks are refused from now on
