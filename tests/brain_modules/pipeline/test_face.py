"""FACE from hand-built module answers: KPIs per period, cards, alerts and a narrative that
words the same numbers differently per persona."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from brain.brain_modules.face.narrative import PERSONAS, build_facts, narrate
from brain.brain_modules.pipeline import Answers, face_output
from tests.brain_modules.pipeline.builders import (
    brain_data,
    curiosity_result,
    memory_result,
    oracle_result,
)

NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")


def _document(days: int = 60) -> dict:  # type: ignore[type-arg]
    data = brain_data(days)
    answers = Answers(data=data, memory=memory_result(data), oracle=oracle_result(),
                      curiosity=curiosity_result())
    return face_output(answers, previous_risk="yellow", today=data.end + timedelta(days=1)).output


def _kpi(period: dict, key: str) -> dict:  # type: ignore[type-arg]
    return next(k for k in period["kpis"] if k["key"] == key)


def test_kpis_per_period_with_change_vs_previous_period() -> None:
    doc = _document()
    week = doc["periods"]["7d"]
    assert week["days"] == 7
    spend = _kpi(week, "spend")
    assert spend["value"] == pytest.approx(7 * 1500.0)
    assert _kpi(week, "mer")["value"] == pytest.approx(7 * 4000.0 / (7 * 1500.0))
    roas = _kpi(week, "blended_roas")
    assert roas["change"] is not None
    assert roas["change"] < 0  # TikTok's ROAS keeps falling
    assert _kpi(week, "ltv_roas")["value"] == pytest.approx(roas["value"] * 1.2)
    # 90 days asked of 60 days of data: said, not invented.
    quarter = doc["periods"]["90d"]
    assert quarter["days"] == 60
    assert _kpi(quarter, "mer")["previous"] is None
    assert any("60 of 90 days" in n for n in quarter["notes"])
    assert doc["risk"] == {
        "key": "risk", "label": "Global risk", "value": "red", "previous": "yellow",
        "change": "worse", "unit": "level", "reasons": ["TikTok: high ROI decay"],
    }


def test_cards_leaderboard_and_alerts() -> None:
    doc = _document()
    assert doc["data_as_of"] == (date(2026, 8, 1) + timedelta(days=59)).isoformat()
    oracle = doc["cards"]["oracle"]
    assert oracle["fatiguing_creatives"][0]["name"] == "C12"
    assert oracle["decaying_channels"][0]["name"] == "TikTok"
    assert doc["cards"]["curiosity"]["actions_proposed"] == 4
    assert [c["name"] for c in doc["leaderboard"]["winners"]] == ["Meta"]
    assert [c["name"] for c in doc["leaderboard"]["losers"]] == ["TikTok"]
    assert doc["leaderboard"]["top_creatives"][0]["name"] == "C7"
    kinds = [a["kind"] for a in doc["alerts"]]
    assert {"channel_decay", "creative_fatigue", "ltv_drift", "data_gap"} <= set(kinds)
    assert doc["alerts"][0]["severity"] == "high"


def test_stale_data_raises_a_freshness_alert() -> None:
    data = brain_data(30)
    doc = face_output(Answers(data=data, memory=None, oracle=None, curiosity=None),
                      previous_risk=None, today=data.end + timedelta(days=10)).output
    assert [a["kind"] for a in doc["alerts"]] == ["data_freshness"]
    assert "ltv_roas" in {k["key"] for k in doc["periods"]["7d"]["kpis"]}
    assert doc["cards"] == {}


def test_narrative_has_three_sentences_and_the_same_numbers_for_every_persona() -> None:
    doc = _document()
    top = {"type": "shift_budget", "target_name": "TikTok",
           "details": {"to_channel": "Meta", "amount_per_day": 50.0},
           "amount": {"current": 500.0, "recommended": 450.0},
           "estimated_impact_usd": 18_400.0, "confidence": 0.72}
    numbers = {}
    for persona in PERSONAS:
        facts = build_facts("7d", doc["periods"]["7d"]["kpis"], doc["cards"]["oracle"], top)
        sentences = narrate(facts, persona)
        assert len(sentences) == 3
        text = " ".join(sentences)
        assert "TikTok" in text
        assert "C12" in text
        assert "Meta" in text
        assert "LTV" in text
        numbers[persona] = sorted(NUMBER.findall(text))
    assert numbers["cmo"] == numbers["vp_growth"] == numbers["director"]
    assert "18.4" in " ".join(numbers["cmo"])


def test_narrative_without_risks_or_actions() -> None:
    doc = _document()
    facts = build_facts("28d", doc["periods"]["28d"]["kpis"], None, None)
    sentences = narrate(facts, "director")
    assert len(sentences) == 3
    assert "No action is proposed yet" in sentences[2]
    assert "Nothing is close to breaking" in sentences[1]
