"""The inbound webhook benchmark: `brain serve` (one uvicorn process with its embedded job
worker) on a fresh PostgreSQL database, a Shopify connection with a signing secret, and 32
concurrent senders POSTing signed `orders/create` events. Measures acknowledgements/s and
latency percentiles, checks every acknowledged event was stored exactly once, and how long
the worker took to process the backlog. Writes results.json and results.md here."""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from benchmarks.api import machine
from benchmarks.api.servers import (
    BENCH_SECRET,
    PG_DSN,
    PROD_REDIS_URL,
    Target,
    brain_server,
    migrate_and_create_org,
    postgres_version,
    venv_bin,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PG_DB = "brain_bench_webhooks"
SHOP_SECRET = "shpss_" + secrets.token_hex(16)
P95_TARGET_MS = 20.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def fresh_postgres_target(tmp: Path) -> Target:
    """A new `brain_bench_webhooks` database and the environment Brain runs with."""
    import os

    var_dir = tmp / "var-postgresql"
    var_dir.mkdir(parents=True, exist_ok=True)
    with psycopg.connect(PG_DSN, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(PG_DB)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(PG_DB)))
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_DB}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRAIN_")}
    env.update({
        "BRAIN_DATABASE_URL": url, "BRAIN_VAR_DIR": str(var_dir),
        "BRAIN_SECRET_KEY": BENCH_SECRET, "BRAIN_RATE_LIMIT_PER_MINUTE": "0",
        "BRAIN_ENV": "development",
    })
    return Target(name="postgresql", database_url=url, var_dir=var_dir, env=env)


async def _create_connection(target: Target, org_id: str) -> str:
    """A Shopify connection with its webhook secret, written through Brain's own code."""
    import brain.models_registry  # noqa: F401  (every table, for the foreign keys)
    from brain.core.db import system_session
    from brain.core.runtime import Runtime
    from brain.integrations.inbound import set_secret
    from brain.integrations.models import Connection
    from brain.settings import Settings

    settings = Settings(database_url=target.database_url, var_dir=target.var_dir,
                        secret_key=BENCH_SECRET, _env_file=None)
    runtime = Runtime.create(settings)
    try:
        async with system_session(runtime.session_factory) as session:
            connection = Connection(organization_id=uuid.UUID(org_id), provider="shopify",
                                    name="Benchmark shop", status="active", sandbox=True)
            session.add(connection)
            await session.flush()
            await set_secret(session, runtime.keys, connection, SHOP_SECRET)
            connection_id = str(connection.id)
    finally:
        await runtime.close()
    return connection_id


def _inbox_counts() -> dict[str, int]:
    with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={PG_DB}") as conn:
        rows = conn.execute(
            "SELECT status, count(*) FROM inbound_webhook_events GROUP BY status").fetchall()
    return {str(status): int(n) for status, n in rows}


def _wait_for_processing(max_wait: float) -> dict[str, Any]:
    started = time.monotonic()
    counts = _inbox_counts()
    while (counts.get("pending", 0) + counts.get("processing", 0)
           and time.monotonic() - started < max_wait):
        time.sleep(1)
        counts = _inbox_counts()
    return {"seconds": round(time.monotonic() - started, 1), "statuses": counts}


def _use_wrk(args: argparse.Namespace, rate: float) -> bool:
    """wrk drives the closed loop when it is installed (it cannot pace an open loop)."""
    from benchmarks.webhooks.wrk_loadgen import wrk_path

    return rate == 0.0 and args.loadgen != "python" and wrk_path() is not None


def _load(url: str, args: argparse.Namespace, *, rate: float) -> dict[str, Any]:
    """One load-generator run in its own process; its JSON result."""
    if _use_wrk(args, rate):
        command = [sys.executable, "-m", "benchmarks.webhooks.wrk_loadgen", url, "--secret",
                   SHOP_SECRET, "--connections", str(args.connections), "--duration",
                   str(args.duration), "--warmup", str(args.warmup)]
    else:
        command = [sys.executable, "-m", "benchmarks.webhooks.loadgen", url, "--secret",
                   SHOP_SECRET, "--connections", str(args.connections), "--duration",
                   str(args.duration), "--warmup", str(args.warmup), "--rate", str(rate)]
    out = subprocess.run(
        command,
        capture_output=True, text=True, timeout=args.duration + args.warmup + 120,
        check=True, cwd=ROOT,
    )
    line = next(x for x in out.stdout.splitlines() if x.startswith("BENCH_RESULT "))
    result: dict[str, Any] = json.loads(line.removeprefix("BENCH_RESULT "))
    return result


