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
    targets = {t["database"]: t for t in results.get("targets", [])}
    summary = results.get("summary", [])
    if not summary:
        return []
    fewest = min(e["connections"] for e in summary)
    for entry in summary:
        if entry["connections"] != fewest:
            continue
        database, cached = entry["database"], entry["cached"]
        target = targets.get(database, {})
        inproc = {r["variant"]: r for r in target.get("resolve", [])}.get("cached", {})
        foreign = [float(row[v]["foreign_cpu_pct"]) for row in target.get("latency", [])
                   for v in ("cached", "uncached") if "foreign_cpu_pct" in row.get(v, {})]
        other = max(foreign) if foreign else 0.0
        redis = str(target.get("cache", "")).startswith("Redis")
        p50, p95 = cached["added_p50_ms"], cached["added_p95_ms"]
        text = (f"**{database}** ({target.get('cache')}): with {fewest} client a cached session "
                f"check adds p50 {_fmt(p50, 3)} / p95 {_fmt(p95, 3)} ms over healthz (medians "
                f"of the repetitions); timed in-process it costs p50 "
                f"{_fmt(inproc.get('p50_ms'), 3)} / p95 {_fmt(inproc.get('p95_ms'), 3)} ms. ")
        if redis:
            text += ("A cached check is two Redis round trips — a GET, then a SET that rewrites "
                     "the entry on every request (`brain/identity/sessions.py`) — at p50 "
                     f"{_fmt(inproc.get('cache_get_p50_ms'), 3)} ms each here, plus opening and "
                     "closing a database session that runs no query. ")
        else:
            text += ("A cached check is two lookups in the process's own cache (no network) "
                     "plus opening and closing a database session that runs no query. ")
        if entry["target_met"]:
            text += "**Target met.**"
            if p95 is not None and p95 < 0:
                text += (" (A negative p95 difference means the two tails are within the "
                         "machine's noise of each other.)")
        elif (inproc.get("p50_ms") or 99) < TARGET_ADDED_P95_MS:
            text += ("**Target not met at p95**: the check's own typical cost (in-process p50) "
                     "is under 1 ms, but the "
                     "tail is set by other processes competing for the two cores — up to "
                     f"{other:.0f} % of a core during these runs — which stretch a sub-"
                     "millisecond piece of work whenever the server is descheduled. Re-run on "
                     "an idle machine to see the check's own tail. To cut the cost itself, "
                     "`resolve_session` could skip the SET when the entry came from the cache "
                     "and was not touched (one round trip instead of two).")
        else:
            text += ("**Target not met**: the check itself costs over 1 ms even at p50 here "
                     f"(other processes used up to {other:.0f} % of a core during the runs).")
        lines += [text, ""]
    for database, target in targets.items():
        logins = target.get("logins") or []
        hashes = target.get("argon2") or []
        if not logins or not hashes:
            continue
        best = max(logins, key=lambda r: r["logins_per_s"])
        fastest = max(hashes, key=lambda r: r["hashes_per_s"])
        single = hashes[0]
        lines += [
            f"**Logins ({database})**: at best {best['logins_per_s']} logins/s "
            f"({best['clients']} clients) against {fastest['hashes_per_s']} bare argon2id "
            f"hashes/s on {fastest['threads']} thread(s) in the same run "
            f"({round(100 * best['logins_per_s'] / fastest['hashes_per_s'])} % of it). One "
            f"hash takes {single['ms_per_hash']} ms on one thread, one login at 1 client "
            f"{logins[0]['p50_ms']} ms (p50), so the hash is about "
            f"{_share(single['ms_per_hash'], logins[0]['p50_ms'])} % of a login; the rest is "
            "the lockout, SSO and user lookups, the audit and session rows and the HTTP round "
            "trip. The hash runs in a worker thread, so one server process can hash on every "
            "core when the cores are free.",
            "",
        ]
    return lines


def _share(part: Any, whole: Any) -> str:
    if not isinstance(part, int | float) or not isinstance(whole, int | float) or not whole:
        return "?"
    return str(round(100 * part / whole))


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
