"""THE story test: on the beauty demo tenant, after one brain run, the FACE summary says what
PRODUCT.md's story says — TikTok decaying, C12 fatiguing, Meta the place to move budget,
recent cohorts' LTV drifting down — in every persona's words, with the same numbers."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from brain.demo.seed import write_simulation
from brain.demo.simulator import simulate
from brain.organizations.models import Organization
from tests.factories import Tenant

TODAY = date(2026, 11, 25)
NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")


@pytest.fixture
async def story(client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant) -> dict[str, Any]:
    org = await db.get(Organization, tenant.id)
    assert org is not None
    org.demo_vertical = "beauty"
    await write_simulation(db, tenant.id, simulate("beauty", days=365, seed=7, today=TODAY))
    await db.commit()
    started = await client.post(tenant.path("/brain/runs"), headers=tenant.analyst)
    assert started.status_code == 202
    run = (await client.get(tenant.path(f"/brain/runs/{started.json()['id']}"),
                            headers=tenant.viewer)).json()
    assert run["status"] == "succeeded", run
    faces = {}
    for persona in ("cmo", "vp_growth", "director"):
        response = await client.get(tenant.path(f"/face?persona={persona}&period=28d"),
                                    headers=tenant.viewer)
        assert response.status_code == 200
        faces[persona] = response.json()
    return faces


async def test_face_tells_the_beauty_story(story: dict[str, Any]) -> None:
    """One run (the seeding and the run take most of a minute, so one test)."""
    face = story["cmo"]
    assert face["state"] == "ready"
    assert face["risk_level"] == "red"
    assert face["data_as_of"] == "2026-11-24"

    # MEMORY: Meta is the hero channel.
    channels = {c["name"]: c for c in face["cards"]["memory"]["channels"]}
    meta = next(c for name, c in channels.items() if name.startswith("Meta"))
    assert meta["status"] == "winner"
    assert meta["roas"] == pytest.approx(3.6, abs=0.3)
    assert face["leaderboard"]["winners"][0]["name"].startswith("Meta")

    # ORACLE: TikTok is decaying, C12 is fatiguing, recent cohorts' LTV drifts down.
    alerts = face["alerts"]
    decay = [a for a in alerts if a["kind"] == "channel_decay"]
    assert decay
    assert decay[0]["entity_name"].startswith("TikTok")
    assert decay[0]["severity"] == "high"
    tiktok = next(c for c in face["cards"]["oracle"]["decaying_channels"]
                  if c["name"].startswith("TikTok"))
    assert tiktok["roas_trend"] < -0.2
    fatigue = {a["entity_name"] for a in alerts if a["kind"] == "creative_fatigue"}
    assert "C12" in fatigue
    c12 = next(c for c in face["cards"]["oracle"]["fatiguing_creatives"] if c["name"] == "C12")
    assert c12["fatigue_probability_7d"] >= 0.75
    drift = [a for a in alerts if a["kind"] == "ltv_drift"]
    assert drift
    assert all(d["drift"] < 0 for d in face["cards"]["oracle"]["ltv_drift"])

    # CURIOSITY: exactly 3 actions; moving budget from TikTok to Meta is one of them,
    # and C12 is to be paused or refreshed.
    actions = face["actions"]
    assert len(actions) == 3
    shift = [a for a in actions if a["type"] == "shift_budget"]
    assert shift
    assert shift[0]["target"]["name"].startswith("TikTok")
    assert shift[0]["details"]["to_channel"].startswith("Meta")
    assert shift[0]["amount"]["recommended"] < shift[0]["amount"]["current"]
    assert any(a["type"] in ("pause_creative", "refresh_creative")
               and a["target"]["name"] == "C12" for a in actions)

    # The narrative says it, in three sentences.
    text = face["narrative"]
    assert len(face["narrative_sentences"]) == 3
    assert "TikTok" in text
    assert "decaying" in text
    assert "C12" in text
    assert "LTV" in text
    assert [k["key"] for k in face["kpis"]] == ["mer", "blended_roas", "ltv_roas", "risk"]
    assert all(k["value"] is not None for k in face["kpis"])

    # Every persona reads the same numbers, worded differently.
    numbers = {p: sorted(NUMBER.findall(f["narrative"])) for p, f in story.items()}
    assert numbers["cmo"] == numbers["vp_growth"] == numbers["director"]
    texts = {f["narrative"] for f in story.values()}
    assert len(texts) == 3  # worded differently
    assert story["director"]["narrative"].startswith("Last 28 days:")
    kpis = {p: f["kpis"] for p, f in story.items()}
    assert kpis["cmo"] == kpis["vp_growth"] == kpis["director"]
