"""Which fatigue model ORACLE uses in a run: the registry's `champion` for the tenant (its own
alias first, then the global one), else the default model trained on the development
simulations, which is then registered globally and made champion so later runs and other
processes load it instead of retraining.

The artifact is the estimators as skops (loaded through the registry's allow-list, never
pickle) with the model's metadata kept in the version's `params`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from brain.brain_modules.oracle import FatigueModel, default_fatigue_model
from brain.brain_modules.oracle import model as oracle_model_module
from brain.brain_modules.oracle.model import MODEL_NAME
from brain.core.auth import AuthContext
from brain.core.db import BYPASS_INFO_KEY, set_system_mode
from brain.finops.metering import record_usage
from brain.mlops.artifacts import ArtifactError, skops_artifact
from brain.mlops.models import MlModelVersion
from brain.mlops.registry import (
    CHAMPION,
    get_alias,
    load_version_artifact,
    register_version,
    set_alias,
)

logger = logging.getLogger("brain.brain_modules.oracle_model")
MODULE = "oracle"
# Loaded champions by artifact checksum: a worker loads each model version once, not per run.
_LOADED: dict[str, FatigueModel] = {}
_LOADED_MAX = 4


def _from_version(version: MlModelVersion, estimators: Any) -> FatigueModel:
    metadata = dict(version.params.get("metadata") or {})
    if not isinstance(estimators, dict) or not {"p7", "p14"} <= set(estimators):
        raise ArtifactError("the artifact does not hold a fatigue model")
    return FatigueModel(estimators, metadata)


async def _champion(
    session: AsyncSession, auth: AuthContext
) -> tuple[FatigueModel | None, bool]:
    """The champion's model, and whether a loadable champion artifact exists at all (a
    version registered only to hold evaluation metrics has none)."""
    version = await get_alias(session, MODEL_NAME, CHAMPION,
                              organization_id=auth.organization_id)
    if version is None or version.artifact_format is None:
        return None, False
    checksum = version.artifact_sha256 or ""
    if checksum in _LOADED:
        return _LOADED[checksum], True
    try:
        estimators = await load_version_artifact(session, version)
        model = _from_version(version, estimators)
        if len(_LOADED) >= _LOADED_MAX:
            _LOADED.pop(next(iter(_LOADED)))
        _LOADED[checksum] = model
        return model, True
    except (ArtifactError, ValueError, TypeError) as exc:
        logger.warning("champion %s v%s unusable (%s); using the default model",
                       MODEL_NAME, version.version, exc)
        return None, True


async def _register_default(session: AsyncSession, model: FatigueModel) -> None:
    """Register the default model globally and make it champion (system mode, a savepoint:
    two runs registering at once leave one version, never a failed run)."""
    was_bypassing = bool(session.info.get(BYPASS_INFO_KEY))
    await set_system_mode(session, True)
    try:
        async with session.begin_nested():
            window = model.metadata.get("training_window") or {}
            version = await register_version(
                session, model_name=MODEL_NAME, module=MODULE,
                feature_set=list(model.feature_names),
                params={"metadata": model.metadata, "version": model.version},
                metrics={}, artifact=skops_artifact(model.estimators),
                description="Creative fatigue classifier (7/14 days), calibrated.",
                training_start=None if not window.get("start") else _day(window["start"]),
                training_end=None if not window.get("end") else _day(window["end"]),
            )
            await set_alias(session, version, CHAMPION)
    except IntegrityError:
        logger.info("default fatigue model registered concurrently")
    finally:
        await set_system_mode(session, was_bypassing)


def _day(text: str) -> Any:
    from datetime import date

    return date.fromisoformat(text[:10])


async def resolve_oracle_model(session: AsyncSession, auth: AuthContext) -> FatigueModel:
    """The fatigue model serving this tenant (the caller commits a new registration)."""
    champion, has_artifact = await _champion(session, auth)
    if champion is not None:
        return champion
    trains = not oracle_model_module.default_fatigue_model_ready()
    started = time.perf_counter()
    model = await asyncio.to_thread(default_fatigue_model)
    if trains:
        # Training is a cost like any other: metered to the tenant whose run needed it.
        await record_usage(session, auth.organization_id, "training_seconds",
                           time.perf_counter() - started, dimension=MODEL_NAME)
    if not has_artifact:
        # Never overwrite a champion whose artifact failed its checks: that needs a person.
        await _register_default(session, model)
    return model
