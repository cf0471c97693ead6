"""ORACLE: what will break — creative fatigue, channel ROI decay, cohort LTV drift.

Answers come from the latest succeeded run (409 problem before the first one has finished).
"""

from __future__ import annotations

import math
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from brain.billing.catalog import Module
from brain.billing.entitlements import require_entitlement
from brain.brain_modules.contracts import CreativeForecast
from brain.brain_modules.router_common import require_tenant_wide, stored_output, stored_source
from brain.brain_modules.schemas import (
    ChannelDecayRead,
    CreativeForecastRead,
    LtvDriftRead,
    OracleChannels,
    OracleCreatives,
    OracleLtvDrift,
)
from brain.brain_modules.serialize import oracle_from_json, to_json
from brain.core.deps import DbSession, ReadData
from brain.core.pagination import json_response

router = APIRouter(prefix="/api/v1/organizations/{org_id}/oracle", tags=["oracle"],
                   dependencies=[Depends(require_entitlement(Module.oracle))])


def _risk(c: CreativeForecast) -> float:
    p = c.fatigue_probability_7d
    return -1.0 if p is None or not math.isfinite(p) else p


@router.get("/creatives", response_model=OracleCreatives, operation_id="get_oracle_creatives")
async def get_oracle_creatives(
    org_id: uuid.UUID,
    auth: ReadData,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=10_000, description="Most at-risk first.")] = 200,
    method: Annotated[
        Literal["model", "rules", "insufficient_data"] | None,
        Query(description="Only forecasts made this way."),
    ] = None,
) -> Response:
    """Per creative: 7/14-day fatigue probability, predicted drop, risk factors, refresh date."""
    require_tenant_wide(auth)
    run, stored = await stored_output(session, auth, "oracle")
    oracle = oracle_from_json(stored.output)
    rows = [c for c in oracle.creatives if method is None or c.method == method]
    rows.sort(key=lambda c: (-_risk(c), c.name))
    return json_response(OracleCreatives(
        source=stored_source(run, stored), total=len(rows),
        data=[CreativeForecastRead.model_validate(to_json(c)) for c in rows[:limit]],
    ))


@router.get("/channels", response_model=OracleChannels, operation_id="get_oracle_channels")
async def get_oracle_channels(org_id: uuid.UUID, auth: ReadData, session: DbSession) -> Response:
    """Per channel: ROI decay severity, ROAS and spend trends, and why; the global risk."""
    require_tenant_wide(auth)
    run, stored = await stored_output(session, auth, "oracle")
    oracle = oracle_from_json(stored.output, creatives=False)
    return json_response(OracleChannels(
        risk_level=oracle.risk_level, risk_reasons=oracle.risk_reasons,
        source=stored_source(run, stored),
        data=[ChannelDecayRead.model_validate(to_json(c)) for c in oracle.channels],
    ))


@router.get("/ltv-drift", response_model=OracleLtvDrift, operation_id="get_oracle_ltv_drift")
async def get_oracle_ltv_drift(org_id: uuid.UUID, auth: ReadData, session: DbSession) -> Response:
    """Per acquisition cohort: LTV vs its baseline, relative drift and severity."""
    require_tenant_wide(auth)
    run, stored = await stored_output(session, auth, "oracle")
    oracle = oracle_from_json(stored.output, creatives=False)
    return json_response(OracleLtvDrift(
        source=stored_source(run, stored),
        data=[LtvDriftRead.model_validate(to_json(d)) for d in oracle.ltv_drift],
    ))
