"""Targets (PASS/FAIL) and the Markdown report rendered from results.json."""

from __future__ import annotations

from typing import Any

LIST_P95_MS = 50.0
BATCH_COPY_RATIO = 0.30
IMPORT_RSS_MB = 300.0
DB_LABEL = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _verdict(ok: bool | None) -> str:
    return "NOT RUN" if ok is None else ("PASS" if ok else "FAIL")


def evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One entry per target and database: what was measured, the threshold, PASS/FAIL."""
    out: list[dict[str, Any]] = []
    for t in results.get("targets", []):
        db = DB_LABEL.get(t["database"], t["database"])
        shapes = [(db, t.get("read_path", []))]
        if t.get("read_path_prod"):
            shapes.append((f"{db}, {t.get('pg_workers')} processes + Redis",
                           t["read_path_prod"]))
        for label, read_rows in shapes:
            out.append(_list_target(label, read_rows))
        if t["database"] == "postgresql":
            batch, copy = t.get("batch"), t.get("batch_copy")
            if batch and copy and batch["rows_per_s"] and copy["rows_per_s"]:
                ratio = batch["rows_per_s"] / copy["rows_per_s"]
                ok = ratio >= BATCH_COPY_RATIO and not batch.get("error")
                measured = (f"{batch['rows_per_s']:,.0f} vs {copy['rows_per_s']:,.0f} rows/s "
                            f"= {ratio:.0%} of COPY")
            else:
                ok, measured = None, "not measured"
            out.append({"target": "batch ingest ≥ 30 % of raw COPY", "database": db,
                        "measured": measured, "result": _verdict(ok)})
        for key, label in (("csv_import", "CSV import"), ("csv_big", "big CSV import")):
            imp = t.get(key)
            if not imp:
                continue
            ok = (imp["rss_peak_mb"] < IMPORT_RSS_MB and imp["status"] == "succeeded"
                  and imp["rows_accepted"] == imp["file_rows"])
            measured = (f"peak RSS {imp['rss_peak_mb']:.0f} MB for a {imp['file_mib']:.0f} MiB "
                        f"file ({imp['status']}, {imp['rows_accepted']:,}/{imp['file_rows']:,} "
                        "rows)")
            small = t.get("csv_import")
            if key == "csv_big" and small:
                growth = imp["rss_peak_mb"] - small["rss_peak_mb"]
                measured += (f"; {growth:+.0f} MB vs the {small['file_mib']:.0f} MiB file's "
                             f"{small['rss_peak_mb']:.0f} MB")
            if imp.get("error"):
                measured += f"; {imp['error']}"
            out.append({"target": f"{label}: RSS < 300 MB", "database": db,
                        "measured": measured, "result": _verdict(ok)})
    return out


def _list_target(label: str, read_rows: list[dict[str, Any]]) -> dict[str, Any]:
    row = next((r for r in read_rows if r["endpoint"] == "list" and r["connections"] == 16),
               None)
    if row is None:
        return {"target": "list p95 < 50 ms at 16 clients", "database": label,
                "measured": "not measured", "result": _verdict(None)}
    brain = row["brain"]
    errors = sum(brain["errors"].values())
    ok = brain["p95_ms"] < LIST_P95_MS and errors == 0
    measured = f"p95 {brain['p95_ms']:.1f} ms ({brain['rps']:,.0f} req/s)"
    if errors:
        measured += f", {errors} errors"
    return {"target": "list p95 < 50 ms at 16 clients", "database": label,
            "measured": measured, "result": _verdict(ok)}


def render_targets(summary: list[dict[str, Any]]) -> str:
    lines = ["| target | database | measured | result |", "|---|---|---|---|"]
    lines += [f"| {s['target']} | {s['database']} | {s['measured']} | **{s['result']}** |"
              for s in summary]
    return "\n".join(lines)


def _ms(value: float) -> str:
    return f"{value:.2f}"


def _other(*runs: dict[str, Any]) -> str:
    """The most CPU other processes (not Brain, the bare app, the client, PostgreSQL) used."""
    values = [float(r["foreign_cpu_pct"]) for r in runs if r.get("foreign_cpu_pct") is not None]
    return f"{max(values):.0f} %" if values else "—"


def _read_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| endpoint | clients | Brain req/s | bare req/s | **Brain/bare** "
        "| Brain p50 / p95 / p99 ms | bare p50 / p95 / p99 ms | Brain CPU | other CPU "
        "| errors (Brain, bare) |",
        "|---|---:|---:|---:|---:|---|---|---:|---:|---|",
    ]
    for r in rows:
        b, x = r["brain"], r["bare"]
        lines.append(
            f"| {r['label']} ({r['response_bytes']:,} B) | {r['connections']} "
            f"| {b['rps']:,.0f} | {x['rps']:,.0f} | **{r['rps_ratio']:.3f}** "
            f"| {_ms(b['p50_ms'])} / {_ms(b['p95_ms'])} / {_ms(b['p99_ms'])} "
            f"| {_ms(x['p50_ms'])} / {_ms(x['p95_ms'])} / {_ms(x['p99_ms'])} "
            f"| {b['server_cpu_pct']:.0f} % | {_other(b, x)} | {sum(b['errors'].values())}, "
            f"{sum(x['errors'].values())} |")
    return lines


def _ingest_rows(t: dict[str, Any]) -> list[str]:
    db = DB_LABEL.get(t["database"], t["database"])
    lines: list[str] = []
    batch, bcopy = t.get("batch"), t.get("batch_copy")
    if batch:
        ratio = (f"**{batch['rows_per_s'] / bcopy['rows_per_s']:.0%}**"
                 if bcopy and bcopy["rows_per_s"] else "—")
        lines.append(f"| {db} | `metrics/daily:batch` ({batch['requests']} requests of 10,000 rows)"
                     f" | {batch['rows']:,} | {batch['seconds']:.2f} | {batch['rows_per_s']:,.0f}"
                     f" | {ratio} |" + (f" {batch['error']}" if batch.get("error") else ""))
    if bcopy:
        lines.append(f"| {db} | raw psycopg `COPY`, same rows, equivalent table (PK, 4 indexes, "
                     f"4 FKs; {bcopy['statements']} statements) | {bcopy['rows']:,} "
                     f"| {bcopy['seconds']:.2f} | {bcopy['rows_per_s']:,.0f} | 100 % |")
    ceiling = t.get("batch_copy_pk_only")
    if ceiling and bcopy and bcopy["rows_per_s"]:
        lines.append(f"| {db} | raw psycopg `COPY`, same rows, primary key only (for reference)"
                     f" | {ceiling['rows']:,} | {ceiling['seconds']:.2f} "
                     f"| {ceiling['rows_per_s']:,.0f} "
                     f"| {ceiling['rows_per_s'] / bcopy['rows_per_s']:.0%} |")
    imp, icopy = t.get("csv_import"), t.get("csv_copy")
    if imp:
        ratio = (f"**{imp['rows_per_s'] / icopy['rows_per_s']:.0%}**"
                 if icopy and icopy["rows_per_s"] else "—")
        lines.append(f"| {db} | CSV import, {imp['file_mib']:.0f} MiB (upload + job, wall clock)"
                     f" | {imp['rows_accepted']:,} | {imp['total_s']:.2f}"
                     f" | {imp['rows_per_s']:,.0f} | {ratio} |")
    if icopy:
        lines.append(f"| {db} | raw psycopg `COPY`, same rows ({icopy['statements']} statements)"
                     f" | {icopy['rows']:,} | {icopy['seconds']:.2f} | {icopy['rows_per_s']:,.0f}"
                     " | 100 % |")
    big = t.get("csv_big")
    if big:
        lines.append(f"| {db} | CSV import, {big['file_mib']:.0f} MiB (upload + job, wall clock)"
                     f" | {big['rows_accepted']:,} | {big['total_s']:.2f}"
                     f" | {big['rows_per_s']:,.0f} | — |")
    return lines


def contention(results: dict[str, Any]) -> tuple[float, float] | None:
    """Median and max CPU % (of one core) used by other processes during the read runs."""
    values = sorted(
        float(run["foreign_cpu_pct"])
        for t in results.get("targets", []) for row in t.get("read_path", [])
        for run in (row["brain"], row["bare"]) if run.get("foreign_cpu_pct") is not None)
    if not values:
        return None
    return values[len(values) // 2], values[-1]


def render(results: dict[str, Any]) -> str:
    m = results["machine"]
    cfg = results["config"]
    shared = contention(results)
    load_line = ("| other load during the read path | "
                 + (f"median {shared[0]:.0f} % of a core, max {shared[1]:.0f} % |"
                    if shared else "not measured |"))
    warning: list[str] = []
    if shared and shared[0] > 10:
        warning = [
            f"> **The machine was shared during this run**: processes outside the benchmark "
            f"used a median {shared[0]:.0f} % of a core (of 2) during the read-path runs. "
            "Absolute requests/s and latencies are lower than on an idle machine; the Brain/bare "
            "and batch/COPY ratios, taken in the same conditions, are the more robust numbers. "
            "Re-run on an idle machine to refresh them.", ""]
    lines = [
        "# Brain API benchmark — results",
        "",
        f"Generated by `{results['command']}` ({results['mode']} run, {results['total_s']:.0f} s"
        + (f", of which {results['waited_s']:.0f} s waiting for other processes to leave the CPU"
           if results.get("waited_s") else "") + ")."
        " How to run and how to read these numbers: [benchmarks/README.md](../README.md).",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        f"| date | {m['date_utc']} |",
        f"| CPU | {m['cpu_model']}, {m['cpu_cores_logical']} logical cores |",
        f"| RAM | {m['ram_gib']} GiB |",
        f"| OS | {m['os']} |",
        f"| Python | {m['python']} |",
        f"| PostgreSQL | {m['postgresql']} |",
        f"| SQLite | {m['sqlite']} |",
        f"| load generator | {m['load_generator']} |",
        f"| packages | {', '.join(f'{k} {v}' for k, v in m['packages'].items())} |",
        f"| git revision | {m['git_revision']} |",
        load_line,
        "",
        *warning,
        "Server: `brain serve --workers 1` (one uvicorn process, uvloop + httptools, log level "
        "warning, the embedded job worker thread), `BRAIN_RATE_LIMIT_PER_MINUTE=0`, no Redis "
        "(in-process cache); a fresh database per run, migrated with `brain migrate`, one tenant "
        "from `brain orgs create` on the Enterprise plan (its monthly event quota fits the ~3 M "
        "rows the run ingests). The bare ASGI app runs under the same uvicorn settings. "
        f"Load runs: {cfg['duration']:g} s each after a {cfg['warmup']:g} s warm-up, keep-alive "
        "connections, client and server on the same 2 cores.",
        "",
        "## Targets",
        "",
        render_targets(results["targets_summary"]),
        "",
    ]
    for t in results["targets"]:
        db = DB_LABEL.get(t["database"], t["database"])
        if t.get("failed"):
            lines += [f"## {db}", "", f"The run failed: `{t['failed']}`", ""]
            continue
        lines += [f"## Read path — {db}", ""]
        if t.get("read_path"):
            lines += _read_table(t["read_path"])
            lines += ["", "Brain/bare = Brain's requests/s divided by the bare ASGI app's "
                      "requests/s for byte-identical responses (1.0 would be no framework cost). "
                      "Brain CPU = the server process's CPU during the run (100 % = one core); "
                      "other CPU = the most that processes outside the benchmark used during "
                      "the Brain or bare run (PostgreSQL excluded) — more than ~10 % means the "
                      "machine was shared and the row is noisy."]
        else:
            lines.append("Not measured (the routes were not available).")
        if t.get("read_path_prod"):
            lines += ["", f"### Read path — {db}, production shape: {t.get('pg_workers')} "
                      "uvicorn processes + Redis", "",
                      f"`brain serve --workers {t.get('pg_workers')}` with `BRAIN_REDIS_URL` and "
                      "`BRAIN_BROKER_URL` set (Redis caches API keys, sessions and plan state; "
                      "jobs would go to Celery workers, which the read path does not use), "
                      "next to the bare app served the same way (`python -m brain.serving`: "
                      "that many processes, each with its own `SO_REUSEPORT` listening socket, "
                      "so the kernel spreads the keep-alive connections over them). "
                      "Brain CPU sums the server's processes.", ""]
            lines += _read_table(t["read_path_prod"])
        if t.get("list_before_analyze"):
            before = t["list_before_analyze"]
            lines += ["", f"Right after the bulk load, before PostgreSQL had planner statistics "
                      f"for the new rows, one list request took a median of "
                      f"**{before['p50_ms']} ms** (one client, {before['requests']} requests). "
                      "The runs above follow an explicit `ANALYZE` (what autovacuum does within "
                      "a minute or so), so they measure the steady state."]
        lines += ["", f"## Write path — {db}", "",
                  "| database | what | rows | seconds | rows/s | vs raw COPY |",
                  "|---|---|---:|---:|---:|---:|"]
        lines += _ingest_rows(t) or ["| — | not measured | | | | |"]
        imports = [(k, t[k]) for k in ("csv_import", "csv_big") if t.get(k)]
        if imports:
            lines += ["", f"### CSV import memory — {db}", "",
                      "| file | rows | status | RSS before | peak RSS | upload s | total s |",
                      "|---|---:|---|---:|---:|---:|---:|"]
            for _, imp in imports:
                lines.append(
                    f"| {imp['file_mib']:.0f} MiB | {imp['file_rows']:,} | {imp['status']}"
                    f" ({imp['rows_rejected']:,} rejected) | {imp['rss_baseline_mb']:.0f} MB"
                    f" | **{imp['rss_peak_mb']:.0f} MB** | {imp['upload_s']:.1f}"
                    f" | {imp['total_s']:.1f} |")
        for key, title in (("profile_read", "the list at 16 clients"),
                           ("profile_batch", "`metrics/daily:batch` (re-upsert of 2 requests)")):
            prof = t.get(key)
            if not prof or not prof.get("samples"):
                continue
            lines += ["", f"### Where Brain's time goes — {title}, {db} (py-spy, event-loop "
                      f"thread, {prof['samples']:,} busy samples)", "",
                      "Self time by package: " + ", ".join(
                          f"{k} {v} %" for k, v in list(prof["self_by_package_pct"].items())[:8]),
                      "", "| top self time | % | Brain's functions (inclusive) | % |",
                      "|---|---:|---|---:|"]
            selfs = list(prof["top_self_pct"].items())
            owns = list(prof["brain_inclusive_pct"].items())
            for i in range(max(len(selfs), len(owns))):
                f1, v1 = selfs[i] if i < len(selfs) else ("", "")
                f2, v2 = owns[i] if i < len(owns) else ("", "")
                lines.append(f"| {f'`{f1}`' if f1 else ''} | {v1} "
                             f"| {f'`{f2}`' if f2 else ''} | {v2} |")
        if t.get("notes"):
            lines += ["", "Notes: " + "; ".join(t["notes"])]
        lines.append("")
    return "\n".join(lines) + "\n"
