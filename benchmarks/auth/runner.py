"""The auth benchmark run, for each database (PostgreSQL + Redis, SQLite + in-process cache):

1. a fresh database, `brain migrate`, one verified user who owns one organization;
2. two servers on the same database and cache — session cache on, session cache off
   (`benchmarks/auth/app.py`) — one uvicorn process each;
3. a bare argon2id baseline (Brain's own hasher and parameters, 1 thread and all cores);
4. login throughput: N clients POSTing /api/v1/auth/login back to back;
5. per-request latency of GET /api/v1/healthz (no credential), GET /api/v1/bench/session
   (the session check and nothing else) and GET /api/v1/auth/me (a real authenticated read),
   cached and uncached, interleaved, at each client count.

    .venv/bin/python -m benchmarks.auth            # full run (~12 min), writes results.md/json
    .venv/bin/python -m benchmarks.auth --quick    # smoke run (~3 min), writes into tmp/
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil  # type: ignore[import-untyped, unused-ignore]
import psycopg
from psycopg import sql

from benchmarks.api.http_bench import Endpoint, drain, measure
from benchmarks.api.loadgen import wrk_path, wrk_version
from benchmarks.api.machine import describe, wait_for_quiet
from benchmarks.api.servers import (
    BENCH_SECRET,
    HOST,
    PG_DSN,
    Server,
    Target,
    brain_command,
    free_port,
    postgres_version,
)
from benchmarks.auth import report

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TMP = HERE / "tmp"
# Its own database, so it never touches the API benchmark's `brain_bench`.
PG_DB = "brain_bench_auth"
DEFAULT_REDIS = "redis://127.0.0.1:6379/3"
EMAIL = "bench-user@example.com"
PASSWORD = "bench-Harbor-lantern-93-violet"  # noqa: S105 - a throw-away local account
SESSION_PATH = "/api/v1/bench/session"


@dataclass
class Config:
    quick: bool
    databases: list[str]
    concurrency: list[int]
    login_concurrency: list[int]
    duration: float
    warmup: float
    login_duration: float
    argon2_seconds: float
    repeat: int
    resolve_calls: int
    priority: int
    loadgen: str
    redis_url: str
    out_dir: Path
    keep: bool
    quiet_wait: float


def parse_args(argv: list[str] | None = None) -> Config:
    p = argparse.ArgumentParser(prog="python -m benchmarks.auth", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="a short smoke run into tmp/")
    p.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    p.add_argument("--concurrency", help="client counts of the GET runs (1,16)")
    p.add_argument("--login-concurrency", help="client counts of the login runs (1,4,16)")
    p.add_argument("--duration", type=float, help="seconds per measured GET run (10)")
    p.add_argument("--warmup", type=float, help="seconds of warm-up before each GET run (2)")
    p.add_argument("--login-duration", type=float, help="seconds per login run (10)")
    p.add_argument("--repeat", type=int, help="repetitions of every GET run (3; quick 1)")
    p.add_argument("--priority", type=int, default=0,
                   help="niceness for the benchmark and its servers, e.g. -10 on a shared "
                        "machine (needs root for negative values)")
    p.add_argument("--loadgen", choices=["auto", "wrk", "python"], default="auto")
    p.add_argument("--redis-url", default=DEFAULT_REDIS,
                   help=f"Redis for the PostgreSQL target ({DEFAULT_REDIS})")
    p.add_argument("--out", type=Path, help="directory for results.md/results.json")
    p.add_argument("--keep", action="store_true", help="keep the benchmark databases")
    p.add_argument("--quiet-wait", type=float,
                   help="wait up to this many seconds for an idle CPU before each database")
    a = p.parse_args(argv)
    quick = bool(a.quick)
    return Config(
        quick=quick,
        databases=["postgresql", "sqlite"] if a.db == "both" else [a.db],
        concurrency=[int(c) for c in (a.concurrency or "1,16").split(",")],
        login_concurrency=[int(c) for c in (a.login_concurrency or "1,4,16").split(",")],
        duration=a.duration or (2.0 if quick else 10.0),
        warmup=a.warmup if a.warmup is not None else (0.5 if quick else 2.0),
        login_duration=a.login_duration or (3.0 if quick else 10.0),
        argon2_seconds=2.0 if quick else 5.0,
        repeat=a.repeat or (1 if quick else 3),
        resolve_calls=500 if quick else 5000,
        priority=a.priority,
        loadgen=a.loadgen,
        redis_url=a.redis_url,
        out_dir=a.out or (TMP if quick else HERE),
        keep=bool(a.keep),
        quiet_wait=a.quiet_wait if a.quiet_wait is not None else (10.0 if quick else 180.0),
    )


def log(message: str) -> None:
    print(message, flush=True)


# -- set-up -----------------------------------------------------------------------------------


def redis_available(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def fresh_target(name: str, redis_url: str | None) -> Target:
    """A new SQLite file, or `brain_bench_auth` dropped and re-created (plus Redis)."""
    var_dir = TMP / f"var-{name}"
    shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True)
    if name == "sqlite":
        url = f"sqlite+aiosqlite:///{var_dir / 'brain.db'}"
    else:
        with psycopg.connect(PG_DSN, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(PG_DB)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(PG_DB)))
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_DB}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRAIN_")}
    env.update({
        "BRAIN_DATABASE_URL": url,
        "BRAIN_VAR_DIR": str(var_dir),
        "BRAIN_SECRET_KEY": BENCH_SECRET,
        # The per-credential limiter is off (as in the API benchmark): it is one more cache
        # round trip per request, not part of validating the session.
        "BRAIN_RATE_LIMIT_PER_MINUTE": "0",
        "BRAIN_ENV": "development",
        "BRAIN_EMBEDDED_WORKER": "false",
    })
    if redis_url:
        env["BRAIN_REDIS_URL"] = redis_url
    return Target(name=name, database_url=url, var_dir=var_dir, env=env)


def create_user(target: Target) -> None:
    """One verified user owning one organization, written straight through Brain's models."""
    from brain.core.db import create_engine, create_session_factory, system_session
    from brain.identity.models import User
    from brain.identity.passwords import hash_password
    from brain.organizations.models import Membership
    from brain.organizations.service import create_organization
    from brain.settings import Settings

    settings = Settings(database_url=target.database_url, var_dir=target.var_dir,
                        secret_key=BENCH_SECRET, _env_file=None)

    async def create() -> None:
        engine = create_engine(settings, null_pool=True)
        try:
            async with system_session(create_session_factory(engine)) as db:
                org = await create_organization(db, name="Auth bench")
                user = User(email=EMAIL, name="Bench User", password_hash=hash_password(PASSWORD),
                            email_verified_at=datetime.now(UTC))
                db.add(user)
                await db.flush()
                db.add(Membership(organization_id=org.id, user_id=user.id, role="owner"))
                user.default_organization_id = org.id
        finally:
            await engine.dispose()

    asyncio.run(create())


