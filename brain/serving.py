"""Serving the API from several processes (`brain serve --workers N`).

Why not uvicorn's own `--workers`: its processes share one listening socket, and each
process's event loop accepts every connection that is waiting when it wakes up. Clients
that keep their connections open (browsers, load balancers, API clients with keep-alive)
open them in bursts, so one process often takes most of them and stays the busy one for
their lifetime while the others idle — measured here, 16 keep-alive clients on two
processes left one process serving nearly all requests (p95 97 ms instead of ~25 ms).

Here each process gets a listening socket of its own, all bound to the same address with
`SO_REUSEPORT`: the kernel hands each new connection to one of them by a hash of its
addresses, so connections spread evenly whatever the timing. The supervisor (this
process) creates the sockets, starts one server process per socket, starts a new one in
the place of any that dies (on the same socket, so the connections queued on it are served),
and on SIGINT/SIGTERM stops them all (each finishes its requests in flight first).

Where `SO_REUSEPORT` does not exist (not Linux or a BSD) it falls back to uvicorn's
shared socket.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import signal
import socket
import threading
import time
from typing import Any

import uvicorn

logger = logging.getLogger("brain.serving")

# Seconds a server process gets to finish its requests in flight after SIGTERM.
GRACE_SECONDS = 30.0
# A process that dies sooner than this after its start is restarted after a pause (a crash
# at start-up, such as a database that is down, must not become a tight restart loop).
MIN_UPTIME_SECONDS = 5.0


# Allocations between two collections of the young generation (CPython's default is 700).
GC_YOUNG_THRESHOLD = 10_000


def tune_gc() -> None:
    """Garbage collection for a server process, once the application is loaded.

    A request allocates thousands of container objects, nearly all freed by reference
    counting as soon as it ends; the cyclic collector still runs every 700 allocations, and a
    full collection walks every object the process holds, the imported modules and the app
    included (7 ms a time, measured under load). `gc.freeze()` moves what start-up made into
    the permanent generation, which collections skip, and the higher first threshold makes
    young collections rarer. Cycles are still collected, a little later.
    """
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


def reuse_port_supported() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def listening_socket(host: str, port: int, *, backlog: int = 2048) -> socket.socket:
    """A TCP socket bound to (host, port) with SO_REUSEPORT, listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(backlog)
        sock.set_inheritable(True)
    except BaseException:
        sock.close()
        raise
    return sock


def _serve_one(app: str, sock: socket.socket, options: dict[str, Any]) -> None:
    """A server process: uvicorn on its own socket (runs in the child)."""
    # The supervisor decides when to stop: a Ctrl-C in the terminal reaches the whole process
    # group, and the child would otherwise exit before the supervisor asks it to.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    config = uvicorn.Config(app, **options)
    config.load()
    tune_gc()
    server = uvicorn.Server(config)
    server.run(sockets=[sock])


class Supervisor:
    """N server processes, one SO_REUSEPORT socket each (see the module docstring)."""

    def __init__(self, app: str, *, host: str, port: int, workers: int,
                 options: dict[str, Any] | None = None) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.workers = workers
        self.options = dict(options or {})
        self.context = multiprocessing.get_context("spawn")
        self.sockets: list[socket.socket] = []
        self.processes: list[Any] = []
        self.started_at: list[float] = []
        self.stopping = threading.Event()

    def _start(self, index: int) -> None:
        process = self.context.Process(
            target=_serve_one, args=(self.app, self.sockets[index], self.options),
            name=f"brain-serve-{index + 1}",
        )
        process.start()
        self.processes[index] = process
        self.started_at[index] = time.monotonic()

    def _stop_signal(self, signum: int, _frame: object) -> None:
        self.stopping.set()

    def run(self) -> None:
        """Serve until SIGINT/SIGTERM; returns once every server process has exited."""
        for _ in range(self.workers):
            self.sockets.append(listening_socket(self.host, self.port))
        self.processes = [None] * self.workers
        self.started_at = [0.0] * self.workers
        previous = {sig: signal.signal(sig, self._stop_signal)
                    for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for index in range(self.workers):
                self._start(index)
            while not self.stopping.wait(0.5):
                for index, process in enumerate(self.processes):
                    if process.is_alive():
                        continue
                    uptime = time.monotonic() - self.started_at[index]
                    logger.warning("server process %s exited with %s after %.0f s; starting "
                                   "another", process.pid, process.exitcode, uptime)
                    if uptime < MIN_UPTIME_SECONDS and self.stopping.wait(MIN_UPTIME_SECONDS):
                        break
                    self._start(index)
        finally:
            self._shutdown()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _shutdown(self) -> None:
        for process in self.processes:
            if process is not None and process.is_alive():
                process.terminate()  # SIGTERM: uvicorn's graceful shutdown
        deadline = time.monotonic() + GRACE_SECONDS
        for process in self.processes:
            if process is None:
                continue
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(5)
        for sock in self.sockets:
            sock.close()
        self.sockets = []


def serve_processes(app: str, *, host: str, port: int, workers: int,
                    **options: Any) -> None:
    """Serve the ASGI app named `app` ("module:attribute") from `workers` processes."""
    if not reuse_port_supported():
        uvicorn.run(app, host=host, port=port, workers=workers, **options)
        return
    Supervisor(app, host=host, port=port, workers=workers, options=options).run()


def main(argv: list[str] | None = None) -> None:
    """`python -m brain.serving APP --host H --port P --workers N`: any ASGI app served the
    way `brain serve --workers N` serves Brain (the benchmarks' bare app uses it)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m brain.serving", description=main.__doc__)
    parser.add_argument("app", help='the ASGI app, "module:attribute"')
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    serve_processes(args.app, host=args.host, port=args.port, workers=args.workers,
                    log_level=args.log_level)


if __name__ == "__main__":
    main()
