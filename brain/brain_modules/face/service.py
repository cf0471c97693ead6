"""Assembling the FACE summary for one persona and period from the latest succeeded run's
stored `face` document and the tenant's open actions (cached; see `cache.py`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from brain.brain_modules.actions.service import ActionRepository
from brain.brain_modules.actions.views import action_read
from brain.brain_modules.face.cache import face_key
from brain.brain_modules.face.narrative import Persona, build_facts, narrate
from brain.brain_modules.pipeline import latest_outputs
from brain.brain_modules.runs.repository import BrainRunRepository
from brain.brain_modules.schemas import FaceSummary, KpiRead
from brain.core.auth import AuthContext
from brain.core.cache import Cache

TOP_ACTIONS = 3
EMPTY_EXPLANATION = (
    "No brain run has succeeded for this organization yet. Connect a data source or upload "
    "a CSV, then start a run (POST …/brain/runs); the summary appears when it finishes."
)


def empty_summary(persona: Persona, period: str, explanation: str) -> FaceSummary:
    return FaceSummary(
        state="empty", explanation=explanation, persona=persona,
        period=period,
        run_id=None, kpis=[], risk_level=None, risk_reasons=[], narrative="",
        narrative_sentences=[], cards={}, actions=[],
        leaderboard={"winners": [], "losers": [], "top_creatives": [], "bottom_creatives": []},
        alerts=[], data_as_of=None, notes=[],
    )


async def build_summary(
    session: AsyncSession, auth: AuthContext, *, persona: Persona, period: str
) -> FaceSummary:
    run, outputs = await latest_outputs(session, auth, ("face",))
    stored = outputs.get("face")
    if run is None or stored is None:
        return empty_summary(persona, period, EMPTY_EXPLANATION)
    doc: dict[str, Any] = stored.output
    if doc.get("data_as_of") is None:
        return empty_summary(
            persona, period,
            "The latest brain run found no marketing data yet; connect a data source or "
            "upload a CSV, then run the brain again.",
        )
    period_doc = doc["periods"][period]
    risk = doc["risk"]
    actions = [action_read(a) for a in
               await ActionRepository(session, auth).top_proposed(TOP_ACTIONS)]
    top = actions[0].model_dump(mode="json") if actions else None
    oracle_card = doc["cards"].get("oracle")
    sentences = narrate(build_facts(period, period_doc["kpis"], oracle_card, top), persona)
    kpis = [KpiRead.model_validate(k) for k in period_doc["kpis"]
            if k["key"] in ("mer", "blended_roas", "ltv_roas")]
    kpis.append(KpiRead.model_validate({k: risk[k] for k in
                                        ("key", "label", "value", "previous", "change",
                                         "unit")}))
    notes = list(period_doc.get("notes", []))
    if len(actions) < TOP_ACTIONS:
        notes.append(f"CURIOSITY has {len(actions)} open action(s) to show, not "
                     f"{TOP_ACTIONS}: the others were decided or the data supports no more.")
    return FaceSummary(
        state="ready", explanation=None, persona=persona,
        period=period,
        run_id=run.id, kpis=kpis, risk_level=risk["value"],
        risk_reasons=list(risk.get("reasons", [])), narrative=" ".join(sentences),
        narrative_sentences=sentences, cards=doc["cards"], actions=actions,
        leaderboard=doc["leaderboard"], alerts=doc["alerts"], data_as_of=doc["data_as_of"],
        notes=notes,
    )


async def cached_summary(
    session: AsyncSession, auth: AuthContext, cache: Cache, *, persona: Persona, period: str,
    ttl_seconds: int,
) -> bytes:
    """The summary's JSON, from the cache when it belongs to the latest succeeded run.

    Entries are evicted when a run completes or an action is decided; the run-id check
    also covers a worker whose eviction cannot reach this process (the in-process cache of
    the embedded mode), at the price of one index lookup per request.
    """
    key = face_key(auth.organization_id, persona, period)
    latest = await BrainRunRepository(session, auth).latest_succeeded_id()
    tag = (str(latest) if latest else "none").encode()
    hit = await cache.get(key)
    if hit is not None:
        cached_tag, _, cached_body = hit.partition(b"\n")
        if cached_tag == tag:
            return cached_body
    body = (await build_summary(session, auth, persona=persona, period=period)) \
        .model_dump_json().encode()
    await cache.set(key, tag + b"\n" + body, ttl_seconds)
    return body
