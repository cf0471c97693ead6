"""Load generators: `wrk` (C, preferred) or a pure-Python asyncio client (fallback).

Both run in their own process, open N keep-alive connections to one URL, send GETs back to
back for a fixed duration, and report the same numbers (requests/s, latency percentiles,
errors). Run the fallback alone with

    python -m benchmarks.api.loadgen http://127.0.0.1:8000/path --connections 16 --duration 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

MARKER = "BENCH_RESULT "

_WRK_SCRIPT = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_s":%.6f,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"p50_ms":%.4f,"p95_ms":%.4f,"p99_ms":%.4f,"max_ms":%.4f,"mean_ms":%.4f}\n',
    summary.requests, summary.duration / 1e6, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000))
end
"""


@dataclass
class LoadResult:
    """What one fixed-duration run measured."""

    tool: str
    connections: int
    requests: int
    duration_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    errors: dict[str, int] = field(default_factory=dict)
    bytes: int = 0

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def as_json(self) -> dict[str, object]:
        data: dict[str, object] = asdict(self)
        data["rps"] = round(self.rps, 1)
        return data


def wrk_path() -> str | None:
    return shutil.which("wrk")


def wrk_version() -> str:
    path = wrk_path()
    if path is None:
        return "wrk not installed"
    out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10)
    return (out.stdout or out.stderr).splitlines()[0].strip()


def _parse(tool: str, connections: int, output: str) -> LoadResult:
    for line in output.splitlines():
        if line.startswith(MARKER):
            raw = json.loads(line[len(MARKER):])
            return LoadResult(
                tool=tool,
                connections=connections,
                requests=int(raw["requests"]),
                duration_s=float(raw["duration_s"]),
                p50_ms=float(raw["p50_ms"]),
                p95_ms=float(raw["p95_ms"]),
                p99_ms=float(raw["p99_ms"]),
                max_ms=float(raw["max_ms"]),
                mean_ms=float(raw["mean_ms"]),
                errors={k: int(v) for k, v in raw["errors"].items()},
                bytes=int(raw.get("bytes", 0)),
            )
    raise RuntimeError(f"{tool} printed no result:\n{output[-2000:]}")


def run_load(
    *,
    tool: str,
    url: str,
    connections: int,
    duration: float,
    headers: dict[str, str],
    script_dir: Path,
) -> LoadResult:
    """One fixed-duration run of `tool` ("wrk" or "python") against `url`."""
    host = urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost"):
        raise ValueError(f"the benchmark only sends traffic to 127.0.0.1, not {host}")
    timeout = duration + 60
    if tool == "wrk":
        path = wrk_path()
        if path is None:
            raise RuntimeError("wrk is not installed")
        script = script_dir / "wrk_report.lua"
        script.write_text(_WRK_SCRIPT)
        # One wrk thread: it stays well ahead of one Python server process and leaves the
        # second core to the server and its database.
        cmd = [path, "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s",
               "--timeout", "10s", "-s", str(script)]
        for name, value in headers.items():
            cmd += ["-H", f"{name}: {value}"]
        cmd.append(url)
    else:
        cmd = [sys.executable, "-m", "benchmarks.api.loadgen", url,
               "--connections", str(connections), "--duration", str(duration)]
        for name, value in headers.items():
            cmd += ["--header", f"{name}: {value}"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{tool} exited {out.returncode}: {out.stderr[-2000:]}")
    return _parse(tool, connections, out.stdout)


# --- the pure-Python fallback ----------------------------------------------------------------


class _Stats:
    def __init__(self) -> None:
        self.latencies_ns: list[int] = []
        self.errors = {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0}
        self.bytes = 0


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, int]:
    """Read one HTTP/1.1 response; return (status, bytes read)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length: int | None = None
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        lname = name.strip().lower()
        if lname == b"content-length":
            length = int(value.strip())
        elif lname == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    size = len(head)
    if chunked:
        while True:
            size_line = await reader.readuntil(b"\r\n")
            chunk = int(size_line.split(b";", 1)[0].strip(), 16)
            body = await reader.readexactly(chunk + 2)
            size += len(size_line) + len(body)
            if chunk == 0:
                break
    elif length:
        await reader.readexactly(length)
        size += length
    return status, size


async def _connection(
    host: str, port: int, request: bytes, stats: _Stats, measure_from: float, stop_at: float
) -> None:
    loop = asyncio.get_running_loop()
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        stats.errors["connect"] += 1
        return
    try:
        while loop.time() < stop_at:
            started = time.perf_counter_ns()
            try:
                writer.write(request)
                await writer.drain()
            except OSError:
                stats.errors["write"] += 1
                return
            try:
                status, size = await asyncio.wait_for(_read_response(reader), 10)
            except TimeoutError:
                stats.errors["timeout"] += 1
                return
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                stats.errors["read"] += 1
                return
            elapsed = time.perf_counter_ns() - started
            if loop.time() < measure_from:
                continue
            stats.latencies_ns.append(elapsed)
            stats.bytes += size
            if status >= 400:
                stats.errors["status"] += 1
    finally:
        writer.close()


def _percentile(sorted_values: list[int], pct: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(pct / 100 * len(sorted_values)) - 1))
    return sorted_values[index] / 1e6


async def python_load(
    url: str, connections: int, duration: float, headers: dict[str, str], warmup: float = 0.0
) -> dict[str, object]:
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or 80
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"GET {target} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    stats = _Stats()
    loop = asyncio.get_running_loop()
    measure_from = loop.time() + warmup
    stop_at = measure_from + duration
    await asyncio.gather(
        *(_connection(host, port, request, stats, measure_from, stop_at)
          for _ in range(connections))
    )
    measured = max(1e-9, min(duration, loop.time() - measure_from))
    lat = sorted(stats.latencies_ns)
    return {
        "requests": len(lat),
        "duration_s": measured,
        "bytes": stats.bytes,
        "errors": stats.errors,
        "p50_ms": _percentile(lat, 50),
        "p95_ms": _percentile(lat, 95),
        "p99_ms": _percentile(lat, 99),
        "max_ms": lat[-1] / 1e6 if lat else 0.0,
        "mean_ms": sum(lat) / len(lat) / 1e6 if lat else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Pure-Python HTTP/1.1 load generator.")
    parser.add_argument("url")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=0.0)
    parser.add_argument("--header", action="append", default=[])
    args = parser.parse_args()
    host = urlsplit(args.url).hostname
    if host not in ("127.0.0.1", "localhost"):
        parser.error("only 127.0.0.1 is allowed")
    headers = dict(h.split(": ", 1) for h in args.header)
    loop_factory = None
    try:
        import uvloop

        loop_factory = uvloop.new_event_loop
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        pass
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        result = runner.run(
            python_load(args.url, args.connections, args.duration, headers, args.warmup))
    print(MARKER + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
