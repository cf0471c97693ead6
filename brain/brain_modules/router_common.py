"""What the brain routers share: permissions, the tenant-wide guard and stored-output access."""

from __future__ import annotations

from typing import Annotated

from sqlalchemy.ext.asyncio import AsyncSession

from brain.brain_modules.pipeline import latest_outputs
from brain.brain_modules.runs.models import BrainModuleOutput, BrainRun
from brain.brain_modules.schemas import OutputSource
from brain.core.auth import AuthContext
from brain.core.deps import Authorized
from brain.core.errors import ProblemError
from brain.organizations.permissions import Permission

RunBrain = Annotated[AuthContext, Authorized(Permission.brain_run)]

NO_RUN_DETAIL = (
    "No brain run has succeeded for this organization yet; start one with "
    "POST /api/v1/organizations/{org_id}/brain/runs and read this once it has finished."
)


def require_tenant_wide(auth: AuthContext) -> None:
    """Brain answers aggregate every channel: members limited to some channels get a 403."""
    if auth.channel_ids is not None:
        raise ProblemError(
            403,
            "Brain summaries span every channel of the organization; your access is limited "
            "to some channels.",
        )


async def stored_output(
    session: AsyncSession, auth: AuthContext, module: str
) -> tuple[BrainRun, BrainModuleOutput]:
    """The latest succeeded run's output of `module` (409 when no run has succeeded)."""
    run, outputs = await latest_outputs(session, auth, (module,))
    stored = outputs.get(module)
    if run is None or stored is None:
        raise ProblemError(409, NO_RUN_DETAIL.format(org_id=auth.organization_id),
                           extra={"module": module})
    return run, stored


def stored_source(run: BrainRun, stored: BrainModuleOutput) -> OutputSource:
    return OutputSource(run_id=run.id, computed="stored", model_version=stored.model_version,
                        data_as_of=run.data_as_of)

