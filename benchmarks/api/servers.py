"""Fresh databases, `brain migrate`, `brain orgs create`, and server subprocesses."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
import psycopg
from psycopg import sql

HOST = "127.0.0.1"
PG_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
PG_DB = "brain_bench"
# A throw-away signing key for the benchmark's server (development mode, local only).
BENCH_SECRET = secrets.token_urlsafe(48)


@dataclass
class Target:
    """One database under test and the environment every Brain command runs with."""

    name: str  # "sqlite" | "postgresql"
    database_url: str
    var_dir: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def is_postgres(self) -> bool:
        return self.name == "postgresql"


# Redis for the production-shape run (its own database number, flushed before use).
PROD_REDIS_URL = "redis://127.0.0.1:6379/13"


def venv_bin(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def pg_conninfo(dbname: str = PG_DB) -> str:
    return f"host=127.0.0.1 port=5432 user=postgres dbname={dbname}"


def postgres_version() -> str | None:
    try:
        with psycopg.connect(PG_DSN, connect_timeout=5) as conn:
            row = conn.execute("SHOW server_version").fetchone()
    except psycopg.Error:
        return None
    return str(row[0]) if row else None


def fresh_target(name: str, tmp: Path) -> Target:
    """A brand-new database: a new SQLite file, or `brain_bench` dropped and re-created."""
    var_dir = tmp / f"var-{name}"
    if var_dir.exists():
        shutil.rmtree(var_dir)
    var_dir.mkdir(parents=True)
    if name == "sqlite":
        url = f"sqlite+aiosqlite:///{var_dir / 'brain.db'}"
    else:
        with psycopg.connect(PG_DSN, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(PG_DB)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(PG_DB)))
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_DB}"
    env = dict(os.environ)
    for key in list(env):
        if key.startswith("BRAIN_"):
            del env[key]  # nothing from the caller's shell leaks into the measured set-up
    env.update({
        "BRAIN_DATABASE_URL": url,
        "BRAIN_VAR_DIR": str(var_dir),
        "BRAIN_SECRET_KEY": BENCH_SECRET,
        "BRAIN_RATE_LIMIT_PER_MINUTE": "0",
        "BRAIN_ENV": "development",
    })
    return Target(name=name, database_url=url, var_dir=var_dir, env=env)


def brain_command(target: Target, *args: str, timeout: float = 300) -> str:
    """Run `brain ARGS` with the target's environment; return stdout (raise with stderr)."""
    out = subprocess.run(
        [venv_bin("brain"), *args], env=target.env, capture_output=True, text=True,
        timeout=timeout, check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"brain {' '.join(args)} failed: {out.stderr.strip()[-1500:]}")
    return out.stdout


def migrate_and_create_org(target: Target) -> tuple[str, str]:
    """`brain migrate`, `brain orgs create --name Bench --json` → (org id, admin key), then
    `brain orgs set-plan ORG enterprise`: the benchmark ingests about 3 million rows, past
    the smaller plans' monthly event quota, which would otherwise refuse the big import."""
    brain_command(target, "migrate")
    created = json.loads(brain_command(target, "orgs", "create", "--name", "Bench", "--json"))
    brain_command(target, "orgs", "set-plan", str(created["organization_id"]), "enterprise")
    return str(created["organization_id"]), str(created["api_key"])


class Server:
    """A server subprocess on 127.0.0.1 (uvicorn; with --workers N a master and N worker
    processes), stopped by its pid."""

    def __init__(self, label: str, cmd: list[str], env: dict[str, str], port: int,
                 log_path: Path, ready_path: str) -> None:
        self.label = label
        self.cmd = cmd
        self.env = env
        self.port = port
        self.log_path = log_path
        self.ready_path = ready_path
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError(f"{self.label} is not running")
        return self.proc.pid

    def start(self, timeout: float = 60) -> Server:
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(self.cmd, env=self.env, stdout=self._log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.label} exited with {self.proc.returncode}; see {self.log_path}")
            try:
                response = httpx.get(self.base_url + self.ready_path, timeout=2)
                if response.status_code < 500:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.label} did not answer within {timeout:.0f} s")

    def stop(self, timeout: float = 20) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def brain_server(target: Target, log_dir: Path, workers: int = 1) -> Server:
    """`brain serve`: one uvicorn process plus the embedded job worker thread; or, with
    `workers` > 1, the production shape — that many uvicorn processes sharing Redis (cache and
    Celery broker; the read path needs no worker process)."""
    port = free_port()
    env = dict(target.env)
    label = f"brain ({target.name})"
    if workers > 1:
        env["BRAIN_REDIS_URL"] = env["BRAIN_BROKER_URL"] = PROD_REDIS_URL
        label = f"brain ({target.name}, {workers} processes)"
    return Server(
        label,
        [venv_bin("brain"), "serve", "--host", HOST, "--port", str(port), "--workers",
         str(workers)],
        env, port, log_dir / f"brain-{target.name}-w{workers}.log", "/api/v1/healthz",
    )


def bare_server(bodies_file: Path, log_dir: Path, label: str, workers: int = 1) -> Server:
    """The bare ASGI app under the same uvicorn settings and process model `brain serve`
    uses."""
    port = free_port()
    env = dict(os.environ)
    env["BENCH_BARE_BODIES"] = str(bodies_file)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return Server(
        f"bare ASGI ({label})",
        # With more than one process, the way `brain serve --workers N` runs them (one
        # SO_REUSEPORT socket each, brain/serving.py).
        [sys.executable, "-m", "uvicorn" if workers == 1 else "brain.serving",
         "benchmarks.api.bare_app:app", "--host", HOST, "--port", str(port),
         "--log-level", "warning", "--workers", str(workers)],
        env, port, log_dir / f"bare-{label}-w{workers}.log", "/",
    )
