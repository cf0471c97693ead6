"""The `brain` command: serve | worker | beat | migrate | seed | demo | orgs | api-keys."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import uuid
from collections.abc import Coroutine
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console

from brain.billing.cli import register as register_billing_commands
from brain.brain_modules.cli import register as register_run_command
from brain.brain_modules.evaluation.cli import register as register_eval_command
from brain.cli_ops import CLIError
from brain.integrations.cli import register as register_integrations_commands
from brain.settings import InsecureSettingsError, Settings, get_settings

T = TypeVar("T")

app = typer.Typer(
    name="brain",
    help="Brain: marketing intelligence for direct-to-consumer brands.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
orgs_app = typer.Typer(help="Manage organizations.", no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
app.add_typer(orgs_app, name="orgs")
app.add_typer(keys_app, name="api-keys")
register_billing_commands(app, orgs_app)  # orgs set-plan|override, operators add
register_eval_command(app)  # brain eval
register_run_command(app)  # brain run
register_integrations_commands(app)  # brain integrations sandbox

err = Console(stderr=True)
out = Console(soft_wrap=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object for scripts.")]


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def _settings() -> Settings:
    try:
        settings = get_settings()
        settings.check_production()
        return settings
    except InsecureSettingsError as exc:
        fail(str(exc))
    except Exception as exc:  # pydantic validation of the environment
        fail(f"invalid configuration: {exc}".splitlines()[0])


def run(coro: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(coro)
    except CLIError as exc:
        fail(str(exc))


def _setup_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )


@app.command()
def migrate() -> None:
    """Apply database migrations (creates the SQLite file on first run)."""
    from brain.core.migrate import upgrade

    settings = _settings()
    with err.status("Migrating the database…"):
        try:
            upgrade(settings)
        except Exception as exc:
            fail(f"migration failed: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    err.print("[green]database is up to date[/]")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (BRAIN_HOST).")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port (BRAIN_PORT).")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Uvicorn worker processes.")] = 1,
) -> None:
    """Serve the API (and, without BRAIN_BROKER_URL, an in-process job worker)."""
    settings = _settings()
    _serve(settings, host or settings.host, port or settings.port, workers)


def _serve(settings: Settings, host: str, port: int, workers: int) -> None:
    import uvicorn

    _setup_logging(settings)
    if workers > 1 and not settings.broker_url:
        fail("more than one worker process needs BRAIN_BROKER_URL (a shared Celery broker)")
    if workers > 1:
        from brain.serving import serve_processes

        # One listening socket per process (SO_REUSEPORT): see brain/serving.py.
        serve_processes("brain.asgi:app", host=host, port=port, workers=workers,
                        log_level="warning", proxy_headers=True)
        return
    from brain.app import create_app

    # The embedded worker's periodic pumps would log every few seconds at INFO.
    for name in ("celery.beat", "celery.worker.strategy", "celery.app.trace"):
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.root.level))
    from brain.serving import tune_gc

    application = create_app(settings, start_worker=True, serving=True)
    tune_gc()
    uvicorn.run(application, host=host, port=port, log_level="warning")


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 2,
    queues: Annotated[str, typer.Option(help="Comma-separated queues.")] = "celery",
) -> None:
    """Run a Celery worker (production; needs BRAIN_BROKER_URL)."""
    settings = _settings()
    if not settings.broker_url:
        fail("BRAIN_BROKER_URL is not set; `brain serve` runs jobs in-process without it")
    from brain.worker import configure

    celery = configure(settings)
    celery.worker_main(["worker", f"--concurrency={concurrency}", f"--queues={queues}",
                        "--loglevel=INFO"])


@app.command()
def beat() -> None:
    """Run Celery beat, the scheduler of periodic jobs (production; one per deployment)."""
    settings = _settings()
    if not settings.broker_url:
        fail("BRAIN_BROKER_URL is not set; `brain serve` runs the schedule in-process without it")
    from brain.worker import configure

    celery = configure(settings)
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    celery.start(["beat", "--loglevel=INFO",
                  f"--schedule={settings.var_dir / 'beat-schedule'}"])


@orgs_app.command("create")
def orgs_create(
    name: Annotated[str, typer.Option(help="Organization name.")],
    as_json: JsonFlag = False,
) -> None:
    """Create an organization and its first admin API key."""
    from brain.cli_ops import create_org_with_key

    settings = _settings()
    org_id, token = run(create_org_with_key(settings, name))
    if as_json:
        print(json.dumps({"organization_id": str(org_id), "api_key": token}))
    else:
        out.print(f"organization [bold]{org_id}[/] created")
        out.print(f"admin API key (shown once): [bold]{token}[/]")


@keys_app.command("create")
def api_keys_create(
    org: Annotated[str, typer.Option("--org", help="Organization id.")],
    role: Annotated[str, typer.Option(help="admin | analyst | viewer")] = "viewer",
    name: Annotated[str, typer.Option(help="What the key is for.")] = "cli",
    as_json: JsonFlag = False,
) -> None:
    """Issue an API key for an organization."""
    from brain.cli_ops import create_key
    from brain.organizations.permissions import ApiKeyRole

    try:
        org_id = uuid.UUID(org)
    except ValueError:
        fail(f"--org must be an organization id (a UUID), got {org!r}")
    try:
        role_value = ApiKeyRole(role)
    except ValueError:
        fail(f"--role must be one of admin, analyst, viewer; got {role!r}")
    settings = _settings()
    key_id, token = run(create_key(settings, org_id, role_value, name))
    if as_json:
        print(json.dumps({"id": str(key_id), "api_key": token}))
    else:
        out.print(f"{role_value} key [bold]{key_id}[/] (shown once): [bold]{token}[/]")


@app.command()
def seed(
    vertical: Annotated[str, typer.Argument(help="beauty | supplements | wellness")],
    days: Annotated[int, typer.Option(min=30, max=1095, help="Days of history.")] = 365,
    seed_value: Annotated[int, typer.Option("--seed", help="Random seed.")] = 7,
    as_json: JsonFlag = False,
) -> None:
    """Create (or refresh) a vertical's demo tenant with simulated history and ground truth."""
    from brain.demo.seed import VERTICALS, seed_vertical

    if vertical not in VERTICALS:
        fail(f"unknown vertical {vertical!r}; choose one of {', '.join(VERTICALS)}")
    settings = _settings()
    result = run(seed_vertical(settings, vertical, days=days, seed=seed_value,
                               progress=not as_json))
    if as_json:
        print(json.dumps(result.as_json()))
    else:
        out.print(f"demo tenant [bold]{result.organization_name}[/] ({result.organization_id})")
        out.print(f"admin API key (shown once): [bold]{result.api_key}[/]")
        out.print(f"ground truth: {result.ground_truth}")