def auth_server(target: Target, *, cached: bool) -> Server:
    label = "cached" if cached else "uncached"
    port = free_port()
    env = {**target.env, "BENCH_SESSION_CACHE": "on" if cached else "off",
           "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "uvicorn", "benchmarks.auth.app:create", "--factory",
           "--host", HOST, "--port", str(port), "--log-level", "warning"]
    return Server(f"brain {label} ({target.name})", cmd, env, port,
                  TMP / f"server-{target.name}-{label}.log", "/api/v1/healthz")


def login_cookie(server: Server) -> str:
    response = httpx.post(server.base_url + "/api/v1/auth/login",
                          json={"email": EMAIL, "password": PASSWORD}, timeout=30)
    if response.status_code != 200:
        raise RuntimeError(f"login failed: {response.status_code} {response.text[:300]}")
    return str(response.cookies["brain_session"])


# -- argon2 and login throughput ------------------------------------------------------------


def argon2_rate(threads: int, seconds: float) -> dict[str, Any]:
    """Hashes per second with Brain's hasher (argon2id, 19 MiB, t=2, p=1) on `threads`."""
    from brain.identity.passwords import hash_password

    stop = time.monotonic() + seconds
    counts = [0] * threads
    lock = threading.Lock()

    def work(index: int) -> None:
        while time.monotonic() < stop:
            hash_password(PASSWORD)
            with lock:
                counts[index] += 1

    started = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, range(threads)))
    elapsed = time.monotonic() - started
    total = sum(counts)
    return {"threads": threads, "hashes": total, "seconds": round(elapsed, 2),
            "hashes_per_s": round(total / elapsed, 1),
            "ms_per_hash": round(1000 * elapsed * threads / total, 1) if total else None}


