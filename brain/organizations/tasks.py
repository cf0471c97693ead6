"""Background jobs of the organizations domain."""

from __future__ import annotations

import logging

from brain.core.db import system_session
from brain.core.jobs import job
from brain.core.runtime import Runtime
from brain.organizations.lifecycle import purge_deleted_organizations

logger = logging.getLogger("brain.organizations")


@job("organizations.purge_deleted")
async def purge_deleted(runtime: Runtime) -> None:
    """Hard-delete organizations soft-deleted more than their `data_retention_days` ago."""
    async with system_session(runtime.session_factory) as session:
        purged = await purge_deleted_organizations(session, runtime.clock)
    logger.info("purged %d deleted organization(s)", len(purged))
