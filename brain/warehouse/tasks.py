"""Background jobs of the marketing data store."""

from __future__ import annotations

import uuid

from brain.core.jobs import job
from brain.core.runtime import Runtime
from brain.warehouse.imports import ImportRunner


@job("warehouse.run_import")
async def run_import(runtime: Runtime, *, import_id: str, organization_id: str) -> None:
    """Import an uploaded CSV file in chunks and record progress and rejected rows."""
    runner = ImportRunner(
        runtime.session_factory,
        organization_id=uuid.UUID(organization_id),
        import_id=uuid.UUID(import_id),
    )
    await runner.run()
