"""The benchmark run: for each database, a fresh tenant, data, read path, ingest, memory.

    .venv/bin/python -m benchmarks.api            # full run (~12 min), writes results.md/json
    .venv/bin/python -m benchmarks.api --quick    # smoke run (~2 min), writes into tmp/
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
import traceback
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql

from benchmarks.api import data, ingest, report
from benchmarks.api.http_bench import (
    Capabilities,
    Endpoint,
    capture,
    drain,
    probe,
    run_read_path,
    verify_bare,
    write_bodies,
)
from benchmarks.api.loadgen import wrk_path, wrk_version
from benchmarks.api.machine import describe, wait_for_quiet
from benchmarks.api.profiling import profile_during, profile_under_load, py_spy_path
from benchmarks.api.servers import (
    BENCH_SECRET,
    PG_DB,
    PG_DSN,
    PROD_REDIS_URL,
    Server,
    Target,
    bare_server,
    brain_server,
    fresh_target,
    migrate_and_create_org,
    pg_conninfo,
    postgres_version,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TMP = HERE / "tmp"
MIB = 2**20

# The layout of the two families of objects (channels x campaigns x creatives).
API_LAYOUT = (4, 5, 10)  # 200 creatives: the batch rows and the read path
CSV_LAYOUT = (4, 10, 25)  # 1,000 creatives: the CSV files (matched by name)
QUICK_LAYOUT = (2, 5, 10)  # 100 creatives for either family in a --quick run


@dataclass
class Config:
    quick: bool
    databases: list[str]
    concurrency: list[int]
    duration: float
    warmup: float
    batch_rows: int
    batch_size: int
    csv_rows: int
    sqlite_csv_rows: int
    big_csv_mib: int
    big_csv_databases: list[str]
    import_timeout: float
    time_limit: float
    loadgen: str
    out_dir: Path
    keep: bool
    profile: bool
    quiet_wait: float
    api_layout: tuple[int, int, int]
    csv_layout: tuple[int, int, int]
    pg_workers: int


def parse_args(argv: list[str] | None = None) -> Config:
    p = argparse.ArgumentParser(prog="python -m benchmarks.api", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="a short smoke run (~2 min on an idle machine); results go to "
                        "benchmarks/api/tmp/")
    p.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    p.add_argument("--duration", type=float, help="seconds per measured load run (10)")
    p.add_argument("--warmup", type=float, help="seconds of warm-up before each run (2)")
    p.add_argument("--concurrency", help="comma-separated client counts (1,16,64)")
    p.add_argument("--batch-rows", type=int, help="rows sent to metrics/daily:batch (50000)")
    p.add_argument("--csv-rows", type=int,
                   help="rows of the CSV import file on PostgreSQL (500000)")
    p.add_argument("--sqlite-csv-rows", type=int,
                   help="rows of the CSV import file on SQLite, for information (200000)")
    p.add_argument("--big-csv-mib", type=int, help="size of the memory-test CSV (200)")
    p.add_argument("--big-csv-db", choices=["sqlite", "postgresql", "both", "none"],
                   default="postgresql", help="where the big CSV is imported (postgresql)")
    p.add_argument("--loadgen", choices=["auto", "wrk", "python"], default="auto",
                   help="load generator: wrk when installed (auto), or the Python fallback")
    p.add_argument("--time-limit", type=float,
                   help="stop starting new phases after this many seconds (1500; quick 300)")
    p.add_argument("--out", type=Path, help="directory for results.md/results.json")
    p.add_argument("--keep", action="store_true",
                   help="keep the benchmark databases (tmp/var-*, PostgreSQL brain_bench)")
    p.add_argument("--no-profile", action="store_true",
                   help="skip the py-spy profile runs (they run only when py-spy is installed)")
    p.add_argument("--quiet-wait", type=float,
                   help="wait up to this many seconds for other processes to leave the CPU "
                        "idle before each database (180; quick 10)")
    p.add_argument("--pg-workers", type=int, default=2,
                   help="after the one-process runs, measure the PostgreSQL read path again "
                        "in the production shape: this many uvicorn processes + Redis "
                        "(2 = one per core here; 0 or 1 skips it)")
    a = p.parse_args(argv)
    quick = bool(a.quick)
    dbs = ["sqlite", "postgresql"] if a.db == "both" else [a.db]
    big = {"both": ["sqlite", "postgresql"], "none": []}.get(a.big_csv_db, [a.big_csv_db])
    conc = [int(c) for c in a.concurrency.split(",")] if a.concurrency else [1, 16, 64]
    return Config(
        quick=quick,
        databases=dbs,
        concurrency=conc,
        duration=a.duration or (1.0 if quick else 10.0),
        warmup=a.warmup if a.warmup is not None else (0.5 if quick else 2.0),
        batch_rows=a.batch_rows or (20_000 if quick else 50_000),
        batch_size=10_000,
        csv_rows=a.csv_rows or (50_000 if quick else 500_000),
        sqlite_csv_rows=a.sqlite_csv_rows or (50_000 if quick else 200_000),
        big_csv_mib=a.big_csv_mib or (5 if quick else 200),
        big_csv_databases=[d for d in big if d in dbs],
        import_timeout=120.0 if quick else 480.0,
        time_limit=a.time_limit or (300.0 if quick else 1500.0),
        loadgen=a.loadgen,
        out_dir=a.out or (TMP if quick else HERE),
        keep=bool(a.keep),
        profile=not a.no_profile and py_spy_path() is not None,
        quiet_wait=a.quiet_wait if a.quiet_wait is not None else (10.0 if quick else 180.0),
        api_layout=QUICK_LAYOUT if quick else API_LAYOUT,
        csv_layout=QUICK_LAYOUT if quick else CSV_LAYOUT,
        pg_workers=a.pg_workers,
    )


def log(message: str) -> None:
    print(message, flush=True)


def pick_loadgen(choice: str) -> tuple[str, str]:
    if choice in ("auto", "wrk") and wrk_path():
        return "wrk", wrk_version()
    if choice == "wrk":
        log("wrk is not installed (apt-get install -y wrk); using the Python load generator")
    return "python", "pure-Python asyncio client (benchmarks/api/loadgen.py)"


def _client(server: Server, key: str) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, timeout=120,
                        headers={"Authorization": f"Bearer {key}"})


def _entities(cfg_target: Target, client: httpx.Client, caps: Capabilities, org_id: str,
              prefix: str, shape: tuple[int, int, int]) -> data.Entities:
    if caps.create_entities:
        return data.create_entities_api(client, f"/api/v1/organizations/{org_id}", prefix, *shape)
    return data.create_entities_sql(cfg_target.database_url, cfg_target.var_dir, BENCH_SECRET,
                                    org_id, prefix, *shape)


def run_target(name: str, cfg: Config, tool: str, deadline: float,
               background: dict[str, Any]) -> dict[str, Any]:
    """Everything measured on one database."""
    out: dict[str, Any] = {"database": name, "notes": []}
    notes: list[str] = out["notes"]
    out["background"] = background
    if not background["quiet"]:
        notes.append("other processes were using the CPU when this database started: "
                     f"{background['machine_busy_pct']} % busy "
                     f"({', '.join(background['busiest_other_processes'])})")
        log(f"  {notes[-1]}")
    t0 = time.monotonic()
    target = fresh_target(name, TMP)
    org_id, key = migrate_and_create_org(target)
    out["setup_s"] = round(time.monotonic() - t0, 1)
    org_path = f"/api/v1/organizations/{org_id}"
    headers = {"Authorization": f"Bearer {key}"}
    brain = brain_server(target, TMP).start()
    bare: Server | None = None
    try:
        with _client(brain, key) as client:
            caps, probe_note = probe(client)
            if probe_note:
                notes.append(probe_note)
                log(f"  {probe_note}")
            out["capabilities"] = asdict(caps)
            if caps.missing():
                notes.append("routes not available: " + ", ".join(caps.missing()))
                log(f"  routes not available yet: {', '.join(caps.missing())}")

            # 1. objects, then the batch ingest that fills the list (its rows are the depth).
            t = time.monotonic()
            ents = _entities(target, client, caps, org_id, "Bench", cfg.api_layout)
            out["entities"] = {"creatives": len(ents.creatives), "via": ents.created_via,
                               "seconds": round(time.monotonic() - t, 1)}
            rows = list(data.metric_rows(ents, cfg.batch_rows, date(2024, 1, 1), seed=1))
            if caps.batch:
                bodies = data.batch_bodies(iter(rows), cfg.batch_size)
                counts = [min(cfg.batch_size, len(rows) - i)
                          for i in range(0, len(rows), cfg.batch_size)]
                batch = ingest.run_batches(client, f"{org_path}/metrics/daily:batch", bodies,
                                           counts, deadline)
                out["batch"] = batch.as_json()
                log(f"  batch: {batch.rows} rows in {batch.seconds:.2f} s = "
                    f"{batch.rows_per_s:,.0f} rows/s ({batch.requests} requests)"
                    + (f" ERROR {batch.error}" if batch.error else ""))
                if batch.error or batch.rows < len(rows):
                    done = batch.rows
                    data.sql_insert_metrics(target.database_url, target.var_dir, BENCH_SECRET,
                                            org_id, iter(rows[done:]))
                    notes.append(f"{len(rows) - done} list rows inserted with bulk SQL")
            else:
                n = data.sql_insert_metrics(target.database_url, target.var_dir, BENCH_SECRET,
                                            org_id, iter(rows))
                notes.append(f"metrics/daily:batch missing: {n} rows inserted with bulk SQL")
                log(f"  batch endpoint missing; {n} rows inserted with bulk SQL")
            if target.is_postgres:
                ingest.prepare_copy_table(pg_conninfo())
                copy = ingest.raw_copy(pg_conninfo(), org_id, iter(rows), cfg.batch_size,
                                       deadline)
                out["batch_copy"] = copy.as_json()
                ingest.prepare_copy_table(pg_conninfo(), equivalent=False)
                ceiling = ingest.raw_copy(pg_conninfo(), org_id, iter(rows), cfg.batch_size,
                                          deadline)
                out["batch_copy_pk_only"] = ceiling.as_json()
                log(f"  raw COPY of the same rows: {copy.rows_per_s:,.0f} rows/s into an "
                    f"equivalent table, {ceiling.rows_per_s:,.0f} rows/s with only a primary key")
            if cfg.profile and caps.batch and "batch" in out and not out["batch"]["error"]:
                again = bodies[:2]

                def resend() -> float:
                    res = ingest.run_batches(client, f"{org_path}/metrics/daily:batch", again,
                                             counts[:len(again)], deadline)
                    return round(res.rows_per_s, 1)

                out["profile_batch"] = profile_during(
                    brain.pid, resend, TMP / f"profile-{name}-batch.txt")
                out["profile_batch"]["rows_per_s_while_profiling"] = out["profile_batch"].pop(
                    "action_result", None)
                log(f"  profiled a re-upsert of {len(again)} batches: "
                    f"{_top_packages(out['profile_batch'])}")

            if target.is_postgres and caps.list_metrics:
                before = out["list_before_analyze"] = _list_before_analyze(client, org_path)
                log(f"  list right after the bulk load: median {before['p50_ms']} ms over "
                    f"{before['requests']} requests; running ANALYZE")
                with psycopg.connect(pg_conninfo(), autocommit=True) as conn:
                    conn.execute("ANALYZE")

            # 2. the read path, next to the bare ASGI app.
            endpoints: list[Endpoint] = []
            if caps.list_metrics:
                endpoints.append(Endpoint("list", "GET metrics/daily?limit=50",
                                          f"{org_path}/metrics/daily?limit=50"))
            if caps.get_channel and ents.channels:
                channel_id = next(iter(ents.channels.values()))
                endpoints.append(Endpoint("single", "GET channels/{id}",
                                          f"{org_path}/channels/{channel_id}"))
            problems = capture(client, endpoints)
            notes.extend(problems)
            for problem in problems:
                log(f"  {problem}")
            if any(ep.body for ep in endpoints):
                bodies_file = TMP / f"bodies-{name}.json"
                write_bodies(bodies_file, endpoints)
                bare = bare_server(bodies_file, TMP, name).start()
                notes.extend(verify_bare(bare, endpoints))
                out["read_path"] = run_read_path(
                    brain=brain, bare=bare, endpoints=endpoints, concurrency=cfg.concurrency,
                    duration=cfg.duration, warmup=cfg.warmup, tool=tool, headers=headers,
                    script_dir=TMP, deadline=deadline, log=log)
                if cfg.profile and endpoints[0].body and time.monotonic() < deadline:
                    drain(brain)
                    out["profile_read"] = profile_under_load(
                        pid=brain.pid, url=brain.base_url + endpoints[0].path_and_query,
                        connections=16, duration=min(6.0, cfg.duration), tool=tool,
                        headers=headers, out=TMP / f"profile-{name}-{endpoints[0].key}.txt")
                    log(f"  profiled {endpoints[0].label} at 16 clients: "
                        f"{_top_packages(out['profile_read'])}")
                bare.stop()
                bare = None

            # 3. CSV import (+ raw COPY of the same rows), then the big file for memory.
            if caps.imports:
                csv_ents = _entities(target, client, caps, org_id, "Csv", cfg.csv_layout)
                csv_rows = cfg.csv_rows if target.is_postgres else cfg.sqlite_csv_rows
                out["csv_import"] = _csv_import(
                    cfg, target, brain, key, org_id, csv_ents, "import", rows=csv_rows,
                    start=date(2015, 1, 1), deadline=deadline)
                if target.is_postgres and out["csv_import"]["status"] == "succeeded":
                    ingest.prepare_copy_table(pg_conninfo())
                    copy = ingest.raw_copy(
                        pg_conninfo(), org_id,
                        data.metric_rows(csv_ents, csv_rows, date(2015, 1, 1), seed=2),
                        cfg.batch_size, deadline)
                    out["csv_copy"] = copy.as_json()
                    log(f"  raw COPY of the CSV rows: {copy.rows_per_s:,.0f} rows/s")
                if name in cfg.big_csv_databases:
                    if time.monotonic() + 60 > deadline:
                        notes.append("big CSV import skipped: time limit")
                    else:
                        out["csv_big"] = _csv_import(
                            cfg, target, brain, key, org_id, csv_ents, "big",
                            target_bytes=cfg.big_csv_mib * MIB, start=date(2017, 1, 1),
                            deadline=deadline)
            if target.is_postgres:
                ingest.drop_copy_table(pg_conninfo())
            if (target.is_postgres and cfg.pg_workers > 1 and endpoints
                    and time.monotonic() < deadline):
                brain.stop()
                out["read_path_prod"] = _production_read_path(
                    cfg, target, name, endpoints, headers, tool, deadline)
                out["pg_workers"] = cfg.pg_workers
    finally:
        if bare is not None:
            bare.stop()
        brain.stop()
        shutil.rmtree(target.var_dir / "imports", ignore_errors=True)
    out["seconds"] = round(time.monotonic() - t0, 1)
    return out


def _production_read_path(cfg: Config, target: Target, name: str, endpoints: list[Endpoint],
                          headers: dict[str, str], tool: str,
                          deadline: float) -> list[dict[str, Any]]:
    """The read path again with `cfg.pg_workers` uvicorn processes (Redis as cache and broker)
    next to the bare app with as many processes: how the API scales out on this machine."""
    import redis

    redis.Redis.from_url(PROD_REDIS_URL).flushdb()
    log(f"  production shape: {cfg.pg_workers} uvicorn processes + Redis")
    prod = brain_server(target, TMP, workers=cfg.pg_workers).start()
    bare = bare_server(TMP / f"bodies-{name}.json", TMP, name, workers=cfg.pg_workers).start()
    try:
        problems = verify_bare(bare, endpoints)
        for problem in problems:
            log(f"  {problem}")
        return run_read_path(
            brain=prod, bare=bare, endpoints=endpoints, concurrency=cfg.concurrency,
            duration=cfg.duration, warmup=cfg.warmup, tool=tool, headers=headers,
            script_dir=TMP, deadline=deadline, log=log)
    finally:
        bare.stop()
        prod.stop()


def _list_before_analyze(client: httpx.Client, org_path: str) -> dict[str, Any]:
    """The list's latency before planner statistics exist (what a fresh bulk load sees until
    autovacuum's ANALYZE runs); the measured runs below come after an explicit ANALYZE."""
    latencies: list[float] = []
    stop = time.monotonic() + 10
    while len(latencies) < 20 and time.monotonic() < stop:
        started = time.perf_counter()
        client.get(f"{org_path}/metrics/daily?limit=50")
        latencies.append(1000 * (time.perf_counter() - started))
    return {"requests": len(latencies), "p50_ms": round(statistics.median(latencies), 1)}