async def _login_load(base_url: str, clients: int, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    body = {"email": EMAIL, "password": PASSWORD}

    async def client(stop_at: float) -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                try:
                    response = await http.post("/api/v1/auth/login", json=body)
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                    continue
                http.cookies.clear()
                if response.status_code != 200:
                    code = str(response.status_code)
                    errors[code] = errors.get(code, 0) + 1
                    continue
                latencies.append(1000 * (time.perf_counter() - started))

    started = time.monotonic()
    await asyncio.gather(*(client(started + seconds) for _ in range(clients)))
    elapsed = time.monotonic() - started
    ordered = sorted(latencies)

    def pct(q: float) -> float | None:
        if not ordered:
            return None
        return round(ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))], 1)

    return {"clients": clients, "logins": len(ordered), "seconds": round(elapsed, 2),
            "logins_per_s": round(len(ordered) / elapsed, 1), "p50_ms": pct(0.5),
            "p95_ms": pct(0.95), "errors": errors,
            "mean_ms": round(statistics.fmean(ordered), 1) if ordered else None}


def login_throughput(server: Server, clients: int, seconds: float) -> dict[str, Any]:
    drain(server)
    proc = psutil.Process(server.pid)
    before = proc.cpu_times()
    started = time.monotonic()
    result = asyncio.run(_login_load(server.base_url, clients, seconds))
    wall = time.monotonic() - started
    after = proc.cpu_times()
    used = (after.user + after.system) - (before.user + before.system)
    result["server_cpu_pct"] = round(100 * used / wall, 1)
    result["server_threads"] = proc.num_threads()
    return result


# -- session validation latency -------------------------------------------------------------


_SUMMARY_KEYS = ("rps", "p50_ms", "p95_ms", "p99_ms", "mean_ms", "foreign_cpu_pct",
                 "server_cpu_pct")


