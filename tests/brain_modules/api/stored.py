"""Write a finished run with hand-built module outputs straight to the database (no pipeline),
for the API tests of FACE, ORACLE, MEMORY and actions."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from brain.brain_modules.actions.service import FeedbackHistory, persist_proposals
from brain.brain_modules.pipeline import Answers, face_output
from brain.brain_modules.runs.models import BrainModuleOutput, BrainRun
from brain.brain_modules.runs.repository import pipeline_context
from brain.brain_modules.serialize import to_json
from brain.core.models import utcnow
from tests.brain_modules.pipeline.builders import (
    brain_data,
    curiosity_result,
    memory_result,
    oracle_result,
)


async def store_finished_run(
    db: AsyncSession, organization_id: uuid.UUID, *, history: FeedbackHistory | None = None
) -> BrainRun:
    run = await add_finished_run(db, organization_id, history=history)
    await db.commit()
    return run


async def add_finished_run(
    db: AsyncSession, organization_id: uuid.UUID, *, history: FeedbackHistory | None = None
) -> BrainRun:
    """A succeeded run with every module's output and its proposed actions (flushed only)."""
    data = brain_data(60, organization_id)
    answers = Answers(data=data, memory=memory_result(data), oracle=oracle_result(),
                      curiosity=curiosity_result())
    run = BrainRun(organization_id=organization_id, status="succeeded", trigger="manual",
                   modules={}, started_at=utcnow() - timedelta(seconds=5),
                   finished_at=utcnow(), data_as_of=data.end.isoformat())
    db.add(run)
    await db.flush()
    assert answers.memory is not None
    assert answers.oracle is not None
    assert answers.curiosity is not None
    face = face_output(answers, previous_risk=None, today=data.end + timedelta(days=1))
    for module, output, version in (
        ("memory", to_json(answers.memory), answers.memory.model_version),
        ("oracle", to_json(answers.oracle), answers.oracle.model_version),
        ("curiosity", to_json(answers.curiosity), answers.curiosity.model_version),
        ("face", face.output, face.model_version),
    ):
        db.add(BrainModuleOutput(organization_id=organization_id, run_id=run.id, module=module,
                                 model_version=version, output=output))
    await persist_proposals(db, pipeline_context(organization_id, run.id), run_id=run.id,
                            curiosity=answers.curiosity, history=history or FeedbackHistory())
    await db.flush()
    return run