def _top_packages(summary: dict[str, Any]) -> str:
    packages = summary.get("self_by_package_pct") or {}
    if not packages:
        return str(summary.get("error", "no samples"))
    return ", ".join(f"{k} {v} %" for k, v in list(packages.items())[:6])


def _csv_import(cfg: Config, target: Target, brain: Server, key: str, org_id: str,
                ents: data.Entities, label: str, *, start: date, deadline: float,
                rows: int | None = None, target_bytes: int | None = None) -> dict[str, Any]:
    """Write the file, restart Brain (a clean process for the RSS baseline), import, delete."""
    path = TMP / f"{label}-{target.name}.csv"
    try:
        t = time.monotonic()
        file_rows, file_bytes = data.write_csv(path, ents, start=start, seed=2, rows=rows,
                                               target_bytes=target_bytes)
        log(f"  CSV {label}: {file_rows:,} rows, {file_bytes / MIB:.1f} MiB written in "
            f"{time.monotonic() - t:.1f} s; importing…")
        brain.stop()
        brain.start()
        timeout = max(30.0, min(cfg.import_timeout, deadline - time.monotonic()))
        with _client(brain, key) as client:
            res = ingest.run_import(client, f"/api/v1/organizations/{org_id}", path, file_rows,
                                    file_bytes, brain.pid, timeout)
        log(f"  CSV {label}: {res.status}, {res.rows_accepted:,} accepted, "
            f"{res.rows_rejected:,} rejected in {res.total_s:.1f} s = {res.rows_per_s:,.0f} rows/s;"
            f" RSS {res.rss_baseline / 1e6:.0f} → peak {res.rss_peak / 1e6:.0f} MB"
            + (f" ERROR {res.error}" if res.error else ""))
        return res.as_json()
    finally:
        path.unlink(missing_ok=True)


