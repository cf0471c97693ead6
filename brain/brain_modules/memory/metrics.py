"""Reported performance: sums and ratios per channel, campaign and creative for a period.

Definitions (the FACE cards and the API use exactly these):

* ROAS = platform-reported revenue / spend (what the platforms claim);
* blended ROAS = all platforms' reported revenue / all spend (the portfolio's claim), the
  yardstick for winners (ROAS >= 1.15x blended) and losers (ROAS <= 0.85x blended);
* MER = total business revenue (orders, analytics or platforms, see `brain_modules.data`) /
  all spend;
* CPC = spend / clicks, CTR = clicks / impressions, CVR = conversions / clicks,
  CPA = spend / conversions; a ratio with a zero denominator is None, never 0 or infinity;
* LTV-adjusted revenue = revenue x LTV factor (cohorts' 90-day / 30-day LTV), LTV-ROAS likewise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from brain.brain_modules.contracts import BrainData, CampaignInfo, CreativeInfo, FloatArray

WINNER_RATIO = 1.15
LOSER_RATIO = 0.85
# A creative needs at least this share of the period's average creative spend to be ranked.
LEADERBOARD_MIN_SPEND_SHARE = 0.25
LEADERBOARD_SIZE = 10

Status = Literal["winner", "loser", "neutral", "no_spend"]
_FIELDS = ("spend", "revenue", "impressions", "clicks", "conversions")


def ratio(numerator: float, denominator: float) -> float | None:
    return float(numerator) / float(denominator) if denominator > 0 else None


@dataclass(slots=True)
class Sums:
    spend: FloatArray
    revenue: FloatArray
    impressions: FloatArray
    clicks: FloatArray
    conversions: FloatArray

    def row(self, i: int) -> dict[str, float]:
        return {f: float(getattr(self, f)[i]) for f in _FIELDS}


def group_sums(data: BrainData, key: Any, size: int, first: int, last: int) -> Sums:
    """Sums of the metric columns per value of `key` (an index array) over days [first, last]."""
    m = data.metrics
    mask = (m.day >= first) & (m.day <= last) & (key >= 0)
    idx = key[mask]
    return Sums(*(np.bincount(idx, weights=getattr(m, f)[mask], minlength=size)[:size]
                  .astype(np.float64) for f in _FIELDS))


def kpis(values: dict[str, float]) -> dict[str, float | None]:
    return {
        "roas": ratio(values["revenue"], values["spend"]),
        "cpc": ratio(values["spend"], values["clicks"]),
        "ctr": ratio(values["clicks"], values["impressions"]),
        "cvr": ratio(values["conversions"], values["clicks"]),
        "cpa": ratio(values["spend"], values["conversions"]),
    }


def status_of(spend: float, roas: float | None, blended: float | None) -> Status:
    if spend <= 0:
        return "no_spend"
    if roas is None or blended is None or blended <= 0:
        return "neutral"
    if roas >= WINNER_RATIO * blended:
        return "winner"
    if roas <= LOSER_RATIO * blended:
        return "loser"
    return "neutral"


def with_ltv(values: dict[str, Any], factor: float | None) -> dict[str, Any]:
    roas = values.get("roas")
    values["ltv_revenue"] = values["revenue"] * factor if factor is not None else None
    values["ltv_roas"] = roas * factor if roas is not None and factor is not None else None
    return values


def entity_rows(
    data: BrainData, kind: Literal["campaign", "creative"], first: int, last: int,
    blended: float | None, factor: float | None,
) -> list[dict[str, Any]]:
    """One dict per campaign or creative with delivery in the period."""
    m = data.metrics
    items: Sequence[CampaignInfo | CreativeInfo] = (
        data.campaigns if kind == "campaign" else data.creatives
    )
    sums = group_sums(data, m.campaign if kind == "campaign" else m.creative, len(items),
                      first, last)
    rows: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        values: dict[str, Any] = sums.row(i)
        if values["spend"] <= 0 and values["impressions"] <= 0:
            continue
        values.update(kpis(values))
        channel = data.channels[item.channel]
        row: dict[str, Any] = {
            f"{kind}_id": str(item.id), "name": item.name, "channel_id": str(channel.id),
            "channel": channel.name,
        }
        if kind == "creative":
            creative = data.creatives[i]
            row["campaign_id"] = str(data.campaigns[creative.campaign].id)
            row["format"] = creative.format
        row.update(with_ltv(values, factor))
        row["status"] = status_of(values["spend"], values["roas"], blended)
        rows.append(row)
    rows.sort(key=lambda r: -r["spend"])
    return rows


def leaderboard(creatives: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Creatives with meaningful spend ranked by ROAS (ties by spend), best first."""
    spent = [r for r in creatives if r["spend"] > 0 and r["roas"] is not None]
    if not spent:
        return []
    floor = LEADERBOARD_MIN_SPEND_SHARE * float(np.mean([r["spend"] for r in spent]))
    ranked = sorted((r for r in spent if r["spend"] >= floor),
                    key=lambda r: (-r["roas"], -r["spend"]))
    board = []
    for rank, r in enumerate(ranked[:LEADERBOARD_SIZE], start=1):
        board.append({"rank": rank, "creative_id": r["creative_id"], "name": r["name"],
                      "channel": r["channel"], "spend": r["spend"], "revenue": r["revenue"],
                      "roas": r["roas"], "status": r["status"]})
    return board
