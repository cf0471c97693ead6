"""The runtime cache of FACE summaries: one entry per (tenant, persona, period), evicted when
a run completes or an action is decided, so a dashboard load is one cache read."""

from __future__ import annotations

import uuid

from brain.brain_modules.face.narrative import PERSONAS
from brain.brain_modules.face.summary import PERIODS
from brain.core.cache import Cache


def face_key(organization_id: uuid.UUID, persona: str, period: str) -> str:
    return f"face:{organization_id}:{persona}:{period}"


async def invalidate_face(cache: Cache, organization_id: uuid.UUID) -> None:
    """Forget every cached summary of the tenant (all personas and periods)."""
    for persona in PERSONAS:
        for period in PERIODS:
            await cache.delete(face_key(organization_id, persona, period))
