"""results.md and the scaling plot (PNG with matplotlib when installed, else a hand-written SVG)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

TARGETS = {
    1000: {"seconds": 30.0, "rss_mib": 1024.0},
    10000: {"seconds": 120.0, "rss_mib": 2048.0},
}


def _svg_panel(
    x0: float, title: str, xs: list[float], ys: list[float], unit: str,
    limits: list[tuple[float, float]],
) -> list[str]:
    width, height, pad = 360.0, 240.0, 46.0
    lo_x, hi_x = math.log10(min(xs)), math.log10(max(xs))
    top = max(ys + [y for _, y in limits]) * 1.15 or 1.0

    def px(x: float) -> float:
        span = (hi_x - lo_x) or 1.0
        return x0 + pad + (math.log10(x) - lo_x) / span * (width - 2 * pad)

    def py(y: float) -> float:
        return height - pad + 10 - y / top * (height - 2 * pad)

    parts = [
        f'<text x="{x0 + width / 2}" y="18" text-anchor="middle" font-size="13">{title}</text>',
        f'<line x1="{x0 + pad}" y1="{py(0)}" x2="{x0 + width - pad}" y2="{py(0)}" '
        'stroke="#333"/>',
        f'<line x1="{x0 + pad}" y1="{py(0)}" x2="{x0 + pad}" y2="{py(top)}" stroke="#333"/>',
    ]
    for i in range(5):
        value = top * i / 4
        parts.append(f'<text x="{x0 + pad - 4}" y="{py(value) + 4}" text-anchor="end" '
                     f'font-size="10">{value:,.0f}</text>')
    for x in xs:
        parts.append(f'<text x="{px(x)}" y="{py(0) + 14}" text-anchor="middle" '
                     f'font-size="10">{x:,.0f}</text>')
    parts.append(f'<text x="{x0 + width / 2}" y="{height - 4}" text-anchor="middle" '
                 f'font-size="10">creatives x 365 days (log scale); y: {unit}</text>')
    points = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(xs, ys, strict=True))
    parts.append(f'<polyline points="{points}" fill="none" stroke="#1f77b4" stroke-width="2"/>')
    for x, y in zip(xs, ys, strict=True):
        parts.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="#1f77b4"/>')
        parts.append(f'<text x="{px(x) + 5:.1f}" y="{py(y) - 5:.1f}" font-size="10">'
                     f'{y:,.1f}</text>')
    for x, y in limits:
        if min(xs) <= x <= max(xs):
            parts.append(f'<line x1="{px(x) - 8:.1f}" y1="{py(y):.1f}" x2="{px(x) + 8:.1f}" '
                         f'y2="{py(y):.1f}" stroke="#d62728" stroke-width="2"/>')
    return parts


def write_plot(directory: Path, rows: list[dict[str, Any]]) -> Path:
    xs = [float(r["creatives"]) for r in rows]
    seconds = [float(r["seconds"]) for r in rows]
    rss = [float(r["peak_rss_mib"]) for r in rows]
    try:
        import matplotlib  # type: ignore[import-not-found, unused-ignore]

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # type: ignore[import-not-found, unused-ignore]

        fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.5))
        a.plot(xs, seconds, "o-")
        a.set_xscale("log")
        a.set_title("full brain run (s)")
        b.plot(xs, rss, "o-")
        b.set_xscale("log")
        b.set_title("peak RSS (MiB)")
        for n, target in TARGETS.items():
            a.plot([n], [target["seconds"]], "r_", markersize=14)
            b.plot([n], [target["rss_mib"]], "r_", markersize=14)
        fig.tight_layout()
        path = directory / "scaling.png"
        fig.savefig(path, dpi=120)
        return path
    except ImportError:
        pass
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="720" height="240" '
             'font-family="sans-serif">', '<rect width="720" height="240" fill="white"/>']
    parts += _svg_panel(0, "Full brain run (seconds)", xs, seconds, "seconds",
                        [(n, t["seconds"]) for n, t in TARGETS.items()])
    parts += _svg_panel(360, "Peak RSS (MiB)", xs, rss, "MiB",
                        [(n, t["rss_mib"]) for n, t in TARGETS.items()])
    parts.append("</svg>")
    path = directory / "scaling.svg"
    path.write_text("\n".join(parts) + "\n")
    return path


def _verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("meets" if ok else "MISSES")


def write_markdown(directory: Path, result: dict[str, Any], plot: Path) -> Path:
    machine = result["machine"]
    lines = [
        "# Brain pipeline benchmark",
        "",
        f"Command: `{result['command']}` — ran {machine['date_utc']} on {machine['cpu_model']} "
        f"({machine['cpu_cores_logical']} logical cores, {machine['ram_gib']} GiB RAM), "
        f"{machine['os']}, {machine['python']}, SQLite {machine['sqlite']}, git "
        f"{machine['git_revision']}. The machine is shared with other work: background CPU "
        "at the start of each size is in the table.",
        "",
        "A **full run** is `brain run` on one tenant: features read from the database, "
        "MEMORY (metrics, cohorts, marketing-mix model), ORACLE (fatigue model from the "
        "registry, channel decay, LTV drift), CURIOSITY, FACE, with every output stored. Each "
        "size is a synthetic tenant (`benchmarks/brain/synthetic.py`) whose creatives are all "
        "live every day, plus customers and orders; each run is a process of its own, so the "
        "peak RSS is the run's (Python, NumPy, scikit-learn and the loaded model included).",
        "",
        "| creatives x days | metric rows | seeding s | full run s | features | memory | "
        "oracle | curiosity | face | peak RSS MiB | target | verdict | background CPU % |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in result["runs"]:
        m = row["modules"]
        target = TARGETS.get(row["creatives"])
        ok = None
        target_text = "—"
        if target is not None:
            ok = row["seconds"] <= target["seconds"] and row["peak_rss_mib"] <= target["rss_mib"]
            target_text = f"≤ {target['seconds']:.0f} s, ≤ {target['rss_mib']:.0f} MiB"
        lines.append(
            f"| {row['creatives']:,} x {row['days']} | {row['metric_rows']:,} | "
            f"{row['seeding_seconds']:.0f} | **{row['seconds']:.1f}** | "
            + " | ".join(f"{(m.get(k) or 0):.1f}" for k in
                         ("features", "memory", "oracle", "curiosity", "face"))
            + f" | **{row['peak_rss_mib']:,.0f}** | {target_text} | {_verdict(ok)} | "
            f"{row.get('background_cpu_percent', '—')} |"
        )
    lines += ["", f"![scaling]({plot.name})", ""]
    face = result.get("face")
    if face:
        lines += [
            "## FACE summary and CURIOSITY latency",
            "",
            f"Measured in-process (ASGI, no network) on the {face['creatives']:,}-creative "
            "tenant, through the whole middleware stack with an API key: "
            f"{face['requests']} requests after one warm-up.",
            "",
            "| what | p50 ms | p95 ms | target |",
            "|---|---|---|---|",
            f"| `GET …/face` cached | {face['p50_ms']:.2f} | **{face['p95_ms']:.2f}** | "
            f"p95 ≤ 20 ms ({_verdict(face['p95_ms'] <= 20)}) |",
            f"| `GET …/face` first (uncached) | {face['uncached_ms']:.1f} | — | — |",
            f"| `POST …/curiosity/optimize` | {face['optimize_p50_ms']:.2f} | "
            f"{face['optimize_p95_ms']:.2f} | — |",
        ]
        for row in result["runs"]:
            ok = row["curiosity_ms_p95"] <= 50
            lines.append(
                f"| CURIOSITY decision (`run_curiosity`), {row['creatives']:,} creatives | "
                f"{row['curiosity_ms_p50']:.1f} | **{row['curiosity_ms_p95']:.1f}** | "
                f"p95 ≤ 50 ms ({_verdict(ok)}) |"
            )
        lines.append("")
    if result.get("notes"):
        lines += ["## Notes", ""] + [f"- {n}" for n in result["notes"]] + [""]
    path = directory / "results.md"
    path.write_text("\n".join(lines))
    return path
