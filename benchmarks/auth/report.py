"""results.json → the numbers that matter (evaluate) and results.md (render)."""

from __future__ import annotations

from typing import Any

TARGET_ADDED_P95_MS = 1.0


def _get(row: dict[str, Any], variant: str, key: str) -> float | None:
    value = row.get(variant, {}).get(key)
    return float(value) if isinstance(value, int | float) else None


def _diff(a: float | None, b: float | None) -> float | None:
    return round(a - b, 3) if a is not None and b is not None else None


def _service_ms(rps: float | None) -> float | None:
    return 1000.0 / rps if rps else None


def evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Per database and client count: what validating a session adds to healthz, cached and
    uncached, as p50/p95 latency and as service time (1/throughput)."""
    summary: list[dict[str, Any]] = []
    for target in results.get("targets", []):
        if "latency" not in target:
            continue
        by_key: dict[tuple[str, int], dict[str, Any]] = {
            (row["endpoint"], row["connections"]): row for row in target["latency"]}
        for connections in sorted({c for _, c in by_key}):
            health = by_key.get(("healthz", connections), {})
            session = by_key.get(("session", connections), {})
            me = by_key.get(("me", connections), {})
            entry: dict[str, Any] = {"database": target["database"], "cache": target["cache"],
                                     "connections": connections}
            for variant in ("cached", "uncached"):
                entry[variant] = {
                    "healthz_p50_ms": _get(health, variant, "p50_ms"),
                    "healthz_p95_ms": _get(health, variant, "p95_ms"),
                    "session_p50_ms": _get(session, variant, "p50_ms"),
                    "session_p95_ms": _get(session, variant, "p95_ms"),
                    "me_p50_ms": _get(me, variant, "p50_ms"),
                    "me_p95_ms": _get(me, variant, "p95_ms"),
                    "added_p50_ms": _diff(_get(session, variant, "p50_ms"),
                                          _get(health, variant, "p50_ms")),
                    "added_p95_ms": _diff(_get(session, variant, "p95_ms"),
                                          _get(health, variant, "p95_ms")),
                    "added_service_ms": _diff(_service_ms(_get(session, variant, "rps")),
                                              _service_ms(_get(health, variant, "rps"))),
                }
            for row in target.get("resolve", []):
                entry[row["variant"]]["resolve_p50_ms"] = row["p50_ms"]
                entry[row["variant"]]["resolve_p95_ms"] = row["p95_ms"]
            added = entry["cached"]["added_p95_ms"]
            entry["target_met"] = added is not None and added < TARGET_ADDED_P95_MS
            summary.append(entry)
    return summary


def analysis(results: dict[str, Any]) -> list[str]:
    """A paragraph per database on the 1-client result: met or not, and why."""
    lines = ["### Reading", ""]
    resolve = {t["database"]: {r["variant"]: r for r in t.get("resolve", [])}
               for t in results.get("targets", [])}
    busy = {t["database"]: [r for row in t.get("latency", [])
                            for v in ("cached", "uncached") for r in [row.get(v, {})]
                            if r.get("foreign_cpu_pct") is not None]
            for t in results.get("targets", [])}
    for entry in results.get("summary", []):
        if entry["connections"] != min(e["connections"] for e in results["summary"]):
            continue
        database, cached = entry["database"], entry["cached"]
        inproc = resolve.get(database, {}).get("cached", {})
        foreign = [float(r["foreign_cpu_pct"]) for r in busy.get(database, [])]
        other = max(foreign) if foreign else 0.0
        text = (f"**{database}**: a cached session check adds p50 "
                f"{_fmt(cached['added_p50_ms'], 3)} ms and p95 {_fmt(cached['added_p95_ms'], 3)}"
                f" ms over healthz at 1 client; timed in-process it costs p50 "
                f"{_fmt(inproc.get('p50_ms'), 3)} / p95 {_fmt(inproc.get('p95_ms'), 3)} ms, of "
                f"which two cache round trips (a GET, then a SET that refreshes the entry on "
                f"every request) at p50 {_fmt(inproc.get('cache_get_p50_ms'), 3)} ms each. ")
        if entry["target_met"]:
            text += "Target met."
        elif (inproc.get("p95_ms") or 99) < TARGET_ADDED_P95_MS:
            text += ("Target not met over HTTP although the check itself stays under 1 ms "
                     "p95: the difference of two p95s is dominated by scheduling noise — other "
                     f"processes used up to {other:.0f} % of a core during these runs. Re-run "
                     "on an idle machine.")
        else:
            text += ("Target not met: the check itself exceeds 1 ms p95 here; its cost is the "
                     "cache round trips above plus opening and committing a database session "
                     f"(other processes used up to {other:.0f} % of a core during the runs).")
        lines += [text, ""]
    return lines


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def render_summary(summary: list[dict[str, Any]]) -> str:
    lines = [f"Target: a cached session check adds < {TARGET_ADDED_P95_MS:g} ms p95 "
             "(GET /api/v1/bench/session minus GET /api/v1/healthz, same server)."]
    for entry in summary:
        cached, uncached = entry["cached"], entry["uncached"]
        lines.append(
            f"  {entry['database']:10} c={entry['connections']:<3} cached adds "
            f"p50 {_fmt(cached['added_p50_ms'], 3)} / p95 {_fmt(cached['added_p95_ms'], 3)} ms "
            f"(service {_fmt(cached['added_service_ms'], 3)} ms); uncached adds "
            f"p50 {_fmt(uncached['added_p50_ms'], 3)} / p95 {_fmt(uncached['added_p95_ms'], 3)} "
            f"ms (service {_fmt(uncached['added_service_ms'], 3)} ms) → "
            + ("MET" if entry["target_met"] else "NOT MET"))
    return "\n".join(lines)


def _machine(results: dict[str, Any]) -> list[str]:
    m = results["machine"]
    packages = ", ".join(f"{k} {v}" for k, v in m.get("packages", {}).items())
    return [
        "| | |", "|---|---|",
        f"| date | {m['date_utc']} |",
        f"| CPU | {m['cpu_model']} — {m['cpu_cores_logical']} logical / "
        f"{m['cpu_cores_physical']} physical cores |",
        f"| RAM | {m['ram_gib']} GiB |",
        f"| OS | {m['os']} |",
        f"| Python | {m['python']} |",
        f"| PostgreSQL | {m['postgresql']} |",
        f"| SQLite | {m['sqlite']} |",
        f"| load generator | {m['load_generator']} |",
        f"| packages | {packages} |",
        f"| git revision | {m['git_revision']} |",
    ]


def _target_section(target: dict[str, Any]) -> list[str]:
    lines = [f"## {target['database']} (session cache: {target.get('cache', '?')})", ""]
    if "failed" in target:
        return [*lines, f"**Failed:** {target['failed']}", ""]
    for note in target.get("notes", []):
        lines.append(f"> note: {note}")
    if target.get("notes"):
        lines.append("")
    lines += ["### Login throughput", "",
              "| what | threads / clients | per second | p50 ms | p95 ms | server CPU | errors |",
              "|---|---|---|---|---|---|---|"]
    for row in target.get("argon2", []):
        lines.append(f"| bare argon2id hash (Brain's hasher, in-process) | {row['threads']} "
                     f"thread(s) | {row['hashes_per_s']} hashes/s | {row['ms_per_hash']} "
                     "(per hash) | - | - | - |")
    for row in target.get("logins", []):
        lines.append(f"| POST /api/v1/auth/login | {row['clients']} client(s) | "
                     f"{row['logins_per_s']} logins/s | {_fmt(row['p50_ms'], 1)} | "
                     f"{_fmt(row['p95_ms'], 1)} | {row['server_cpu_pct']} % | "
                     f"{row['errors'] or 0} |")
    if target.get("resolve"):
        lines += ["", "### `resolve_session` in-process (no HTTP)", "",
                  "| session cache | calls | p50 ms | p95 ms | p99 ms | mean ms |",
                  "|---|---|---|---|---|---|"]
        for row in target["resolve"]:
            lines.append(f"| {row['variant']} | {row['calls']} | {row['p50_ms']} | "
                         f"{row['p95_ms']} | {row['p99_ms']} | {row['mean_ms']} |")
    lines += ["", "### Per-request latency (medians over the repetitions, servers alternating)",
              "",
              "| endpoint | clients | session cache | req/s | p50 ms | p95 ms | p99 ms | "
              "other CPU |", "|---|---|---|---|---|---|---|---|"]
    for row in target.get("latency", []):
        for variant in ("cached", "uncached"):
            r = row.get(variant)
            if not r:
                continue
            lines.append(
                f"| {row['label']} | {row['connections']} | {variant} | {r['rps']:.0f} | "
                f"{r['p50_ms']:.3f} | {r['p95_ms']:.3f} | {r['p99_ms']:.3f} | "
                f"{r['foreign_cpu_pct']} % |")
    lines.append("")
    return lines


def render(results: dict[str, Any]) -> str:
    summary = results.get("summary", [])
    lines = [
        "# Auth benchmark results", "",
        f"Command: `{results['command']}` ({results['mode']} run, {results['total_s']:.0f} s). "
        "Method and caveats: [README.md](README.md).", "",
        "## Machine", "", *_machine(results), "",
        "## Session validation: what it adds to a request", "",
        f"Target: a **cached** session check adds **< {TARGET_ADDED_P95_MS:g} ms p95**. "
        "\"Adds\" = GET /api/v1/bench/session (the session check and nothing else) minus "
        "GET /api/v1/healthz on the same server in the same run; \"service\" = the same "
        "difference in server time per request (1 / throughput), which queueing does not "
        "inflate.", "",
        "The last columns time `resolve_session` itself in the benchmark process (the "
        "dependency's work: a database session, the cache or the database, commit), with no "
        "HTTP stack in the way. HTTP numbers are medians over the repetitions.", "",
        "| database | clients | cached: adds p50 / p95 ms | cached: service ms | "
        "uncached: adds p50 / p95 ms | uncached: service ms | target (p95 < 1 ms) | "
        "in-process p50 / p95 ms, cached | in-process p50 / p95 ms, uncached |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for e in summary:
        c, u = e["cached"], e["uncached"]
        lines.append(
            f"| {e['database']} | {e['connections']} | {_fmt(c['added_p50_ms'], 3)} / "
            f"{_fmt(c['added_p95_ms'], 3)} | {_fmt(c['added_service_ms'], 3)} | "
            f"{_fmt(u['added_p50_ms'], 3)} / {_fmt(u['added_p95_ms'], 3)} | "
            f"{_fmt(u['added_service_ms'], 3)} | {'met' if e['target_met'] else 'NOT met'} | "
            f"{_fmt(c.get('resolve_p50_ms'), 3)} / {_fmt(c.get('resolve_p95_ms'), 3)} | "
            f"{_fmt(u.get('resolve_p50_ms'), 3)} / {_fmt(u.get('resolve_p95_ms'), 3)} |")
    lines.append("")
    lines += results.get("analysis", [])
    for target in results.get("targets", []):
        lines += _target_section(target)
    return "\n".join(lines) + "\n"
