"""API shapes of the model registry."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from brain.core.schemas import ResponseModel, StrId, UTCTimestamp


class ModelRead(ResponseModel):
    id: StrId
    name: str
    module: str
    description: str | None
    scope: Literal["global", "organization"]
    latest_version: int | None
    champion_version: int | None
    created_at: UTCTimestamp
    updated_at: UTCTimestamp


class EvaluationRead(ResponseModel):
    id: StrId
    model_id: uuid.UUID
    version: int | None
    dataset: str
    metrics: dict[str, Any]
    targets: dict[str, Any]
    passed: bool | None
    scope: Literal["global", "organization"]
    created_at: UTCTimestamp
    finished_at: UTCTimestamp | None
