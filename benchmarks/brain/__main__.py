"""`python -m benchmarks.brain`: the full brain run at 100 / 1,000 / 10,000 creatives x 365
days (time and peak RSS), FACE cached p95 and CURIOSITY decision latency.

Each size gets a fresh SQLite database under `benchmarks/brain/tmp/`, a synthetic tenant and
the registry's champion fatigue model (registered before the clock starts, as on any tenant
after its first run); the run itself is a subprocess (`one_run.py`). `--quick` is a smoke run
(tiny sizes) that writes to `tmp/` instead of the committed results.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from benchmarks.api.machine import background_load, describe
from benchmarks.brain.report import write_markdown, write_plot
from benchmarks.brain.synthetic import SECRET, write_tenant

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
END = date(2026, 11, 24)
FACE_REQUESTS = 300
OPTIMIZE_REQUESTS = 100


def _settings(db: Path, var_dir: Path) -> Any:
    from brain.settings import Settings

    return Settings(database_url=f"sqlite+aiosqlite:///{db}", var_dir=var_dir,
                    secret_key=SECRET, rate_limit_per_minute=0, redis_url=None,
                    _env_file=None)


async def _seed(settings: Any, creatives: int, days: int) -> tuple[uuid.UUID, str, float]:
    """A new tenant with synthetic data, an admin key and the champion model registered."""
    from brain.brain_modules.runs.oracle_model import resolve_oracle_model
    from brain.brain_modules.runs.repository import pipeline_context
    from brain.core.db import system_session, tenant_session
    from brain.core.runtime import Runtime
    from brain.identity.service import issue_api_key
    from brain.organizations.permissions import ApiKeyRole
    from brain.organizations.service import create_organization

    runtime = Runtime.create(settings)
    try:
        t0 = time.perf_counter()
        async with system_session(runtime.session_factory) as session:
            org = await create_organization(session, name=f"Bench {creatives}")
            org_id = org.id
            _, token = await issue_api_key(session, organization_id=org_id, name="bench",
                                           role=ApiKeyRole.admin)
            await write_tenant(session, org_id, creatives=creatives, days=days, end=END)
        seeding = time.perf_counter() - t0
        async with tenant_session(runtime.session_factory, org_id) as session:
            await resolve_oracle_model(session, pipeline_context(org_id, org_id))
    finally:
        await runtime.close()
    return org_id, token, seeding


def _one_run(db: Path, var_dir: Path, org: uuid.UUID) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.brain.one_run", "--db",
               f"sqlite+aiosqlite:///{db}", "--var-dir", str(var_dir), "--org", str(org)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1800,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"run failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))]


async def _latency(settings: Any, org: uuid.UUID, token: str) -> dict[str, Any]:
    """FACE cached and uncached, and the budget what-if, through the ASGI app in-process."""
    from brain.app import create_app
    from brain.core.jobs import InlineDispatcher
    from brain.core.runtime import Runtime

    runtime = Runtime.create(settings)
    app = create_app(settings, runtime=runtime, dispatcher=InlineDispatcher(runtime))
    headers = {"Authorization": f"Bearer {token}"}
    base = f"/api/v1/organizations/{org}"
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            t0 = time.perf_counter()
            first = await client.get(f"{base}/face?persona=cmo&period=7d", headers=headers)
            uncached = (time.perf_counter() - t0) * 1000
            first.raise_for_status()
            samples = []
            for _ in range(FACE_REQUESTS):
                t0 = time.perf_counter()
                response = await client.get(f"{base}/face?persona=cmo&period=7d",
                                            headers=headers)
                samples.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200
            optimize = []
            for _ in range(OPTIMIZE_REQUESTS):
                t0 = time.perf_counter()
                response = await client.post(f"{base}/curiosity/optimize", headers=headers,
                                             json={"max_change": 0.3})
                optimize.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, response.text
    finally:
        await runtime.close()
    return {
        "requests": FACE_REQUESTS, "uncached_ms": uncached,
        "p50_ms": statistics.median(samples), "p95_ms": _percentile(samples, 0.95),
        "optimize_p50_ms": statistics.median(optimize),
        "optimize_p95_ms": _percentile(optimize, 0.95),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="100,1000,10000",
                        help="Creatives per tenant, comma-separated.")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--quick", action="store_true",
                        help="Smoke run (20 and 60 creatives, 90 days) into tmp/.")
    args = parser.parse_args()
    sizes = [20, 60] if args.quick else [int(s) for s in args.sizes.split(",")]
    days = 90 if args.quick else args.days
    tmp = HERE / "tmp"
    out = tmp if args.quick else HERE
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    from brain.core.migrate import upgrade

    runs: list[dict[str, Any]] = []
    latency_target = 1000 if 1000 in sizes else sizes[len(sizes) // 2]
    face: dict[str, Any] | None = None
    for creatives in sizes:
        var_dir = tmp / f"var-{creatives}"
        db = tmp / f"brain-{creatives}.db"
        settings = _settings(db, var_dir)
        upgrade(settings)
        print(f"[{creatives:,} creatives] seeding…", flush=True)
        org, token, seeding = asyncio.run(_seed(settings, creatives, days))
        load = background_load(2.0)
        busy = load.get("machine_busy_pct")
        print(f"[{creatives:,} creatives] running (background CPU {busy}%)…", flush=True)
        result = _one_run(db, var_dir, org)
        result.update(creatives=creatives, days=days, seeding_seconds=seeding,
                      background_cpu_percent=load.get("machine_busy_pct"))
        print(f"[{creatives:,} creatives] {result['status']} in {result['seconds']} s, "
              f"peak RSS {result['peak_rss_mib']} MiB", flush=True)
        runs.append(result)
        if creatives == latency_target:
            face = {"creatives": creatives, **asyncio.run(_latency(settings, org, token))}
        db.unlink(missing_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
    command = "python -m benchmarks.brain" + (" --quick" if args.quick else "")
    result_doc: dict[str, Any] = {
        "command": command,
        "machine": describe(ROOT, postgres_version=None, load_generator="in-process (ASGI)"),
        "runs": runs, "face": face,
        "notes": [
            "SQLite (the embedded default) holds the data; PostgreSQL reads would differ "
            "in the features step only.",
            f"Environment: {os.cpu_count()} logical CPUs shared with other work; numbers "
            "are one run each, not best-of.",
        ],
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(result_doc, indent=2, default=str) + "\n")
    plot = write_plot(out, runs)
    write_markdown(out, result_doc, plot)
    print(f"wrote {out / 'results.md'}")


if __name__ == "__main__":
    main()
