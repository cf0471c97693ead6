"""The closed-loop webhook load from wrk (C; the Python sender costs the 2 shared cores most of
a core at 2,000 requests/s): the signed requests are built here beforehand — each a new
Shopify order with its own event id and HMAC, as the Python generator sends them — and a Lua
script hands wrk's threads disjoint slices of them, one per request, then reports the
latency percentiles and counts as JSON.

    python -m benchmarks.webhooks.wrk_loadgen URL --secret S --connections 32 --duration 20
prints one `BENCH_RESULT {json}` line, with the same fields as `loadgen.py`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks.webhooks.loadgen import MARKER, request_bytes

SEPARATOR = b"\0\x01\0"
THREADS = 2
# Requests prepared per second of load: well above what 2 shared cores acknowledge.
PER_SECOND = 6_000

LUA = r"""
local requests, next_index, count = {}, 1, 0
local threads = {}

function setup(thread)
  thread:set("slot", #threads)
  table.insert(threads, thread)
end

function init(args)
  local file = assert(io.open(args[1], "rb"))
  local blob = file:read("*a")
  file:close()
  local sep, nthreads, slot = "\0\1\0", tonumber(args[2]), slot
  local start, index = 1, 0
  while true do
    local i, j = string.find(blob, sep, start, true)
    if not i then break end
    if index % nthreads == slot then
      requests[#requests + 1] = string.sub(blob, start, i - 1)
    end
    index = index + 1
    start = j + 1
  end
  count = #requests
end

function request()
  local r = requests[next_index]
  if next_index < count then next_index = next_index + 1 end
  return r
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    latency.mean))
end
"""


def wrk_path() -> str | None:
    return shutil.which("wrk")


def _prepare(path: Path, url: str, secret: str, count: int, prefix: str) -> None:
    parts = urlsplit(url)
    host = f"{parts.hostname}:{parts.port}"
    with path.open("wb") as out:
        for number in range(count):
            out.write(request_bytes(host, parts.path, secret, number, prefix))
            out.write(SEPARATOR)


def _wrk(url: str, script: Path, requests: Path, connections: int,
         seconds: float) -> dict[str, float]:
    path = wrk_path()
    if path is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    out = subprocess.run(
        [path, "-t", str(THREADS), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
         "--timeout", "10s", "-s", str(script), url, "--", str(requests), str(THREADS)],
        capture_output=True, text=True, timeout=seconds + 120, check=True,
    )
    line = next(x for x in out.stdout.splitlines() if x.startswith("WRK_JSON "))
    data: dict[str, float] = json.loads(line.removeprefix("WRK_JSON "))
    return data


def run(url: str, secret: str, connections: int, duration: float,
        warmup: float) -> dict[str, object]:
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost"):
        raise ValueError("the benchmark only sends traffic to 127.0.0.1")
    prefix = f"wrk-{time.time_ns()}"
    with tempfile.TemporaryDirectory(prefix="brain-wrk-") as tmp:
        folder = Path(tmp)
        script = folder / "webhooks.lua"
        script.write_text(LUA)
        warm_file, measured_file = folder / "warmup.bin", folder / "measured.bin"
        _prepare(warm_file, url, secret, int(PER_SECOND * max(warmup, 1)), prefix + "-w")
        _prepare(measured_file, url, secret, int(PER_SECOND * duration), prefix + "-m")
        warm = _wrk(url, script, warm_file, connections, warmup) if warmup > 0 else None
        measured = _wrk(url, script, measured_file, connections, duration)
    seconds = measured["duration_us"] / 1e6
    failed = int(measured["status"] + measured["timeout"] + measured["read"]
                 + measured["write"] + measured["connect"])
    acks = int(measured["requests"] - measured["status"] - measured["timeout"])
    warm_acks = int(warm["requests"] - warm["status"] - warm["timeout"]) if warm else 0
    errors = {k: int(measured[k]) for k in ("connect", "read", "write", "timeout")
              if measured[k]}
    return {
        "connections": connections, "duration_s": duration, "warmup_s": warmup,
        "mode": "closed", "offered_rate": 0.0, "requests": int(measured["requests"]),
        "acks": acks, "acks_all": acks + warm_acks,
        "acks_per_s": round(acks / seconds, 1) if seconds else 0.0,
        "statuses": {"2xx": acks, "other": int(measured["status"])} if measured["status"]
        else {"2xx": acks},
        "errors": errors, "failed": failed,
        "p50_ms": measured["p50_us"] / 1000, "p95_ms": measured["p95_us"] / 1000,
        "p99_ms": measured["p99_us"] / 1000, "max_ms": measured["max_us"] / 1000,
        "mean_ms": round(measured["mean_us"] / 1000, 3), "load_generator": "wrk",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--secret", required=True)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    args = parser.parse_args()
    result = run(args.url, args.secret, args.connections, args.duration, args.warmup)
    print(MARKER + json.dumps(result))


if __name__ == "__main__":
    main()
