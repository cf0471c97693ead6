"""Read-path measurements: Brain next to the bare ASGI app, same requests, same run."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil  # type: ignore[import-untyped, unused-ignore]

from benchmarks.api.loadgen import LoadResult, run_load
from benchmarks.api.servers import Server

ORG_PREFIX = "/api/v1/organizations/{org_id}"


@dataclass(frozen=True)
class Capabilities:
    """Which warehouse routes the running server has (read from its OpenAPI document)."""

    create_entities: bool
    list_metrics: bool
    get_channel: bool
    batch: bool
    imports: bool

    def missing(self) -> list[str]:
        return [name for name, ok in vars(self).items() if not ok]


def probe(client: httpx.Client) -> tuple[Capabilities, str | None]:
    """The routes the server has; when its OpenAPI document fails, assume all of them (the
    requests themselves will then say what is missing) and return a note saying so."""
    response = client.get("/api/v1/openapi.json")
    if response.status_code != 200:
        note = (f"GET /api/v1/openapi.json answered {response.status_code}; "
                "assuming every warehouse route exists")
        return Capabilities(True, True, True, True, True), note
    paths: dict[str, dict[str, Any]] = response.json().get("paths", {})

    def has(pattern: str, method: str) -> bool:
        rx = re.compile("^" + re.escape(ORG_PREFIX) + pattern + "$")
        return any(rx.match(p) and method in ops for p, ops in paths.items())

    return Capabilities(
        create_entities=all(has(f"/{c}", "post") for c in ("channels", "campaigns", "creatives")),
        list_metrics=has("/metrics/daily", "get"),
        get_channel=has(r"/channels/\{[a-z_]+\}", "get"),
        batch=has(r"/metrics/daily:batch", "post"),
        imports=has("/imports", "post") and has(r"/imports/\{[a-z_]+\}", "get"),
    ), None


@dataclass
class Endpoint:
    key: str  # "list" | "single"
    label: str
    path_and_query: str
    body: bytes = b""


def capture(client: httpx.Client, endpoints: list[Endpoint]) -> list[str]:
    """GET each endpoint once and keep the exact response body; return problems found."""
    problems: list[str] = []
    for ep in endpoints:
        response = client.get(ep.path_and_query)
        if response.status_code != 200:
            problems.append(f"{ep.label}: HTTP {response.status_code} {response.text[:200]}")
            continue
        ep.body = response.content
        if ep.key == "list":
            size = len(response.json().get("data", []))
            if size != 50:
                problems.append(f"{ep.label}: the page has {size} items, not 50")
    return problems


def write_bodies(path: Path, endpoints: list[Endpoint]) -> None:
    bodies = {ep.path_and_query.split("?", 1)[0]: ep.body.decode("utf-8")
              for ep in endpoints if ep.body}
    path.write_text(json.dumps(bodies), encoding="utf-8")


def verify_bare(bare: Server, endpoints: list[Endpoint]) -> list[str]:
    problems = []
    for ep in endpoints:
        if not ep.body:
            continue
        got = httpx.get(bare.base_url + ep.path_and_query, timeout=10).content
        if got != ep.body:
            problems.append(f"bare app body differs for {ep.label}")
    return problems


def _cpu_seconds(proc: psutil.Process) -> float:
    """CPU seconds of the server and its worker processes (`--workers N` starts them)."""
    total = 0.0
    for member in [proc, *proc.children(recursive=True)]:
        try:
            times = member.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def _tree(pid: int) -> set[int]:
    try:
        root = psutil.Process(pid)
        return {pid} | {c.pid for c in root.children(recursive=True)}
    except psutil.Error:
        return {pid}


def _cpu_snapshot() -> dict[int, tuple[str, float]]:
    snap: dict[int, tuple[str, float]] = {}
    for proc in psutil.process_iter(["name", "cpu_times"]):
        times = proc.info.get("cpu_times")
        if times is not None:
            snap[proc.pid] = (proc.info.get("name") or "?", times.user + times.system)
    return snap


def foreign_cpu(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]],
                ours: set[int], wall: float) -> float:
    """CPU % (of one core) used by processes that are neither ours nor PostgreSQL's."""
    used = 0.0
    for pid, (name, cpu) in after.items():
        if pid in ours or name.startswith("postgres"):
            continue
        used += cpu - before.get(pid, (name, 0.0))[1]
    return round(100 * used / wall, 1) if wall else 0.0