def _row(label: str, load: dict[str, Any]) -> str:
    return (f"| {label} | {load['acks_per_s']:,.0f} | {load['p50_ms']:.2f} | "
            f"{load['p95_ms']:.2f} | {load['p99_ms']:.2f} | {load['max_ms']:.1f} | "
            f"{load['requests']:,} | {load['statuses']} | {load['errors'] or 'none'} |")


def _verdict(load: dict[str, Any]) -> str:
    ok = load["p95_ms"] < P95_TARGET_MS and not load["errors"]
    return "PASS" if ok else "FAIL"


SHAPES = {
    "embedded": "`brain serve` — one uvicorn process whose embedded job worker processes the "
                "events in the same process, giving way while requests are served (the "
                "default set-up)",
    "production": "`brain serve` with `BRAIN_BROKER_URL` (Redis) acknowledging, and a separate "
                  "`brain worker` (Celery, one process) processing — the production set-up",
}


def render(results: dict[str, Any]) -> str:
    runs = results["runs"]
    m = results["machine"]
    first = runs[0]["closed_loop"]
    lines = [
        "# Inbound webhook benchmark",
        "",
        f"On PostgreSQL, {first['connections']} concurrent keep-alive senders POST signed "
        "Shopify `orders/create` events (each a new order with its own event id and HMAC) for "
        f"{first['duration_s']:.0f} s after a {first['warmup_s']:.0f} s warm-up, first closed "
        "loop (each sender sends again as soon as it is answered: the saturation throughput), "
        "then open loop at about half that rate in total (latency counted from each request's "
        "scheduled time). Each set-up runs on a fresh database. Command: "
        "`bash benchmarks/webhooks/run.sh`.",
        "",
    ]
    lines += [f"- **{r['shape']}**: {SHAPES[r['shape']]}" for r in runs]
    lines += [
        "",
        "| set-up | target | measured | result |",
        "|---|---|---|---|",
    ]
    for r in runs:
        closed, opened = r["closed_loop"], r["open_loop"]
        lines += [
            f"| {r['shape']} | ack p95 < {P95_TARGET_MS:.0f} ms, {closed['connections']} "
            f"senders, closed loop | p95 {closed['p95_ms']:.1f} ms at "
            f"{closed['acks_per_s']:,.0f} acks/s | **{_verdict(closed)}** |",
            f"| {r['shape']} | ack p95 < {P95_TARGET_MS:.0f} ms, {opened['connections']} "
            f"senders, open loop at {opened['offered_rate']:,.0f} req/s | p95 "
            f"{opened['p95_ms']:.1f} ms | **{_verdict(opened)}** |",
        ]
    lines += [
        "",
        "| set-up | run | acks/s | p50 ms | p95 ms | p99 ms | max ms | requests | statuses "
        "| errors |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        closed, opened = r["closed_loop"], r["open_loop"]
        lines += [
            f"| {r['shape']} " + _row("closed loop", closed),
            f"| {r['shape']} "
            + _row(f"open loop ({opened['offered_rate']:,.0f} req/s offered)", opened),
        ]
    lines.append("")
    for r in runs:
        drained = r["processing_after_load"]
        lines += [
            f"**{r['shape']}**: every acknowledged event stored exactly once: "
            f"**{r['stored_once']}** ({r['inbox_rows']:,} inbox rows for {r['acks_total']:,} "
            "acks, warm-ups included"
            + (f", plus at most {r['unanswered_bound']} requests wrk left in flight when it "
               "stopped" if r.get("unanswered_bound") else "")
            + "); processing (order upserts, "
            + ("paced to 2 % of the time while the API serves requests, so mostly after "
               "the load" if r["shape"] == "embedded" else "concurrently with the load")
            + "): "
            f"backlog drained {r.get('processing_after_closed_loop', {}).get('seconds', '?')} s "
            f"after the closed loop (the open loop starts after that) and "
            f"{drained['seconds']} s after the open loop, final statuses "
            f"{drained['statuses']}; background load before the run "
            f"{r['background']['machine_busy_pct']} % busy "
            f"({', '.join(r['background']['busiest_other_processes']) or 'nothing'}).",
            "",
        ]
    lines += [
        "## Machine",
        "",
        f"- {m['cpu_model']}, {m['cpu_cores_logical']} logical cores, {m['ram_gib']} GiB RAM, "
        f"{m['os']}",
        f"- {m['python']}, PostgreSQL {m['postgresql']}; load generator: {m['load_generator']}",
        f"- {m['date_utc']}, git {m['git_revision']}",
        "",
        "Client, server, worker and PostgreSQL share the same 2 cores.",
    ]
    return "\n".join(lines) + "\n"


def _measure(url: str, args: argparse.Namespace, exclude: set[int]) -> dict[str, Any]:
    """Closed loop, open loop at a fraction of its rate, then the wait for the backlog."""
    background = machine.background_load(2.0, exclude=exclude)
    log(f"closed loop: {args.connections} senders, {args.duration:.0f} s → {url}")
    closed = _load(url, args, rate=0.0)
    log(f"  {closed['acks_per_s']} acks/s, p95 {closed['p95_ms']} ms; waiting for the worker…")
    # The closed loop outruns the worker: let it finish that backlog first, so the open loop
    # is not measured against a worker still busy with the previous run's events.
    between = _wait_for_processing(180)
    rate = round(max(1.0, closed["acks_per_s"] * args.open_fraction), 1)
    log(f"open loop: {args.connections} senders, {rate} requests/s in total")
    opened = _load(url, args, rate=rate)
    log(f"  p95 {opened['p95_ms']} ms; waiting for the worker…")
    drained = _wait_for_processing(180)
    counts = _inbox_counts()
    inbox_rows = sum(counts.values())
    acks_total = int(closed["acks_all"]) + int(opened["acks_all"])
    # wrk stops with up to one request per connection in flight (warm-up and measured run):
    # the server may have stored those without wrk counting their answers.
    in_flight = 2 * args.connections if closed.get("load_generator") == "wrk" else 0
    return {
        "closed_loop": closed,
        "open_loop": opened,
        "processing_after_load": drained,
        "processing_after_closed_loop": between,
        "inbox_rows": inbox_rows,
        # Warm-up requests are acknowledged and stored too; each request carried a new id.
        "acks_total": acks_total,
        "unanswered_bound": in_flight,
        "stored_once": acks_total <= inbox_rows <= acks_total + in_flight
        and not closed["errors"] and not opened["errors"],
        "background": background,
    }


def _flush_redis() -> None:
    """Empty the benchmark's Redis database (broker queue and cache) before a run."""
    from redis import Redis

    client = Redis.from_url(PROD_REDIS_URL)
    try:
        client.flushdb()
    finally:
        client.close()


def _generators(args: argparse.Namespace) -> str:
    python = ("python asyncio on uvloop with requests signed before the run "
              "(benchmarks/webhooks/loadgen.py)")
    if _use_wrk(args, 0.0):
        from benchmarks.api.loadgen import wrk_version

        return (f"closed loop: {wrk_version()} with pre-signed requests "
                f"(benchmarks/webhooks/wrk_loadgen.py); open loop: {python}")
    return python


def run_shape(shape: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """One shape on a fresh database: `embedded` (`brain serve` with its in-process worker)
    or `production` (`brain serve` with a Redis broker, and `brain worker` — Celery, one
    process — doing the processing)."""
    log(f"[{shape}] fresh PostgreSQL database {PG_DB} …")
    target = fresh_postgres_target(tmp)
    if shape == "production":
        _flush_redis()
        target.env["BRAIN_REDIS_URL"] = target.env["BRAIN_BROKER_URL"] = PROD_REDIS_URL
    org_id, _ = migrate_and_create_org(target)
    connection_id = asyncio.run(_create_connection(target, org_id))
    processes = args.server_processes if shape == "production" else 1
    server = brain_server(target, tmp, workers=processes)
    worker: subprocess.Popen[bytes] | None = None
    with server:
        exclude = {server.pid}
        if shape == "production":
            worker_log = (tmp / "worker.log").open("ab")
            worker = subprocess.Popen(
                [venv_bin("brain"), "worker", "--concurrency", "1"], env=target.env,
                stdout=worker_log, stderr=subprocess.STDOUT, cwd=ROOT)
            time.sleep(4)  # Celery connects to the broker and starts its pool
            exclude |= machine.process_tree(worker.pid)
        try:
            url = f"{server.base_url}/api/v1/webhooks/in/shopify/{connection_id}"
            result = _measure(url, args, exclude)
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(30)
    result["shape"] = shape
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--open-fraction", type=float, default=0.5,
                        help="open-loop rate as a fraction of the closed-loop acks/s")
    parser.add_argument("--shape", choices=["embedded", "production", "both"], default="both")
    parser.add_argument("--loadgen", choices=["auto", "python"], default="auto",
                        help="closed loop from wrk when installed (auto) or the Python sender")
    parser.add_argument("--server-processes", type=int, default=1,
                        help="uvicorn processes of `brain serve` in the production shape")
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args(argv)
    tmp = HERE / "tmp"
    tmp.mkdir(exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    shapes = ["embedded", "production"] if args.shape == "both" else [args.shape]
    runs = [run_shape(shape, args, tmp) for shape in shapes]
    results: dict[str, Any] = {
        "runs": runs,
        "machine": machine.describe(ROOT, postgres_version=postgres_version(),
                                    load_generator=_generators(args)),
    }
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "results.md").write_text(render(results))
    if not args.keep:
        with psycopg.connect(PG_DSN, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(PG_DB)))
    log(f"wrote {args.out / 'results.md'}")
    return 0
