"""One measured brain run, in a process of its own so its peak RSS is the run's alone.

Prints one JSON object: wall time of the whole run (features from the database through
FACE), each module's seconds, peak RSS, and CURIOSITY's decision latency on the run's
answers (p50/p95 of repeated `run_curiosity` calls).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

from benchmarks.brain.synthetic import SECRET
from brain.brain_modules.curiosity import run_curiosity
from brain.brain_modules.data import load_brain_data
from brain.brain_modules.pipeline import execute_run, latest_outputs
from brain.brain_modules.runs.repository import BrainRunRepository, pipeline_context
from brain.brain_modules.runs.service import enqueue_brain_run
from brain.brain_modules.serialize import memory_from_json, oracle_from_json
from brain.core.db import system_session, tenant_session
from brain.core.runtime import Runtime
from brain.settings import Settings

DECISIONS = 30


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


async def measure(settings: Settings, org: uuid.UUID) -> dict[str, Any]:
    runtime = Runtime.create(settings)
    try:
        async with system_session(runtime.session_factory) as session:
            run = await enqueue_brain_run(session, org, "manual", executed_by_caller=True)
        start = time.perf_counter()
        status = await execute_run(runtime, organization_id=org, run_id=run.id)
        seconds = time.perf_counter() - start
        peak = _peak_rss_mib()
        auth = pipeline_context(org, run.id)
        async with tenant_session(runtime.session_factory, org) as session:
            stored = await BrainRunRepository(session, auth).fresh(run.id)
            assert stored is not None
            modules = {name: m.get("seconds") for name, m in stored.modules.items()}
            _, outputs = await latest_outputs(session, auth, ("memory", "oracle"))
            data = await load_brain_data(session, org)
        memory = memory_from_json(outputs["memory"].output)
        oracle = oracle_from_json(outputs["oracle"].output)
        latencies = []
        for _ in range(DECISIONS):
            t0 = time.perf_counter()
            result = run_curiosity(data, memory, oracle)
            latencies.append((time.perf_counter() - t0) * 1000)
        latencies.sort()
        return {
            "status": status, "error": stored.error, "seconds": round(seconds, 2),
            "modules": modules, "peak_rss_mib": round(peak, 1),
            "metric_rows": len(data.metrics), "actions": len(result.actions),
            "curiosity_ms_p50": round(statistics.median(latencies), 2),
            "curiosity_ms_p95": round(latencies[int(0.95 * (len(latencies) - 1))], 2),
        }
    finally:
        await runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--var-dir", required=True, type=Path)
    parser.add_argument("--org", required=True, type=uuid.UUID)
    args = parser.parse_args()
    settings = Settings(database_url=args.db, var_dir=args.var_dir, secret_key=SECRET,
                        _env_file=None)  # type: ignore[call-arg]
    print(json.dumps(asyncio.run(measure(settings, args.org))))


if __name__ == "__main__":
    main()
