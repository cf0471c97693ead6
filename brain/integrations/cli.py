"""`brain integrations …`: connect sandbox providers and run syncs in this process (the demo
and operators use it; registered on the main Typer app by `register`)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated

import typer
from rich.console import Console

from brain.core.db import BYPASS_INFO_KEY
from brain.core.runtime import Runtime
from brain.integrations.engine import SyncEngine
from brain.integrations.loaders import job_auth
from brain.integrations.models import Connection, SyncKind
from brain.integrations.service import create_connection, request_sync
from brain.settings import Settings

err = Console(stderr=True)
AD_PROVIDERS = "meta_ads,google_ads,tiktok_ads"


class _NoFollowUps:
    """Jobs a CLI sync would send (brain run, e-mails) are dropped; the CLI says so."""

    async def dispatch(self, name: str, kwargs: dict[str, object]) -> None:
        err.print(f"  (follow-up job {name} not sent from the CLI)")


async def _sync(runtime: Runtime, connection: Connection, mode: SyncKind) -> str:
    async with runtime.session_factory() as session:
        session.info[BYPASS_INFO_KEY] = True
        run = await request_sync(session, job_auth(connection.organization_id, connection.id),
                                 connection, mode=mode, start_date=None, end_date=None,
                                 trigger="manual")
        await session.commit()
    # No brain run is requested from here: nothing would run it (`brain run` does, at once).
    result = await SyncEngine(runtime, dispatcher=_NoFollowUps(), request_brain_run=False).run(
        sync_run_id=run.id, organization_id=connection.organization_id
    )
    return f"sync {run.id}: {result.status}" + (f" ({result.error})" if result.error else "")


async def connect_sandbox(
    settings: Settings, org: uuid.UUID, providers: list[str], vertical: str, days: int,
    backfill: bool,
) -> list[str]:
    """Create sandbox connections for `org` (and backfill them); one line per connection."""
    runtime = Runtime.create(settings)
    lines: list[str] = []
    try:
        for provider in providers:
            async with runtime.session_factory() as session:
                session.info[BYPASS_INFO_KEY] = True
                connection, _ = await create_connection(
                    session, job_auth(org, org), provider=provider, sandbox=True,
                    config={"sandbox": {"vertical": vertical, "days": days}}, name=None,
                    credentials=None, keyring=runtime.keys, settings=settings,
                )
                await session.commit()
            line = f"{provider}: connection {connection.id}"
            if backfill:
                line += " — " + await _sync(runtime, connection, SyncKind.backfill)
            lines.append(line)
    finally:
        await runtime.close()
    return lines


def register(app: typer.Typer) -> None:
    integrations = typer.Typer(help="Connections and syncs.", no_args_is_help=True)
    app.add_typer(integrations, name="integrations")

    @integrations.command("sandbox")
    def sandbox_command(
        org: Annotated[str, typer.Option("--org", help="Organization id.")],
        providers: Annotated[str, typer.Option(help="Comma-separated provider ids.")]
        = AD_PROVIDERS,
        vertical: Annotated[str, typer.Option(help="Simulated business.")] = "beauty",
        days: Annotated[int, typer.Option(min=30, max=730)] = 365,
        backfill: Annotated[bool, typer.Option("--backfill/--no-backfill")] = True,
    ) -> None:
        """Connect sandbox providers (the built-in simulators) and backfill them now."""
        from brain.cli import _settings

        try:
            org_id = uuid.UUID(org)
        except ValueError as exc:
            raise typer.BadParameter("--org must be an organization id") from exc
        wanted = [p.strip() for p in providers.split(",") if p.strip()]
        for line in asyncio.run(connect_sandbox(_settings(), org_id, wanted, vertical, days,
                                                backfill)):
            typer.echo(line)


__all__ = ["connect_sandbox", "register"]