def _median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of each number over the repetitions (each run is kept under `runs`)."""
    summary: dict[str, Any] = {
        key: round(statistics.median(float(r[key]) for r in runs), 3)
        for key in _SUMMARY_KEYS if all(r.get(key) is not None for r in runs)
    }
    summary["errors"] = {k: sum(r["errors"].get(k, 0) for r in runs) for k in runs[0]["errors"]}
    summary["requests"] = sum(int(r["requests"]) for r in runs)
    summary["repetitions"] = len(runs)
    summary["runs"] = runs
    return summary


def latency_runs(cfg: Config, tool: str, servers: dict[str, Server],
                 headers: dict[str, str]) -> list[dict[str, Any]]:
    """healthz, the session check and /auth/me, cached and uncached, per client count, each
    `repeat` times; everything alternates so any drift of the machine hits all alike, and
    each number reported is the median over the repetitions."""
    endpoints = [
        Endpoint("healthz", "GET /api/v1/healthz (no credential)", "/api/v1/healthz"),
        Endpoint("session", "GET /api/v1/bench/session (session check only)", SESSION_PATH),
        Endpoint("me", "GET /api/v1/auth/me", "/api/v1/auth/me"),
    ]
    for endpoint in endpoints:
        for variant, server in servers.items():
            status = httpx.get(server.base_url + endpoint.path_and_query, headers=headers,
                               timeout=30).status_code
            if status != 200:
                raise RuntimeError(f"{endpoint.label} on {variant}: HTTP {status}")
    runs: dict[tuple[str, int, str], list[dict[str, Any]]] = {}
    for repetition in range(1, cfg.repeat + 1):
        for connections in cfg.concurrency:
            for endpoint in endpoints:
                for variant, server in servers.items():
                    r = measure(server=server, endpoint=endpoint, connections=connections,
                                duration=cfg.duration, warmup=cfg.warmup, tool=tool,
                                headers=headers, script_dir=TMP)
                    runs.setdefault((endpoint.key, connections, variant), []).append(r)
                    log(f"  #{repetition} c={connections:<3} {endpoint.key:8} {variant:8} "
                        f"{r['rps']:>8.0f} req/s p50 {r['p50_ms']:.3f} p95 {r['p95_ms']:.3f} "
                        f"p99 {r['p99_ms']:.3f} ms"
                        + (f" errors {r['errors']}" if sum(r["errors"].values()) else "")
                        + f" (other CPU {r['foreign_cpu_pct']} %)")
    rows: list[dict[str, Any]] = []
    for connections in cfg.concurrency:
        for endpoint in endpoints:
            row: dict[str, Any] = {"endpoint": endpoint.key, "label": endpoint.label,
                                   "connections": connections}
            for variant in servers:
                row[variant] = _median_of(runs[(endpoint.key, connections, variant)])
            rows.append(row)
    return rows


def resolve_timing(target: Target, token: str, *, cached: bool, calls: int) -> dict[str, Any]:
    """`resolve_session` in this process, per call, exactly as the request dependency runs it
    (a new database session, the cache or the database, commit): no HTTP in the way."""
    from benchmarks.auth.app import WithoutSessionCache
    from brain.core.runtime import Runtime
    from brain.identity.sessions import resolve_session
    from brain.settings import Settings

    settings = Settings(database_url=target.database_url, var_dir=target.var_dir,
                        secret_key=BENCH_SECRET, redis_url=target.env.get("BRAIN_REDIS_URL"),
                        _env_file=None)

    async def run() -> tuple[list[float], list[float]]:
        runtime = Runtime.create(settings)
        cache = runtime.cache if cached else WithoutSessionCache(runtime.cache)
        timings: list[float] = []
        round_trips: list[float] = []
        try:
            for _ in range(calls // 2):
                started = time.perf_counter()
                await runtime.cache.get("bench:missing")
                round_trips.append(1000 * (time.perf_counter() - started))
            for index in range(calls + calls // 10):
                started = time.perf_counter()
                async with runtime.session_factory() as db:
                    active = await resolve_session(db, cache, token, clock=runtime.clock)
                    await db.commit()
                elapsed = time.perf_counter() - started
                if active is None:
                    raise RuntimeError("the benchmark session is not valid")
                if index >= calls // 10:  # the first tenth warms up
                    timings.append(1000 * elapsed)
        finally:
            await runtime.close()
        return timings, round_trips

    measured, round_trips = asyncio.run(run())
    timings = sorted(measured)
    trips = sorted(round_trips)

    def pct(values: list[float], q: float) -> float:
        return round(values[min(len(values) - 1, max(0, round(q * len(values)) - 1))], 4)

    return {"variant": "cached" if cached else "uncached", "calls": len(timings),
            "p50_ms": pct(timings, 0.5), "p95_ms": pct(timings, 0.95),
            "p99_ms": pct(timings, 0.99), "mean_ms": round(statistics.fmean(timings), 4),
            "cache_get_p50_ms": pct(trips, 0.5), "cache_get_p95_ms": pct(trips, 0.95)}


def run_target(name: str, cfg: Config, tool: str, background: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"database": name, "notes": [], "background": background}
    if not background["quiet"]:
        out["notes"].append(
            f"other processes were using the CPU at the start: {background['machine_busy_pct']}"
            f" % busy ({', '.join(background['busiest_other_processes'])})")
        log(f"  {out['notes'][-1]}")
    redis_url: str | None = None
    if name == "postgresql":
        if redis_available(cfg.redis_url):
            redis_url = cfg.redis_url
        else:
            out["notes"].append(f"Redis not reachable at {cfg.redis_url}: in-process cache used")
    out["cache"] = "Redis" if redis_url else "in-process (MemoryCache, per server process)"
    t0 = time.monotonic()
    target = fresh_target(name, redis_url)
    brain_command(target, "migrate")
    create_user(target)
    out["setup_s"] = round(time.monotonic() - t0, 1)
    servers = {"cached": auth_server(target, cached=True),
               "uncached": auth_server(target, cached=False)}
    try:
        for server in servers.values():
            server.start()
        headers = {"Cookie": f"brain_session={login_cookie(servers['cached'])}"}
        log("  argon2id baseline (Brain's hasher) …")
        cores = os.cpu_count() or 1
        out["argon2"] = [argon2_rate(1, cfg.argon2_seconds)]
        if cores > 1:
            out["argon2"].append(argon2_rate(cores, cfg.argon2_seconds))
        for row in out["argon2"]:
            log(f"  argon2id: {row['hashes_per_s']} hashes/s on {row['threads']} thread(s) "
                f"({row['ms_per_hash']} ms each)")
        out["logins"] = []
        for clients in cfg.login_concurrency:
            result = login_throughput(servers["cached"], clients, cfg.login_duration)
            out["logins"].append(result)
            log(f"  login c={clients:<3} {result['logins_per_s']:>6} logins/s p50 "
                f"{result['p50_ms']} p95 {result['p95_ms']} ms, server CPU "
                f"{result['server_cpu_pct']} %" + (f" errors {result['errors']}"
                                                    if result["errors"] else ""))
        token = headers["Cookie"].split("=", 1)[1]
        out["resolve"] = [resolve_timing(target, token, cached=cached, calls=cfg.resolve_calls)
                          for cached in (True, False)]
        for row in out["resolve"]:
            log(f"  resolve_session in-process, {row['variant']:8}: p50 {row['p50_ms']} "
                f"p95 {row['p95_ms']} p99 {row['p99_ms']} ms over {row['calls']} calls")
        out["latency"] = latency_runs(cfg, tool, servers, headers)
    finally:
        for server in servers.values():
            server.stop()
    out["seconds"] = round(time.monotonic() - t0, 1)
    return out


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
    if cfg.priority:
        # Inherited by the servers and the load generator started from here.
        os.setpriority(os.PRIO_PROCESS, 0, cfg.priority)
    if cfg.loadgen in ("auto", "wrk") and wrk_path():
        tool, tool_version = "wrk", wrk_version()
    else:
        tool, tool_version = "python", "pure-Python asyncio client (benchmarks/api/loadgen.py)"
    pg_version = postgres_version()
    if "postgresql" in cfg.databases and pg_version is None:
        log("PostgreSQL is not reachable at 127.0.0.1:5432; running SQLite only")
        cfg.databases = [d for d in cfg.databases if d != "postgresql"]
    started = time.monotonic()
    log(f"load generator: {tool} ({tool_version})")
    results: dict[str, Any] = {
        "mode": "quick" if cfg.quick else "full",
        "command": "python -m benchmarks.auth" + (" --quick" if cfg.quick else ""),
        "machine": describe(ROOT, postgres_version=pg_version,
                            load_generator=f"{tool}: {tool_version}"),
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(cfg).items()},
        "targets": [],
    }
    results["machine"]["packages"]["argon2-cffi"] = _version("argon2-cffi")
    results["machine"]["packages"]["redis"] = _version("redis")
    exit_code = 0
    for name in cfg.databases:
        log(f"== {name}")
        background = wait_for_quiet(cfg.quiet_wait, 15.0, log)
        try:
            results["targets"].append(run_target(name, cfg, tool, background))
        except Exception as exc:
            exit_code = 1
            log(f"  {name} failed: {type(exc).__name__}: {exc}")
            traceback.print_exc()
            results["targets"].append({"database": name, "notes": [],
                                       "failed": f"{type(exc).__name__}: {exc}"})
    results["total_s"] = round(time.monotonic() - started, 1)
    results["summary"] = report.evaluate(results)
    results["analysis"] = report.analysis(results)
    cfg.out_dir.mkdir(parents=True, exist_ok=True)
    (cfg.out_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (cfg.out_dir / "results.md").write_text(report.render(results))
    if not cfg.keep:
        for name in cfg.databases:
            shutil.rmtree(TMP / f"var-{name}", ignore_errors=True)
        if "postgresql" in cfg.databases:
            _drop_pg()
    log("")
    log(report.render_summary(results["summary"]))
    log(f"total {results['total_s']:.0f} s; results in {cfg.out_dir / 'results.md'}")
    return exit_code


def _version(package: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


if __name__ == "__main__":
    sys.exit(main())
