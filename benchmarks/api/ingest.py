"""Ingest measurements: `metrics/daily:batch`, CSV import (+ peak RSS), raw psycopg `COPY`."""

from __future__ import annotations

import contextlib
import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil  # type: ignore[import-untyped, unused-ignore]
import psycopg
from psycopg import sql

from benchmarks.api.data import COPY_COLUMNS, MetricRow, copy_tuples

COPY_TABLE = "bench_raw_copy_daily_metrics"


class RssSampler:
    """Samples the RSS of a process and its children every `interval` seconds (a thread)."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.process = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self.samples = 0
        self.series: list[tuple[float, int]] = []  # (seconds, bytes), one a second
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._started = 0.0

    def rss_now(self) -> int:
        total = 0
        try:
            total = self.process.memory_info().rss
            for child in self.process.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    total += child.memory_info().rss
        except psutil.Error:
            pass
        return total

    def _run(self) -> None:
        next_series = 0.0
        while not self._stop.is_set():
            rss = self.rss_now()
            self.samples += 1
            self.peak = max(self.peak, rss)
            elapsed = time.monotonic() - self._started
            if elapsed >= next_series:
                self.series.append((round(elapsed, 1), rss))
                next_series += 1.0
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(5)


@dataclass
class BatchResult:
    requests: int = 0
    rows: int = 0
    seconds: float = 0.0
    latencies_s: list[float] = field(default_factory=list)
    error: str | None = None

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests, "rows": self.rows, "seconds": round(self.seconds, 3),
            "rows_per_s": round(self.rows_per_s, 1),
            "request_p50_s": round(statistics.median(self.latencies_s), 3)
            if self.latencies_s else None,
            "request_max_s": round(max(self.latencies_s), 3) if self.latencies_s else None,
            "error": self.error,
        }


def run_batches(client: httpx.Client, url: str, bodies: list[bytes], rows_per_body: list[int],
                deadline: float) -> BatchResult:
    """POST each pre-serialized body in turn, timing each request (bounded by `deadline`)."""
    result = BatchResult()
    for body, expected in zip(bodies, rows_per_body, strict=True):
        if time.monotonic() > deadline:
            result.error = "stopped at the time limit"
            break
        started = time.perf_counter()
        response = client.post(url, content=body, headers={"content-type": "application/json"},
                               timeout=600)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            result.error = f"HTTP {response.status_code}: {response.text[:300]}"
            break
        upserted = response.json().get("upserted")
        if upserted != expected:
            result.error = f"upserted {upserted}, expected {expected}"
            break
        result.requests += 1
        result.rows += expected
        result.seconds += elapsed
        result.latencies_s.append(elapsed)
    return result


@dataclass
class ImportResult:
    file_rows: int
    file_bytes: int
    status: str = "not run"
    rows_accepted: int = 0
    rows_rejected: int = 0
    upload_s: float = 0.0
    total_s: float = 0.0
    server_s: float | None = None
    rss_baseline: int = 0
    rss_peak: int = 0
    rss_samples: int = 0
    rss_series: list[tuple[float, int]] = field(default_factory=list)
    error: str | None = None

    @property
    def rows_per_s(self) -> float:
        return self.rows_accepted / self.total_s if self.total_s else 0.0

    def as_json(self) -> dict[str, Any]:
        mib, mb = 2**20, 10**6
        return {
            "file_rows": self.file_rows, "file_mib": round(self.file_bytes / mib, 1),
            "status": self.status, "rows_accepted": self.rows_accepted,
            "rows_rejected": self.rows_rejected, "upload_s": round(self.upload_s, 2),
            "total_s": round(self.total_s, 2),
            "server_s": round(self.server_s, 2) if self.server_s is not None else None,
            "rows_per_s": round(self.rows_per_s, 1),
            "rss_baseline_mb": round(self.rss_baseline / mb, 1),
            "rss_peak_mb": round(self.rss_peak / mb, 1), "rss_samples": self.rss_samples,
            "rss_series_mb": [(t, round(b / mb, 1)) for t, b in self.rss_series],
            "error": self.error,
        }


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def run_import(client: httpx.Client, org_path: str, csv_path: Path, file_rows: int,
               file_bytes: int, server_pid: int, timeout: float) -> ImportResult:
    """Upload the CSV (streamed from disk), poll the job to the end; sample the server's RSS."""
    result = ImportResult(file_rows=file_rows, file_bytes=file_bytes)
    sampler = RssSampler(server_pid)
    result.rss_baseline = sampler.rss_now()
    deadline = time.monotonic() + timeout
    with sampler:
        started = time.perf_counter()
        with csv_path.open("rb") as fh:
            response = client.post(
                f"{org_path}/imports", data={"kind": "daily_metrics"},
                files={"file": (csv_path.name, fh, "text/csv")}, timeout=timeout,
            )
        result.upload_s = time.perf_counter() - started
        if response.status_code != 202:
            result.status = "rejected"
            result.error = f"HTTP {response.status_code}: {response.text[:300]}"
        else:
            job = response.json()
            job_id = job["id"]
            while job.get("status") not in ("succeeded", "failed"):
                if time.monotonic() > deadline:
                    result.error = f"not finished after {timeout:.0f} s"
                    break
                time.sleep(0.25)
                poll = client.get(f"{org_path}/imports/{job_id}", timeout=30)
                if poll.status_code == 200:
                    job = poll.json()
            result.total_s = time.perf_counter() - started
            result.status = str(job.get("status"))
            result.rows_accepted = int(job.get("rows_accepted") or 0)
            result.rows_rejected = int(job.get("rows_rejected") or 0)
            created = _parse_time(job.get("created_at"))
            finished = _parse_time(job.get("finished_at"))
            if created and finished:
                result.server_s = (finished - created).total_seconds()
            if result.status == "failed":
                result.error = str(job.get("failure_reason") or job.get("errors"))[:300]
            elif result.rows_rejected:
                result.error = f"first errors: {str(job.get('errors'))[:300]}"
    result.rss_peak = sampler.peak
    result.rss_samples = sampler.samples
    result.rss_series = sampler.series
    return result


