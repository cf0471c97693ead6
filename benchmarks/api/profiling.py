"""Where the server's time goes: py-spy samples of its event-loop thread under load.

Optional (`--profile`): needs `py-spy` (pip install py-spy; not a project dependency). The
profile run is separate from the measured runs, so sampling never perturbs the numbers.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.api.loadgen import run_load


def py_spy_path() -> str | None:
    candidate = Path(sys.executable).parent / "py-spy"
    return str(candidate) if candidate.exists() else shutil.which("py-spy")


def _package(frame: str) -> str:
    """'func (sqlalchemy/orm/session.py:12)' → 'sqlalchemy'."""
    if " (" not in frame:
        return "other"
    location = frame.rsplit(" (", 1)[1].rstrip(")")
    path = location.rsplit(":", 1)[0]
    first = path.split("/", 1)[0] if "/" in path else path.removesuffix(".py")
    return first or "other"


def _function(frame: str) -> str:
    if " (" not in frame:
        return frame
    name, location = frame.rsplit(" (", 1)
    path = location.rstrip(")").rsplit(":", 1)[0]
    return f"{name} ({path})"


def summarize(raw: Path, top: int = 12) -> dict[str, Any]:
    """Self time by package, the top self-time functions, and Brain's own functions
    (inclusive), over the samples of the event-loop thread (greenlet stacks included)."""
    by_package: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    brain_inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or "MainThread" not in stack.split(";", 1)[0]:
            continue
        n = int(count)
        frames = stack.split(";")[1:]
        if not frames:
            continue
        total += n
        by_package[_package(frames[-1])] += n
        leaves[_function(frames[-1])] += n
        # Brain's own frames, without the CLI and the middlewares that wrap every request.
        own = {_function(f) for f in frames if "(brain/" in f and "(brain/cli.py" not in f
               and "Middleware.__call__ (" not in f}
        for func in own:
            brain_inclusive[func] += n
    if not total:
        return {"samples": 0}

    def pct(counter: Counter[str], limit: int) -> dict[str, float]:
        return {k: round(100 * v / total, 1) for k, v in counter.most_common(limit)}

    return {
        "samples": total,
        "self_by_package_pct": pct(by_package, 12),
        "top_self_pct": pct(leaves, top),
        "brain_inclusive_pct": pct(brain_inclusive, top),
    }


def profile_during(pid: int, action: Callable[[], object], out: Path,
                   max_seconds: float = 120) -> dict[str, Any]:
    """Sample the server with py-spy (non-blocking) while `action` runs in this process."""
    spy = py_spy_path()
    if spy is None:
        return {"error": "py-spy not installed"}
    cmd = [spy, "record", "-p", str(pid), "-d", str(round(max_seconds)), "-r", "200",
           "-f", "raw", "-o", str(out), "--nonblocking", "--threads"]
    out.unlink(missing_ok=True)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.5)  # let py-spy attach
    try:
        result = action()
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
        try:
            _, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            err = b"timed out"
    if not out.exists():
        return {"error": f"py-spy wrote nothing: {err.decode(errors='replace')[-300:]}"}
    summary = summarize(out)
    summary["action_result"] = result if isinstance(result, int | float | str) else None
    return summary


def profile_under_load(*, pid: int, url: str, connections: int, duration: float, tool: str,
                       headers: dict[str, str], out: Path) -> dict[str, Any]:
    """A profile of one fixed-duration load run (not one of the measured runs)."""

    def drive() -> float:
        return round(run_load(tool=tool, url=url, connections=connections, duration=duration,
                              headers=headers, script_dir=out.parent).rps, 1)

    summary = profile_during(pid, drive, out, max_seconds=duration + 30)
    summary["rps_while_profiling"] = summary.pop("action_result", None)
    return summary
