"""A sync worker process for the kill test: `python -m tests.integrations.sync_worker RUN ORG`.

Reads the database URL and secret from the environment (BRAIN_DATABASE_URL, BRAIN_SECRET_KEY),
runs the sync run until it is finished, waiting while another (dead) worker's lease is live.
Prints the final status. Not a test module.
"""

from __future__ import annotations

import asyncio
import sys
import uuid

from brain.core.runtime import Runtime
from brain.integrations.engine import SyncEngine
from brain.settings import Settings
from tests.integrations.helpers import RecordingDispatcher


async def main(run_id: uuid.UUID, org_id: uuid.UUID) -> str:
    settings = Settings()
    runtime = Runtime.create(settings)
    try:
        engine = SyncEngine(runtime, dispatcher=RecordingDispatcher())
        while True:
            result = await engine.run(sync_run_id=run_id, organization_id=org_id)
            if result.status not in ("busy", "lost"):
                return result.status
            await asyncio.sleep(0.2)
    finally:
        await runtime.close()


if __name__ == "__main__":
    status = asyncio.run(main(uuid.UUID(sys.argv[1]), uuid.UUID(sys.argv[2])))
    print(status)
    sys.exit(0 if status == "succeeded" else 1)
