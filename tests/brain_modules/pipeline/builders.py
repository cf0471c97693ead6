"""Hand-built contract objects (no modules, no database) for the FACE, serialisation and
actions tests: a two-channel account where TikTok decays and creative C12 fatigues."""

from __future__ import annotations

import math
import uuid
from datetime import date, timedelta

import numpy as np

from brain.brain_modules.contracts import (
    ActionProposal,
    BrainData,
    CampaignInfo,
    ChannelDecay,
    ChannelInfo,
    ChannelMemory,
    CohortLtv,
    CreativeForecast,
    CreativeInfo,
    CuriosityResult,
    DailyRows,
    Interval,
    LtvDrift,
    MemoryResult,
    OracleResult,
    ResponseCurve,
)

META = uuid.UUID("00000000-0000-7000-8000-000000000001")
TIKTOK = uuid.UUID("00000000-0000-7000-8000-000000000002")
C12 = uuid.UUID("00000000-0000-7000-8000-000000000012")
C7 = uuid.UUID("00000000-0000-7000-8000-000000000007")
START = date(2026, 8, 1)


def brain_data(
    days: int = 60, org: uuid.UUID | None = None, *, spend_scale: float = 1.0,
    revenue_scale: float = 1.0,
) -> BrainData:
    """Two channels with constant spend; Meta returns 3.6, TikTok falls from 2.8 to 1.9."""
    day = np.repeat(np.arange(days), 2)
    channel = np.tile(np.array([0, 1]), days)
    spend = np.where(channel == 0, 1000.0, 500.0) * spend_scale
    tiktok_roas = np.linspace(2.8, 1.9, max(days, 1))[day]
    revenue = np.where(channel == 0, 3600.0, 500.0 * tiktok_roas) * revenue_scale
    n = day.size
    rows = DailyRows(
        day=day.astype(np.int64), channel=channel.astype(np.int64),
        campaign=channel.astype(np.int64), creative=np.where(channel == 1, 0, 1).astype(np.int64),
        impressions=np.full(n, 10_000.0), clicks=np.full(n, 200.0), spend=spend,
        conversions=np.full(n, 20.0), revenue=revenue, frequency=np.full(n, math.nan),
    )
    return BrainData(
        organization_id=org or uuid.uuid4(), start=START, end=START + timedelta(days=days - 1),
        channels=[ChannelInfo(META, "Meta", "meta"), ChannelInfo(TIKTOK, "TikTok", "tiktok")],
        campaigns=[CampaignInfo(uuid.uuid4(), "Meta prospecting", 0),
                   CampaignInfo(uuid.uuid4(), "TikTok spark", 1)],
        creatives=[CreativeInfo(C12, "C12", 1, 1, "video", START),
                   CreativeInfo(C7, "C7", 0, 0, "image", START)],
        metrics=rows, orders=None, total_revenue=np.full(days, 4000.0 * revenue_scale),
        revenue_source="analytics",
    )


def one_channel(data: BrainData) -> BrainData:
    """Only Meta's rows of `data`."""
    m = data.metrics
    keep = m.channel == 0
    rows = DailyRows(*(getattr(m, f)[keep] for f in DailyRows.__slots__))  # type: ignore[attr-defined]
    rows.creative = np.zeros(int(keep.sum()), dtype=np.int64)
    return BrainData(
        organization_id=data.organization_id, start=data.start, end=data.end,
        channels=data.channels[:1], campaigns=data.campaigns[:1],
        creatives=[CreativeInfo(C7, "C7", 0, 0, "image", START)], metrics=rows,
        orders=None, total_revenue=data.total_revenue, revenue_source="analytics",
    )


def memory_result(data: BrainData) -> MemoryResult:
    curve = ResponseCurve(META, decay=0.4, half_saturation=1500.0, shape=1.2, beta=9000.0)
    return MemoryResult(
        period_start=data.end - timedelta(days=27), period_end=data.end,
        totals={"spend": 42_000.0, "revenue": 130_000.0, "roas": 3.1, "mer": 2.67,
                "blended_roas": 3.1, "cpa": math.nan, "ltv_roas": 3.7},
        channels=[
            ChannelMemory(META, "Meta", "meta", 28_000.0, 100_800.0, 3.6, 4.3, "winner",
                          Interval(2.1, 1.8, 2.4), None, curve, 1000.0),
            ChannelMemory(TIKTOK, "TikTok", "tiktok", 14_000.0, 29_000.0, 2.07, 2.5, "loser",
                          None, "fewer than 14 days with spend in the history", None, 500.0),
        ],
        campaigns=[{"name": "Meta prospecting", "roas": 3.6}],
        creatives=[{"creative_id": str(C12), "name": "C12", "roas": 1.5},
                   {"creative_id": str(C7), "name": "C7", "roas": 3.9}],
        cohorts=[CohortLtv(date(2026, 5, 1), 120, 60.0, 128.0, None),
                 CohortLtv(date(2026, 8, 1), 90, 58.0, None, 112.0)],
        ltv_factor=1.2, model_version="memory-test-1", notes=["a memory note"],
    )


def oracle_result() -> OracleResult:
    return OracleResult(
        creatives=[
            CreativeForecast(C12, "C12", 0.91, 0.97, Interval(0.35, 0.2, 0.5),
                             ["CVR falling 8% → 5% in 14 days", "frequency 6.2"],
                             date(2026, 10, 2), "model"),
            CreativeForecast(C7, "C7", None, None, None, [], None, "insufficient_data",
                             "ORACLE needs 14 days of history for creative C7"),
        ],
        channels=[
            ChannelDecay(TIKTOK, "TikTok", "high", -0.32, 0.05, ["ROAS down while spend up"]),
            ChannelDecay(META, "Meta", "none", 0.01, 0.0, []),
        ],
        ltv_drift=[LtvDrift(date(2026, 6, 1), 115.0, 128.0, -0.10, "medium"),
                   LtvDrift(date(2026, 7, 1), 112.0, 128.0, -0.125, "high")],
        risk_level="red", risk_reasons=["TikTok: high ROI decay"],
        model_version="oracle-test-1",
    )


def proposal(kind: str = "shift_budget", fingerprint: str = "shift:tiktok>meta:10",
             impact: float = 18_400.0) -> ActionProposal:
    return ActionProposal(
        type=kind,  # type: ignore[arg-type]
        target_kind="channel", target_id=str(TIKTOK), target_name="TikTok",
        amount_current=500.0, amount_recommended=450.0,
        estimated_impact_usd=Interval(impact, impact * 0.5, impact * 1.5),
        estimated_impact_7d_usd=impact / 4, rationale="TikTok's marginal ROAS is below Meta's.",
        urgency="high", confidence=0.72, needs_human=False, needs_human_reason=None,
        expected_value=impact * 0.72, fingerprint=fingerprint,
        details={"from_channel_id": str(TIKTOK), "from_channel": "TikTok",
                 "to_channel_id": str(META), "to_channel": "Meta", "amount_per_day": 50.0,
                 "nan": math.nan},
    )


def curiosity_result() -> CuriosityResult:
    return CuriosityResult(
        actions=[
            proposal(),
            proposal("refresh_creative", "refresh:c12", 9_000.0),
            proposal("increase_budget", "increase:google:5", 4_000.0),
            proposal("focus_retention", "retention", 2_000.0),
        ],
        allocation={str(META): 1050.0, str(TIKTOK): 450.0},
        model_version="curiosity-test-1",
    )