@app.command()
def demo(
    vertical: Annotated[str, typer.Option(help="beauty | supplements | wellness")] = "beauty",
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port.")] = None,
) -> None:
    """Migrate, seed the demo tenant and serve, printing how to log in."""
    from brain.core.migrate import upgrade
    from brain.demo.seed import VERTICALS, seed_vertical

    if vertical not in VERTICALS:
        fail(f"unknown vertical {vertical!r}; choose one of {', '.join(VERTICALS)}")
    settings = _settings()
    with err.status("Migrating the database…"):
        upgrade(settings)
    result = run(seed_vertical(settings, vertical, progress=True))
    from brain.cli_ops import ensure_demo_user

    email, password = run(ensure_demo_user(settings, result.organization_id))
    bind_host, bind_port = host or settings.host, port or settings.port
    out.rule("Brain demo")
    out.print(f"Open  http://{bind_host}:{bind_port}/  (the web app: the FACE dashboard; "
              "press \"Run the brain now\")")
    out.print(f"API   http://{bind_host}:{bind_port}/api/docs  (API explorer)")
    out.print(f"Log in: {email} / {password}  (at http://{bind_host}:{bind_port}/login)")
    out.print(f"Tenant: {result.organization_name}  id {result.organization_id}")
    out.print(f"API key (admin): {result.api_key}")
    out.print(f'Try:   curl -H "Authorization: Bearer {result.api_key}" '
              f"http://{bind_host}:{bind_port}/api/v1/organizations/{result.organization_id}"
              "/channels")
    out.rule()
    _serve(settings, bind_host, bind_port, 1)


outbox_app = typer.Typer(help="Show emails kept in the embedded outbox.", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")


@outbox_app.command("list")
def outbox_list(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest first.")] = 20,
    as_json: JsonFlag = False,
) -> None:
    """List the newest emails in the outbox (BRAIN_EMAIL_BACKEND=outbox)."""
    from brain.core.email.outbox import list_outbox

    entries = list_outbox(_settings(), limit)
    if as_json:
        print(json.dumps({"items": [
            {key: entry.as_json()[key] for key in ("id", "created_at", "to", "subject",
                                                   "category")}
            for entry in entries
        ]}))
        return
    if not entries:
        err.print("the outbox is empty")
        return
    for entry in entries:
        out.print(f"[bold]{entry.id}[/]  {entry.created_at}  {', '.join(entry.to)}  "
                  f"{entry.subject}", highlight=False, markup=True)


@outbox_app.command("show")
def outbox_show(
    message_id: Annotated[str, typer.Argument(metavar="ID", help="Id from `brain outbox list`.")],
    html: Annotated[bool, typer.Option("--html", help="Print the HTML part.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Show one email from the outbox: its headers and text (or HTML) part."""
    from brain.core.email.outbox import read_outbox

    entry = read_outbox(_settings(), message_id)
    if entry is None:
        fail(f"no message {message_id!r} in the outbox")
    if as_json:
        print(json.dumps(entry.as_json()))
        return
    print(f"Id: {entry.id}\nDate: {entry.created_at}\nFrom: {entry.sender}\n"
          f"To: {', '.join(entry.to)}\nSubject: {entry.subject}\n")
    print(entry.html or "" if html else entry.text)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