def drain(server: Server, max_wait: float = 15.0) -> None:
    """Wait until the server has finished the previous run's backlog (its CPU drops)."""
    proc = psutil.Process(server.pid)
    deadline = time.monotonic() + max_wait
    last = _cpu_seconds(proc)
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = _cpu_seconds(proc)
        if now - last < 0.0125:  # under 5 % of a core over the interval
            return
        last = now


def measure(
    *, server: Server, endpoint: Endpoint, connections: int, duration: float, warmup: float,
    tool: str, headers: dict[str, str], script_dir: Path,
) -> dict[str, Any]:
    """A warm-up run, then the measured run; plus the server's and the machine's CPU use."""
    url = server.base_url + endpoint.path_and_query
    drain(server)
    if warmup > 0:
        run_load(tool=tool, url=url, connections=connections, duration=warmup,
                 headers=headers, script_dir=script_dir)
    proc = psutil.Process(server.pid)
    ours = _tree(server.pid) | _tree(os.getpid())
    snap_before = _cpu_snapshot()
    cpu_before = _cpu_seconds(proc)
    machine_before = psutil.cpu_times()
    started = time.monotonic()
    result: LoadResult = run_load(tool=tool, url=url, connections=connections,
                                  duration=duration, headers=headers, script_dir=script_dir)
    wall = time.monotonic() - started
    machine_after = psutil.cpu_times()
    snap_after = _cpu_snapshot()
    busy = sum(getattr(machine_after, f) - getattr(machine_before, f)
               for f in ("user", "system", "nice", "irq", "softirq"))
    total = busy + (machine_after.idle - machine_before.idle)
    data = result.as_json()
    data["server_cpu_pct"] = round(100 * (_cpu_seconds(proc) - cpu_before) / wall, 1)
    data["machine_cpu_pct"] = round(100 * busy / total, 1) if total else None
    # wrk has exited by now; its pid is gone from `after`, so it never counts as foreign.
    data["foreign_cpu_pct"] = foreign_cpu(snap_before, snap_after, ours, wall)
    return data


def run_read_path(
    *, brain: Server, bare: Server, endpoints: list[Endpoint], concurrency: list[int],
    duration: float, warmup: float, tool: str, headers: dict[str, str], script_dir: Path,
    deadline: float, log: Callable[[str], None],
) -> list[dict[str, Any]]:
    """For each endpoint and client count: bare then Brain, interleaved to share any drift."""
    rows: list[dict[str, Any]] = []
    for ep in endpoints:
        if not ep.body:
            continue
        for conns in concurrency:
            if time.monotonic() > deadline:
                log("  time limit reached; skipping the remaining read-path runs")
                return rows
            row: dict[str, Any] = {"endpoint": ep.key, "label": ep.label, "connections": conns,
                                   "response_bytes": len(ep.body)}
            for name, server in (("bare", bare), ("brain", brain)):
                row[name] = measure(server=server, endpoint=ep, connections=conns,
                                    duration=duration, warmup=warmup, tool=tool,
                                    headers=headers, script_dir=script_dir)
            b, r = row["bare"], row["brain"]
            row["rps_ratio"] = round(r["rps"] / b["rps"], 4) if b["rps"] else None
            row["p50_ratio"] = round(r["p50_ms"] / b["p50_ms"], 2) if b["p50_ms"] else None
            log(f"  {ep.key:6} c={conns:<3} brain {r['rps']:>8.0f} req/s p50 {r['p50_ms']:.2f} "
                f"p95 {r['p95_ms']:.2f} p99 {r['p99_ms']:.2f} ms | bare {b['rps']:>8.0f} req/s "
                f"p50 {b['p50_ms']:.2f} ms | brain/bare {row['rps_ratio']:.3f}"
                + (f" | errors brain {r['errors']} bare {b['errors']}"
                   if (sum(r["errors"].values()) or sum(b["errors"].values())) else ""))
            rows.append(row)
    return rows
