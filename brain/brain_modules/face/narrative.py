"""The "what changed" narrative: three sentences generated from FACE's numbers.

The figures are formatted once (`Facts`); each persona's template only orders and words
them differently, so a CMO, a VP Growth and a Director read the same numbers:
* CMO: dollars first (spend, revenue, MER, impact of the top action);
* VP Growth: confidence, reasons and trends;
* Director of Performance Marketing: the action first, with ids and exact amounts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

Persona = Literal["cmo", "vp_growth", "director"]
PERSONAS: tuple[Persona, ...] = ("cmo", "vp_growth", "director")


def money(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    sign = "-" if value < 0 else ""
    v = abs(value)
    if v >= 1_000_000:
        return f"{sign}${v / 1_000_000:,.2f}M"
    if v >= 10_000:
        return f"{sign}${v / 1_000:,.1f}k"
    return f"{sign}${v:,.0f}"


def ratio(value: float | None) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.2f}"


def percent(value: float) -> str:
    return f"{abs(value) * 100:.0f}%"


def change_words(change: float | None, span: str) -> str:
    if change is None or not math.isfinite(change):
        return f"no comparison with the previous {span}"
    if abs(change) < 0.0005:
        return f"flat vs the previous {span}"
    direction = "up" if change > 0 else "down"
    return f"{direction} {abs(change) * 100:.1f}% vs the previous {span}"


@dataclass(frozen=True, slots=True)
class Facts:
    """Every figure the narrative may use, formatted once."""

    span: str
    spend: str
    revenue: str
    mer: str
    mer_change: str
    blended_roas: str
    roas_change: str
    ltv_roas: str
    risk: str
    decay: str | None  # e.g. "TikTok (ROAS down 32% per 28 days, high severity)"
    fatigue: str | None  # e.g. "C12 (91% chance of fatigue within 7 days)"
    ltv_drift: str | None  # e.g. "the Oct 2026 cohort's LTV is 12% below baseline"
    action: str | None  # e.g. "shift budget: TikTok → Meta, $5,400 → $4,200 a day"
    action_impact: str | None  # e.g. "$18.4k"
    action_confidence: str | None  # e.g. "72%"


def _kpi(kpis: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return next((k for k in kpis if k["key"] == key), {"value": None, "change": None})


def _action_text(action: dict[str, Any]) -> str:
    kind = str(action["type"]).replace("_", " ")
    target_obj = action.get("target") or {}
    target = str(target_obj.get("name") or action.get("target_name") or target_obj.get("id")
                 or "")
    details = action.get("details") or {}
    amount = action.get("amount") or {}
    current, recommended = amount.get("current"), amount.get("recommended")
    if action["type"] == "shift_budget" and details.get("to_channel"):
        moved = details.get("amount_per_day")
        how_much = f"{money(float(moved))} a day " if isinstance(moved, int | float) else ""
        return f"shift {how_much}from {target} to {details['to_channel']}"
    if current is not None and recommended is not None:
        return f"{kind} on {target}, {money(current)} → {money(recommended)} a day"
    return f"{kind} on {target}"


def build_facts(
    period: str, kpis: list[dict[str, Any]], oracle_card: dict[str, Any] | None,
    top_action: dict[str, Any] | None,
) -> Facts:
    span = f"{period.removesuffix('d')} days"
    mer, roas = _kpi(kpis, "mer"), _kpi(kpis, "blended_roas")
    decay = fatigue = drift_text = None
    risk = "unknown"
    if oracle_card is not None:
        risk = str(oracle_card.get("risk_level") or "unknown")
        channels = oracle_card.get("decaying_channels") or []
        if channels:
            c = channels[0]
            decay = (f"{c['name']} (ROAS {'down' if c['roas_trend'] < 0 else 'up'} "
                     f"{percent(c['roas_trend'])} per 28 days, {c['decay_severity']} severity)")
        creatives = oracle_card.get("fatiguing_creatives") or []
        if creatives and (creatives[0].get("fatigue_probability_7d") or 0) >= 0.5:
            c = creatives[0]
            fatigue = (f"{c['name']} ({percent(c['fatigue_probability_7d'])} chance of "
                       "fatigue within 7 days)")
        drifts = [d for d in oracle_card.get("ltv_drift") or []
                  if d.get("drift") is not None and d["drift"] < 0 and d["severity"] != "none"]
        # The newest cohort with a 90-day LTV says most; younger ones only have 30 days.
        mature = [d for d in drifts if d.get("horizon_days", 90) == 90]
        if drifts:
            d = (mature or drifts)[-1]
            drift_text = (f"the {d['month'][:7]} cohort's {d.get('horizon_days', 90)}-day LTV "
                          f"is {percent(d['drift'])} below baseline")
    action = impact = confidence = None
    if top_action is not None:
        action = _action_text(top_action)
        impact = money(top_action.get("estimated_impact_usd"))
        confidence = percent(float(top_action.get("confidence") or 0.0))
    return Facts(
        span=span,
        spend=money(_kpi(kpis, "spend")["value"]),
        revenue=money(_kpi(kpis, "revenue")["value"]),
        mer=ratio(mer["value"]),
        mer_change=change_words(mer["change"], span),
        blended_roas=ratio(roas["value"]),
        roas_change=change_words(roas["change"], span),
        ltv_roas=ratio(_kpi(kpis, "ltv_roas")["value"]),
        risk=risk,
        decay=decay,
        fatigue=fatigue,
        ltv_drift=drift_text,
        action=action,
        action_impact=impact,
        action_confidence=confidence,
    )


def _risks(f: Facts) -> list[str]:
    return [x for x in (f.decay and f"{f.decay} is decaying",
                        f.fatigue and f"{f.fatigue} is fatiguing",
                        f.ltv_drift) if x]


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _what_happened(f: Facts, persona: Persona) -> str:
    if persona == "cmo":
        return (f"Over the last {f.span} you spent {f.spend} and took in {f.revenue}: "
                f"MER {f.mer} ({f.mer_change}), LTV-ROAS {f.ltv_roas} and blended ROAS "
                f"{f.blended_roas} ({f.roas_change}).")
    if persona == "vp_growth":
        return (f"Blended ROAS was {f.blended_roas} over the last {f.span} ({f.roas_change}), "
                f"MER {f.mer} ({f.mer_change}) and LTV-ROAS {f.ltv_roas}, on {f.spend} of "
                f"spend and {f.revenue} of revenue.")
    return (f"Last {f.span}: {f.spend} spend, {f.revenue} revenue, blended ROAS "
            f"{f.blended_roas} ({f.roas_change}), MER {f.mer} ({f.mer_change}), LTV-ROAS "
            f"{f.ltv_roas}.")


def _what_breaks(f: Facts, persona: Persona) -> str:
    risks = _risks(f)
    if not risks:
        return f"Nothing is close to breaking: no channel is decaying, no creative is near " \
               f"fatigue and global risk is {f.risk}."
    if persona == "cmo":
        return f"Global risk is {f.risk}: {_join(risks)}."
    if persona == "vp_growth":
        return f"What drives the {f.risk} risk level: {_join(risks)}."
    return f"Watch: {_join(risks)} (risk {f.risk})."


def _what_to_do(f: Facts, persona: Persona) -> str:
    if f.action is None:
        return "No action is proposed yet; the next brain run will suggest some when the " \
               "data supports them."
    if persona == "cmo":
        return (f"The top move is to {f.action}, worth about {f.action_impact} over the next "
                f"28 days ({f.action_confidence} confidence).")
    if persona == "vp_growth":
        return (f"With {f.action_confidence} confidence, the best next step is to {f.action}, "
                f"modelled at {f.action_impact} over 28 days.")
    return (f"Do first: {f.action} ({f.action_impact} over 28 days, "
            f"{f.action_confidence} confidence).")


def narrate(facts: Facts, persona: Persona) -> list[str]:
    """Three sentences: what happened, what will break, what to do."""
    return [_what_happened(facts, persona), _what_breaks(facts, persona),
            _what_to_do(facts, persona)]
