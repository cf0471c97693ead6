"""A description of the machine and software a benchmark ran on."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped, unused-ignore]

_PACKAGES = (
    "fastapi", "starlette", "uvicorn", "uvloop", "httptools", "pydantic",
    "sqlalchemy", "aiosqlite", "psycopg", "orjson",
)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _package_versions() -> dict[str, str]:
    versions: dict[str, str] = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _git_revision(root: Path) -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
            text=True, timeout=10, check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}{' (with uncommitted changes)' if dirty else ''}"


def describe(root: Path, *, postgres_version: str | None, load_generator: str) -> dict[str, Any]:
    """CPU, cores, RAM, OS, Python/PostgreSQL/SQLite versions, packages, date, git revision."""
    mem = psutil.virtual_memory()
    return {
        "date_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "cpu_model": cpu_model(),
        "cpu_cores_logical": os.cpu_count(),
        "cpu_cores_physical": psutil.cpu_count(logical=False),
        "ram_gib": round(mem.total / 2**30, 1),
        "os": f"{platform.system()} {platform.release()} ({platform.machine()})",
        "python": f"{platform.python_implementation()} {sys.version.split()[0]}",
        "postgresql": postgres_version or "not available",
        "sqlite": sqlite3.sqlite_version,
        "load_generator": load_generator,
        "packages": _package_versions(),
        "git_revision": _git_revision(root),
    }


def process_tree(pid: int) -> set[int]:
    """`pid` and its descendants (a Celery worker and its pool, say)."""
    try:
        root = psutil.Process(pid)
        return {pid} | {child.pid for child in root.children(recursive=True)}
    except psutil.Error:
        return {pid}


def background_load(seconds: float = 1.0, exclude: set[int] | None = None) -> dict[str, Any]:
    """Machine CPU busy % over `seconds` and the processes (not ours) using the most of it."""
    skip = set(exclude or ()) | {os.getpid()}
    procs: list[psutil.Process] = []
    for proc in psutil.process_iter(["pid", "name"]):
        if proc.pid in skip:
            continue
        try:
            proc.cpu_percent(None)
            procs.append(proc)
        except psutil.Error:
            continue
    before = psutil.cpu_times()
    time.sleep(seconds)
    after = psutil.cpu_times()
    busy = sum(getattr(after, f) - getattr(before, f)
               for f in ("user", "system", "nice", "irq", "softirq"))
    total = busy + (after.idle - before.idle)
    top: list[tuple[float, str]] = []
    for proc in procs:
        try:
            pct = proc.cpu_percent(None)
            if pct >= 5:
                top.append((pct, f"{proc.info['name']}[{proc.pid}] {pct:.0f} %"))
        except psutil.Error:
            continue
    top.sort(reverse=True)
    return {"machine_busy_pct": round(100 * busy / total, 1) if total else 0.0,
            "busiest_other_processes": [label for _, label in top[:4]]}


def wait_for_quiet(max_wait: float, threshold_pct: float, log: Any) -> dict[str, Any]:
    """Wait (at most `max_wait` s) until other processes leave the CPU mostly idle."""
    deadline = time.monotonic() + max_wait
    sample = background_load()
    while sample["machine_busy_pct"] > threshold_pct and time.monotonic() < deadline:
        log(f"  machine busy ({sample['machine_busy_pct']} %: "
            f"{', '.join(sample['busiest_other_processes']) or 'unknown'}); waiting…")
        time.sleep(4)
        sample = background_load()
    sample["quiet"] = sample["machine_busy_pct"] <= threshold_pct
    return sample