def _drop_pg() -> None:
    try:
        with psycopg.connect(PG_DSN, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(PG_DB)))
    except psycopg.Error as exc:
        log(f"could not drop {PG_DB}: {exc}")


def main(argv: list[str] | None = None) -> int:
    cfg = parse_args(argv)
    TMP.mkdir(parents=True, exist_ok=True)
    tool, tool_version = pick_loadgen(cfg.loadgen)
    pg_version = postgres_version()
    if "postgresql" in cfg.databases and pg_version is None:
        log("PostgreSQL is not reachable at 127.0.0.1:5432; running SQLite only")
        cfg.databases = [d for d in cfg.databases if d != "postgresql"]
    started = time.monotonic()
    deadline = started + cfg.time_limit
    log(f"load generator: {tool} ({tool_version})")
    results: dict[str, Any] = {
        "mode": "quick" if cfg.quick else "full",
        "command": "python -m benchmarks.api" + (" --quick" if cfg.quick else ""),
        "machine": describe(ROOT, postgres_version=pg_version,
                            load_generator=f"{tool}: {tool_version}"),
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(cfg).items()},
        "targets": [],
    }
    exit_code = 0
    for name in cfg.databases:
        log(f"== {name}")
        wait_started = time.monotonic()
        background = wait_for_quiet(cfg.quiet_wait, 15.0, log)
        waited = time.monotonic() - wait_started
        background["waited_s"] = round(waited, 1)
        results["waited_s"] = round(results.get("waited_s", 0.0) + waited, 1)
        deadline += waited  # waiting for quiet is not part of the budget
        try:
            results["targets"].append(run_target(name, cfg, tool, deadline, background))
        except Exception as exc:
            exit_code = 1
            log(f"  {name} failed: {type(exc).__name__}: {exc}")
            traceback.print_exc()
            results["targets"].append({"database": name, "failed": f"{type(exc).__name__}: {exc}",
                                       "notes": []})
    results["total_s"] = round(time.monotonic() - started, 1)
    results["targets_summary"] = report.evaluate(results)
    cfg.out_dir.mkdir(parents=True, exist_ok=True)
    (cfg.out_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (cfg.out_dir / "results.md").write_text(report.render(results))
    if not cfg.keep:
        for name in cfg.databases:
            shutil.rmtree(TMP / f"var-{name}", ignore_errors=True)
        if "postgresql" in cfg.databases:
            _drop_pg()
    log("")
    log(report.render_targets(results["targets_summary"]))
    log(f"total {results['total_s']:.0f} s; results in {cfg.out_dir / 'results.md'}")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
