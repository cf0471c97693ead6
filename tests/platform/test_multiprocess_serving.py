"""`brain serve --workers N` (brain/serving.py): one SO_REUSEPORT socket per server process,
run for real — a supervisor subprocess serving a tiny app that answers with its pid."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from brain.serving import listening_socket, reuse_port_supported

pytestmark = pytest.mark.skipif(not reuse_port_supported(), reason="needs SO_REUSEPORT")

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pid_over_a_new_connection(port: int) -> int | None:
    try:
        with httpx.Client(timeout=2) as client:
            response = client.get(f"http://127.0.0.1:{port}/", headers={"Connection": "close"})
        return int(response.text)
    except httpx.HTTPError:
        return None


def _pids(port: int, connections: int = 48) -> set[int]:
    return {pid for _ in range(connections) if (pid := _pid_over_a_new_connection(port))}


def _wait_for(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_sockets_with_reuse_port_share_an_address() -> None:
    port = _free_port()
    first = listening_socket("127.0.0.1", port)
    second = listening_socket("127.0.0.1", port)
    try:
        assert first.getsockname() == second.getsockname()
    finally:
        first.close()
        second.close()


def test_every_process_serves_a_dead_one_is_replaced_and_sigterm_stops_all() -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "brain.serving", "tests.platform.pid_app:app",
         "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        seen: set[int] = set()

        def both_serving() -> bool:
            seen.update(_pids(port, 16))
            return len(seen) >= 2

        # New connections are spread over both processes by the kernel.
        _wait_for(both_serving, 30)
        assert len(seen) == 2
        victim = min(seen)
        os.kill(victim, signal.SIGKILL)

        replaced: set[int] = set()

        def replacement_serving() -> bool:
            replaced.update(_pids(port, 16))
            return bool(replaced - seen)

        # Its socket stays open in the supervisor and a new process takes it over.
        _wait_for(replacement_serving, 30)
        assert victim not in _pids(port, 16)
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=40) == 0
        # Nothing listens any more: every server process is gone with the supervisor.
        assert _pid_over_a_new_connection(port) is None
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait(10)
