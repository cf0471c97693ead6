"""The integrations API: provider catalogue, connect flow, connection tests, syncs."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from brain.audit.service import record_audit
from brain.billing.catalog import Quota
from brain.billing.gates import charge_quota, require_integration_slot, require_quota_room
from brain.core.auth import AuthContext
from brain.core.db import set_system_mode
from brain.core.deps import AppSettings, Caller, DbSession, Jobs, get_runtime, identify
from brain.core.deps import Authorized as _Authorized
from brain.core.errors import Conflict, ProblemError
from brain.core.etag import check_if_match
from brain.core.models import utcnow
from brain.core.pagination import (
    PageParams,
    SortOptions,
    json_response,
    page_params,
    page_response,
    paginate,
)
from brain.core.schemas import Page
from brain.integrations import callback, service
from brain.integrations.base import ConnectorError, Record, SyncWindow
from brain.integrations.factory import build_connector
from brain.integrations.models import Connection, ConnectionStatus, SyncKind, SyncRun
from brain.integrations.registry import ProviderEntry, get_provider, providers
from brain.integrations.repository import ConnectionRepository, SyncRunRepository
from brain.integrations.schemas import (
    CallbackRead,
    CheckRead,
    ConnectionCreate,
    ConnectionRead,
    ConnectionReauthorize,
    ConnectionStreamRead,
    ConnectionTestRead,
    ConnectionUpdate,
    ConnectStepRead,
    ProviderList,
    ProviderRead,
    StreamRead,
    SyncCreate,
    SyncRead,
)
from brain.integrations.tasks import RUN_SYNC_JOB
from brain.organizations.permissions import Permission
from brain.warehouse.router_common import IfMatch, created, no_content, with_etag

ORG_PREFIX = "/api/v1/organizations/{org_id}"
Paging = Annotated[PageParams, Depends(page_params)]
ReadIntegrations = Annotated[AuthContext, _Authorized(Permission.integrations_read)]
ManageIntegrations = Annotated[AuthContext, _Authorized(Permission.integrations_write)]
SAMPLE_RECORDS = 5

async def any_caller(request: Request, session: DbSession) -> Caller:
    """Any authenticated caller (a user session or an API key), before an organization."""
    return await identify(request, session)


any_caller.needs_credentials = True  # type: ignore[attr-defined]
Identified = Annotated[Caller, Depends(any_caller)]

catalogue = APIRouter(prefix="/api/v1/integrations", tags=["integrations"])
connections = APIRouter(prefix=f"{ORG_PREFIX}/connections", tags=["integrations"])

CONNECTION_SORT = SortOptions(Connection.id, "created_at", created_at=Connection.created_at)
SYNC_SORT = SortOptions(SyncRun.id, "-created_at", created_at=SyncRun.created_at)


def provider_read(entry: ProviderEntry) -> ProviderRead:
    spec = entry.connector.spec
    streams = entry.connector.stream_catalogue()
    return ProviderRead(
        id=spec.id,
        name=spec.name,
        auth=spec.auth.value,
        scopes=list(spec.scopes),
        config_schema=spec.config_schema,
        streams=[
            StreamRead(
                name=s.name,
                primary_key=list(s.primary_key),
                cursor_field=s.cursor_field,
                modes=[m.value for m in s.modes],
                description=s.description,
            )
            for s in streams
        ],
        sandbox=True,
        docs_url=spec.docs_url,
    )


def connection_read(
    connection: Connection, step: service.ConnectStep | None = None
) -> ConnectionRead:
    entry = get_provider(connection.provider)
    names: list[str] = []
    if entry is not None:
        names = [s.name for s in entry.connector.stream_catalogue()]
    disabled = set(connection.disabled_streams or [])
    read = ConnectionRead.model_validate(connection)
    read.streams = [ConnectionStreamRead(name=n, enabled=n not in disabled) for n in names]
    if step is not None:
        read.next_step = ConnectStepRead(
            type=step.type,
            authorization_url=step.authorization_url,
            fields=list(step.fields),
        )
    return read


def sync_read(run: SyncRun) -> SyncRead:
    read = SyncRead.model_validate(run)
    if run.started_at and run.finished_at:
        read.duration_seconds = round((run.finished_at - run.started_at).total_seconds(), 3)
    return read


def _connection_path(org_id: uuid.UUID, connection_id: uuid.UUID) -> str:
    return f"/api/v1/organizations/{org_id}/connections/{connection_id}"


# The catalogue and the OAuth callback ------------------------------------------------------


@catalogue.get("/providers", response_model=ProviderList, operation_id="list_providers")
async def list_providers(caller: Identified) -> Response:
    """Every provider Brain connects to, with its auth method, scopes and streams."""
    return json_response(ProviderList(data=[provider_read(e) for e in providers()]))


async def optional_caller(request: Request, session: DbSession) -> Caller | ProblemError:
    """The caller, or the problem identifying them raised (the callback turns it into a
    redirect for a browser)."""
    try:
        return await identify(request, session)
    except ProblemError as problem:
        return problem


optional_caller.needs_credentials = True  # type: ignore[attr-defined]
MaybeCaller = Annotated[Caller | ProblemError, Depends(optional_caller)]


@catalogue.get(
    "/{provider}/callback", response_model=None, operation_id="oauth_callback",
    status_code=303, response_class=RedirectResponse,
    responses={
        200: {"model": CallbackRead,
              "description": "With `Accept: application/json`: the completed connection."},
        303: {"description": "A browser goes on to the web app: `/connections/{id}?connected=1`,"
                             " `/connections/{id}?error=authorization-refused` or "
                             "`/connections?error=<problem type slug>`."},
    },
)
async def oauth_callback(
    provider: str,
    request: Request,
    session: DbSession,
    caller: MaybeCaller,
    settings: AppSettings,
    state: Annotated[str | None, Query(description="The `state` the flow started with.")]
    = None,
    code: Annotated[str | None, Query(description="The provider's authorization code.")]
    = None,
    error: Annotated[str | None, Query(description="Set by the provider when the user "
                                                   "declined.")] = None,
) -> Response:
    """Where the provider sends the user back: completes the authorization it was started
    from (the same user session), stores the tokens and activates the connection, then
    sends the browser on to the web app's connections page (API clients sending
    `Accept: application/json` get the connection, or a problem, as JSON)."""
    as_json = callback.wants_json(request)
    try:
        if isinstance(caller, ProblemError):
            raise caller
        if not state or not 8 <= len(state) <= 200 or len(code or "") > 4000 \
                or len(error or "") > 200:
            raise ProblemError(422, "The callback needs the `state` it was started with.",
                               errors=[{"loc": ["query", "state"], "message": "invalid"}])
        if caller.session is not None:
            binding = service.binding_for("user", caller.session.session_id)
        else:
            binding = service.binding_for("api_key", caller.subject_id)
        await set_system_mode(session, True)
        try:
            connection, reauthorized = await service.complete_oauth(
                session,
                provider=provider,
                code=code,
                state=state,
                error=error,
                binding=binding,
                keyring=get_runtime(request).keys,
                settings=settings,
                transport=getattr(request.app.state, "integrations_oauth_transport", None),
            )
        except ConnectorError as exc:
            raise ProblemError(502, f"The provider refused the authorization: {exc.message}",
                               kind="provider-error") from exc
    except ProblemError as problem:
        if as_json:
            raise
        await session.rollback()  # the same outcome as the problem: nothing changes
        return callback.failed(problem)
    if reauthorized:
        await record_audit(
            session, clock=get_runtime(request).clock, action="connection.reauthorized",
            organization_id=connection.organization_id,
            actor_type="user" if caller.session is not None else "api_key",
            actor_id=caller.subject_id, target_type="connection", target_id=connection.id,
            request=request, details={"provider": connection.provider, "auth": "oauth2"},
        )
    if not as_json:
        if connection.status == ConnectionStatus.active.value:
            return callback.connected(connection.id)
        return callback.refused(connection.id)
    return json_response(
        CallbackRead(
            connection_id=connection.id,
            organization_id=connection.organization_id,
            status=connection.status,
        )
    )


# Connections -------------------------------------------------------------------------------


@connections.get("", response_model=Page[ConnectionRead], operation_id="list_connections")
async def list_connections(
    org_id: uuid.UUID,
    request: Request,
    auth: ReadIntegrations,
    session: DbSession,
    params: Paging,
    provider: Annotated[str | None, Query(max_length=40, description="Only this provider.")]
    = None,
) -> Response:
    """The organization's connections (revoked ones are not listed)."""
    stmt = ConnectionRepository(session, auth).list_statement(provider=provider)
    rows, cursor = await paginate(session, stmt, request=request, params=params,
                                  sort=CONNECTION_SORT)
    page = Page[ConnectionRead](
        data=[connection_read(r) for r in rows], next_cursor=cursor, has_more=cursor is not None
    )
    return page_response(request, page)