@dataclass
class CopyResult:
    rows: int = 0
    seconds: float = 0.0
    statements: int = 0

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    def as_json(self) -> dict[str, Any]:
        return {"rows": self.rows, "seconds": round(self.seconds, 3),
                "statements": self.statements, "rows_per_s": round(self.rows_per_s, 1)}


def prepare_copy_table(conninfo: str, *, equivalent: bool = True) -> None:
    """An empty table like `daily_metrics`: same columns, primary key, indexes and foreign
    keys (`equivalent`), or the same columns with only the primary key (a ceiling)."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(COPY_TABLE)))
        if not equivalent:
            conn.execute(sql.SQL("CREATE TABLE {} (LIKE daily_metrics INCLUDING DEFAULTS)")
                         .format(sql.Identifier(COPY_TABLE)))
            conn.execute(sql.SQL("ALTER TABLE {} ADD PRIMARY KEY (id)").format(
                sql.Identifier(COPY_TABLE)))
            return
        conn.execute(sql.SQL("CREATE TABLE {} (LIKE daily_metrics INCLUDING ALL)").format(
            sql.Identifier(COPY_TABLE)))
        for column, parent in (("organization_id", "organizations"), ("channel_id", "channels"),
                               ("campaign_id", "campaigns"), ("creative_id", "creatives")):
            conn.execute(sql.SQL(
                "ALTER TABLE {} ADD FOREIGN KEY ({}) REFERENCES {} (id) ON DELETE CASCADE"
            ).format(sql.Identifier(COPY_TABLE), sql.Identifier(column), sql.Identifier(parent)))


def drop_copy_table(conninfo: str) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(COPY_TABLE)))


def raw_copy(conninfo: str, org_id: str, rows: Iterator[MetricRow], chunk: int,
             deadline: float) -> CopyResult:
    """psycopg 3 `COPY … FROM STDIN` of the rows, one statement and commit per `chunk` rows.

    The tuples are built before each timed COPY, so only the database write is measured."""
    org = uuid.UUID(org_id)
    result = CopyResult()
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(COPY_TABLE), sql.SQL(", ").join(map(sql.Identifier, COPY_COLUMNS)))
    now = datetime.now(UTC)
    with psycopg.connect(conninfo) as conn:
        pending: list[MetricRow] = []

        def flush() -> None:
            tuples = copy_tuples(org, pending, now)
            started = time.perf_counter()
            with conn.cursor() as cur, cur.copy(statement) as copy:
                for item in tuples:
                    copy.write_row(item)
            conn.commit()
            result.seconds += time.perf_counter() - started
            result.rows += len(tuples)
            result.statements += 1
            pending.clear()

        for row in rows:
            pending.append(row)
            if len(pending) == chunk:
                flush()
                if time.monotonic() > deadline:
                    break
        if pending and time.monotonic() <= deadline:
            flush()
    return result
