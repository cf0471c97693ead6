"""FACE: the one-screen summary for a persona and period (cached per tenant)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from brain.billing.catalog import Module
from brain.billing.entitlements import require_entitlement
from brain.brain_modules.face.service import cached_summary
from brain.brain_modules.router_common import require_tenant_wide
from brain.brain_modules.schemas import FaceSummary
from brain.core.deps import AppCache, AppSettings, DbSession, ReadData

router = APIRouter(prefix="/api/v1/organizations/{org_id}/face", tags=["face"],
                   dependencies=[Depends(require_entitlement(Module.face))])


@router.get("", response_model=FaceSummary, operation_id="get_face_summary")
async def get_face_summary(
    org_id: uuid.UUID,
    auth: ReadData,
    session: DbSession,
    cache: AppCache,
    settings: AppSettings,
    persona: Annotated[
        Literal["cmo", "vp_growth", "director"], Query(description="Whose wording.")
    ] = "cmo",
    period: Annotated[Literal["7d", "28d", "90d"], Query(description="KPI window.")] = "7d",
) -> Response:
    """KPI bar, "what changed" narrative, cards, top 3 actions, leaderboard, alerts.

    Before any run has succeeded the answer is 200 with `state: "empty"` and an explanation.
    """
    require_tenant_wide(auth)
    body = await cached_summary(
        session, auth, cache, persona=persona, period=period,
        ttl_seconds=settings.face_cache_seconds,
    )
    fresh = max(settings.face_cache_seconds // 5, 1)
    return Response(
        body,
        media_type="application/json",
        headers={
            "Cache-Control": f"private, max-age={fresh}, "
                             f"stale-while-revalidate={settings.face_cache_seconds}",
        },
    )