@connections.post("", response_model=ConnectionRead, status_code=201,
                  operation_id="create_connection",
                  dependencies=[Depends(require_integration_slot())])
async def create_connection(
    org_id: uuid.UUID,
    body: ConnectionCreate,
    request: Request,
    auth: ManageIntegrations,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    """Start connecting a provider. Sandbox connections are ready at once; otherwise
    `next_step` carries the OAuth `authorization_url` or asks for an API key."""
    connection, step = await service.create_connection(
        session, auth,
        provider=body.provider, sandbox=body.sandbox, config=body.config, name=body.name,
        credentials=body.credentials, keyring=get_runtime(request).keys, settings=settings,
    )
    return created(connection_read(connection, step), _connection_path(org_id, connection.id))


@connections.get("/{connection_id}", response_model=ConnectionRead,
                 operation_id="get_connection")
async def get_connection(
    org_id: uuid.UUID, connection_id: uuid.UUID, auth: ReadIntegrations, session: DbSession
) -> Response:
    """One connection."""
    connection = await ConnectionRepository(session, auth).get_or_404(connection_id)
    return with_etag(connection_read(connection))


@connections.patch("/{connection_id}", response_model=ConnectionRead,
                   operation_id="update_connection")
async def update_connection(
    org_id: uuid.UUID,
    connection_id: uuid.UUID,
    body: ConnectionUpdate,
    request: Request,
    auth: ManageIntegrations,
    session: DbSession,
    if_match: IfMatch = None,
) -> Response:
    """Rename, switch streams on or off, change the sync schedule, or give the API key."""
    connection = await ConnectionRepository(session, auth).get_or_404(connection_id)
    check_if_match(if_match, connection_read(connection))
    entry = service.provider_or_422(connection.provider)
    fields = body.model_fields_set
    if "name" in fields and body.name:
        connection.name = body.name
    if body.streams is not None:
        known = {s.name for s in entry.connector.stream_catalogue()}
        unknown = sorted(set(body.streams) - known)
        if unknown:
            raise ProblemError(422, f"Unknown stream(s): {', '.join(unknown)}.",
                               errors=[{"loc": ["body", "streams"], "message": "unknown stream"}])
        disabled = set(connection.disabled_streams or [])
        for name, enabled in body.streams.items():
            (disabled.discard if enabled else disabled.add)(name)
        connection.disabled_streams = sorted(disabled)
    if "schedule_minutes" in fields:
        connection.schedule_minutes = body.schedule_minutes
        connection.next_sync_at = (
            utcnow() + timedelta(minutes=body.schedule_minutes)
            if body.schedule_minutes else None
        )
    if body.backfill_start is not None:
        connection.backfill_start = body.backfill_start
    if body.credentials is not None:
        if connection.sandbox or entry.connector.spec.auth.value != "api_key":
            raise ProblemError(422, "Only API-key connections take credentials here.")
        service.set_api_key(connection, body.credentials, get_runtime(request).keys)
    await session.flush()
    return with_etag(connection_read(connection))


@connections.delete("/{connection_id}", status_code=204, operation_id="delete_connection")
async def delete_connection(
    org_id: uuid.UUID,
    connection_id: uuid.UUID,
    request: Request,
    auth: ManageIntegrations,
    session: DbSession,
    purge_data: Annotated[
        bool, Query(description="Also delete the data this connection brought in.")
    ] = False,
    if_match: IfMatch = None,
) -> Response:
    """Disconnect: revoke the token at the provider (where it supports that), forget the
    credentials and stop syncing; keep or purge the synced data."""
    connection = await ConnectionRepository(session, auth).get_or_404(connection_id)
    check_if_match(if_match, connection_read(connection))
    await service.revoke_connection(
        session, auth, connection, purge_data=purge_data, now=utcnow(),
        keyring=get_runtime(request).keys,
        transport=getattr(request.app.state, "integrations_oauth_transport", None),
    )
    return no_content()


@connections.post("/{connection_id}/reauthorize", response_model=ConnectionRead,
                  operation_id="reauthorize_connection",
                  responses={502: {"description": "The provider could not check the new "
                                                  "credentials; try again later."}})
async def reauthorize_connection(
    org_id: uuid.UUID,
    connection_id: uuid.UUID,
    body: ConnectionReauthorize,
    request: Request,
    auth: ManageIntegrations,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    """Authorize a connection again (after `needs_reauth`, a rotated key): an OAuth provider
    gets a new authorization (`next_step.authorization_url`; the callback stores the new
    tokens), an API-key provider's new `credentials` are checked with the provider and stored
    (422 naming what failed, the old key kept), a sandbox connection is active again at once.
    Uses no new integration slot."""
    connection = await ConnectionRepository(session, auth).get_or_404(connection_id)
    outcome = await service.reauthorize_connection(
        session, auth, connection, config=body.config, credentials=body.credentials,
        keyring=get_runtime(request).keys, settings=settings,
        transport=getattr(request.app.state, "integrations_provider_transport", None),
    )
    await record_audit(
        session, clock=get_runtime(request).clock,
        action="connection.reauthorized" if outcome.completed
        else "connection.reauthorization_started",
        actor=auth, target_type="connection", target_id=connection.id, request=request,
        details={"provider": connection.provider, "auth": outcome.method},
    )
    return json_response(connection_read(connection, outcome.step))


@connections.post("/{connection_id}/test", response_model=ConnectionTestRead,
                  operation_id="test_connection")
async def test_connection(
    org_id: uuid.UUID,
    connection_id: uuid.UUID,
    request: Request,
    auth: ManageIntegrations,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    """Check the credentials and scopes and read a small sample; reports each check."""
    connection = await ConnectionRepository(session, auth).get_or_404(connection_id)
    if connection.status == ConnectionStatus.pending.value:
        raise Conflict("The connection is not connected yet.")
    entry = service.provider_or_422(connection.provider)
    sampled = 0
    try:
        connector = build_connector(
            entry, connection, keyring=get_runtime(request).keys, settings=settings
        )
    except (ConnectorError, KeyError, ValueError) as exc:
        failed = ConnectionTestRead(
            ok=False,
            checks=[CheckRead(name="configuration", ok=False,
                              detail=f"cannot build the connector: {exc}")],
            missing_scopes=[],
            sample_records=0,
        )
        return json_response(failed)
    try:
        result = await connector.check()
        if result.ok:
            stream = next(
                (s for s in connector.streams() if s.name not in connection.disabled_streams),
                None,
            )
            if stream is not None:
                yesterday = utcnow().date() - timedelta(days=1)
                window = SyncWindow(start_date=yesterday - timedelta(days=2), end_date=yesterday)
                try:
                    async for message in connector.read(stream, None, window):
                        if isinstance(message, Record):
                            sampled += 1
                            if sampled >= SAMPLE_RECORDS:
                                break
                except ConnectorError as exc:
                    result.add("sample read", False, str(exc))
                else:
                    result.add("sample read", True, f"{sampled} record(s) of {stream.name}")
    finally:
        await connector.http.aclose()
    body = ConnectionTestRead(
        ok=result.ok,
        checks=[CheckRead(name=c.name, ok=c.ok, detail=c.detail) for c in result.checks],
        missing_scopes=result.missing_scopes,
        sample_records=sampled,
    )
    return json_response(body)


# Syncs -------------------------------------------------------------------------------------


@connections.get("/{connection_id}/syncs", response_model=Page[SyncRead],
                 operation_id="list_syncs")
async def list_syncs(
    org_id: uuid.UUID,
    connection_id: uuid.UUID,
    request: Request,
    auth: ReadIntegrations,
    session: DbSession,
    params: Paging,
) -> Response:
    """The connection's sync runs, newest first."""
    await ConnectionRepository(session, auth).get_or_404(connection_id)
    stmt = SyncRunRepository(session, auth).list_statement(connection_id)
    rows, cursor = await paginate(session, stmt, request=request, params=params, sort=SYNC_SORT)
    page = Page[SyncRead](
        data=[sync_read(r) for r in rows], next_cursor=cursor, has_more=cursor is not None
    )
    return page_response(request, page)


@connections.post("/{connection_id}/syncs", response_model=SyncRead, status_code=202,
                  operation_id="create_sync",
                  dependencies=[Depends(require_quota_room(Quota.events_per_month)),
                                Depends(charge_quota(Quota.syncs_per_day))])
async def create_sync(
    org_id: uuid.UUID,
    connection_id: uuid.UUID,
    body: SyncCreate,
    auth: ManageIntegrations,
    session: DbSession,
    jobs: Jobs,
) -> Response:
    """Queue a backfill (from `start_date`) or a delta sync; one runs at a time."""
    connection = await ConnectionRepository(session, auth).get_or_404(connection_id)
    run = await service.request_sync(
        session, auth, connection, mode=SyncKind(body.mode),
        start_date=body.start_date, end_date=body.end_date,
    )
    jobs.enqueue(RUN_SYNC_JOB, sync_run_id=str(run.id), organization_id=str(org_id))
    return created(
        sync_read(run), f"{_connection_path(org_id, connection_id)}/syncs/{run.id}",
        status_code=202,
    )


@connections.get("/{connection_id}/syncs/{sync_id}", response_model=SyncRead,
                 operation_id="get_sync")
async def get_sync(
    org_id: uuid.UUID,
    connection_id: uuid.UUID,
    sync_id: uuid.UUID,
    auth: ReadIntegrations,
    session: DbSession,
) -> Response:
    """One sync run: status, rows read and written per stream, duration, error."""
    run = await SyncRunRepository(session, auth).get_for_connection(connection_id, sync_id)
    if run is None:
        raise ProblemError(404, "Sync not found.")
    return json_response(sync_read(run))


routers = (catalogue, connections)
