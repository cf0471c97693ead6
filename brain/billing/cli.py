"""CLI commands of plans and operators: `brain orgs set-plan`, `brain orgs override`,
`brain operators add|remove`."""

from __future__ import annotations

import asyncio
import getpass
import json
import uuid
from datetime import UTC, date, datetime, time
from typing import Annotated

import typer


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:
        return "cli"


def _org_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise typer.BadParameter(f"ORG_ID must be an organization id (a UUID), got {value!r}") \
            from exc


async def _run_set_plan(org_id: uuid.UUID, plan: str) -> str:
    from brain.billing.entitlements import evict_plan_state
    from brain.billing.overrides import force_plan
    from brain.cli import _settings
    from brain.core.db import system_session
    from brain.core.runtime import Runtime

    runtime = Runtime.create(_settings())
    try:
        async with system_session(runtime.session_factory) as session:
            previous = await force_plan(session, org_id, plan, actor=_actor(),
                                        clock=runtime.clock)
        await evict_plan_state(runtime.cache, org_id)
        return previous
    finally:
        await runtime.close()


async def _run_override(org_id: uuid.UUID, target: str, value: str, until: datetime,
                        reason: str) -> str:
    from brain.billing.entitlements import evict_plan_state
    from brain.billing.overrides import add_override, parse_override
    from brain.cli import _settings
    from brain.core.db import system_session
    from brain.core.runtime import Runtime

    spec = parse_override(target, value)
    runtime = Runtime.create(_settings())
    try:
        async with system_session(runtime.session_factory) as session:
            override = await add_override(session, org_id, spec, until=until, reason=reason,
                                          actor=_actor(), clock=runtime.clock)
            override_id = str(override.id)
        await evict_plan_state(runtime.cache, org_id)
        return override_id
    finally:
        await runtime.close()


async def _run_operator(email: str, enabled: bool) -> str:
    from brain.billing.overrides import set_operator
    from brain.cli import _settings
    from brain.core.db import system_session
    from brain.core.runtime import Runtime

    runtime = Runtime.create(_settings())
    try:
        async with system_session(runtime.session_factory) as session:
            user = await set_operator(session, email, enabled=enabled, clock=runtime.clock)
            return str(user.id)
    finally:
        await runtime.close()


def _call(coro: object) -> str:
    from brain.billing.overrides import OverrideError
    from brain.cli import fail

    try:
        result: str = asyncio.run(coro)  # type: ignore[arg-type]
    except OverrideError as exc:
        fail(str(exc))
    return result


def register(app: typer.Typer, orgs_app: typer.Typer) -> None:
    """Add the commands to the `brain` app (one line in brain/cli.py)."""
    operators_app = typer.Typer(help="Manage platform operators.", no_args_is_help=True)
    app.add_typer(operators_app, name="operators")

    @orgs_app.command("set-plan")
    def orgs_set_plan(
        org_id: Annotated[str, typer.Argument(metavar="ORG_ID")],
        plan: Annotated[str, typer.Argument(help="trial | starter | growth | scale | "
                                            "enterprise")],
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Put an organization on a plan (operators; no Stripe charge, audited)."""
        previous = _call(_run_set_plan(_org_id(org_id), plan))
        if as_json:
            print(json.dumps({"organization_id": org_id, "plan": plan, "previous": previous}))
        else:
            typer.echo(f"{org_id}: plan {previous} -> {plan}")

    @orgs_app.command("override")
    def orgs_override(
        org_id: Annotated[str, typer.Argument(metavar="ORG_ID")],
        quota: Annotated[str, typer.Argument(
            metavar="QUOTA", help="A quota (e.g. api_requests_per_minute), module.<name>, "
            "feature.<name> or trial_days.")],
        value: Annotated[str, typer.Argument(help="A number, 'unlimited', or 'on'.")],
        until: Annotated[datetime, typer.Option(
            "--until", formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"],
            help="Expiry (UTC): a date (end of that day) or a timestamp.")],
        reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit).")],
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Override the plan for an organization until a date (audited)."""
        expires = until.replace(tzinfo=UTC)
        if expires.time() == time(0, 0):  # a bare date: the end of that day
            expires = datetime.combine(date(until.year, until.month, until.day),
                                       time(23, 59, 59), UTC)
        override_id = _call(_run_override(_org_id(org_id), quota, value, expires, reason))
        if as_json:
            print(json.dumps({"id": override_id, "organization_id": org_id, "quota": quota,
                              "value": value, "until": expires.isoformat()}))
        else:
            typer.echo(f"override {override_id}: {quota} = {value} until {expires:%Y-%m-%d %H:%M} "
                       "UTC")

    @operators_app.command("add")
    def operators_add(email: Annotated[str, typer.Argument(metavar="EMAIL")]) -> None:
        """Make a user a platform operator (may read /api/v1/admin/*)."""
        user_id = _call(_run_operator(email, True))
        typer.echo(f"{email} ({user_id}) is a platform operator")

    @operators_app.command("remove")
    def operators_remove(email: Annotated[str, typer.Argument(metavar="EMAIL")]) -> None:
        """Take the operator flag away."""
        user_id = _call(_run_operator(email, False))
        typer.echo(f"{email} ({user_id}) is no longer a platform operator")
