"""`import.completed` when a CSV import ends, succeeded or failed, through the outbox to a
loopback receiver; nothing when the transaction recording the outcome rolls back."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx
import orjson
import pytest

from brain.core.clock import FrozenClock
from brain.core.db import tenant_session
from brain.core.runtime import Runtime
from brain.warehouse import imports
from brain.warehouse.models import ImportJob
from brain.warehouse.tasks import run_import
from brain.webhooks.tasks import pump_once
from tests.factories import Tenant
from tests.warehouse.helpers import upload_csv
from tests.webhooks.helpers import create_endpoint
from tests.webhooks.receiver import Receiver

HEADER = "date,channel,campaign,creative,impressions,clicks,spend,conversions,revenue"


def events_at(receiver: Receiver, path: str) -> list[dict[str, Any]]:
    out = []
    for message in receiver.received:
        if message.path == path:
            envelope = orjson.loads(message.body)
            assert envelope["type"] == "import.completed"
            out.append(envelope["data"])
    return out


def same_instant(payload_time: str, api_time: str) -> bool:
    assert payload_time.endswith("Z")
    return datetime.fromisoformat(payload_time) == datetime.fromisoformat(api_time)


async def test_finished_imports_are_sent_with_the_documented_payload(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime, receiver: Receiver,
    clock: FrozenClock,
) -> None:
    await create_endpoint(client, tenant, receiver.url("/imports"), ["import.completed"])
    await create_endpoint(client, tenant, receiver.url("/sync"), ["sync.completed"])
    good = "\n".join([HEADER, "2024-03-01,Meta,Spring,,100,5,1.5,0,0",
                      "2024-03-02,Meta,Spring,,100,5,1.5,0,0", "2024-13-01,Meta,,,1,1,1,1,1"])
    succeeded = (await upload_csv(client, tenant, "daily_metrics", good)).json()
    failed = (await upload_csv(client, tenant, "orders", "order_id,revenue\n1,2\n")).json()
    await pump_once(runtime)

    sent = {event["import_id"]: event for event in events_at(receiver, "/imports")}
    assert set(sent) == {succeeded["id"], failed["id"]}
    assert not [m for m in receiver.received if m.path == "/sync"]
    jobs = {job_id: (await client.get(tenant.path(f"/imports/{job_id}"),
                                      headers=tenant.viewer)).json() for job_id in sent}
    ok = sent[succeeded["id"]]
    assert same_instant(ok.pop("finished_at"), jobs[succeeded["id"]]["finished_at"])
    assert ok == {"import_id": succeeded["id"], "kind": "daily_metrics", "status": "succeeded",
                  "rows_accepted": 2, "rows_rejected": 1, "failure_reason": None}
    bad = sent[failed["id"]]
    assert same_instant(bad.pop("finished_at"), jobs[failed["id"]]["finished_at"])
    reason = jobs[failed["id"]]["failure_reason"]
    assert reason.startswith("The header lacks the required column(s): customer_id")
    assert bad == {"import_id": failed["id"], "kind": "orders", "status": "failed",
                   "rows_accepted": 0, "rows_rejected": 0, "failure_reason": reason}


async def test_an_outcome_that_is_not_stored_sends_nothing(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime, receiver: Receiver,
    clock: FrozenClock, monkeypatch: pytest.MonkeyPatch,
) -> None:
    await create_endpoint(client, tenant, receiver.url("/imports"), ["import.completed"])
    import_id = uuid.uuid4()
    runtime.settings.imports_dir.mkdir(parents=True, exist_ok=True)
    path = runtime.settings.imports_dir / f"{import_id}.csv"
    path.write_text(HEADER + "\n2024-03-01,Meta,,,1,1,1,1,1\n")
    async with tenant_session(runtime.session_factory, tenant.id) as session:
        session.add(ImportJob(id=import_id, organization_id=tenant.id, kind="daily_metrics",
                              file_path=str(path), size_bytes=path.stat().st_size))
    real = imports.enqueue_event

    async def then_fail(*args: Any, **kwargs: Any) -> None:
        await real(*args, **kwargs)
        raise RuntimeError("the commit failed")

    monkeypatch.setattr(imports, "enqueue_event", then_fail)
    with pytest.raises(RuntimeError, match="the commit failed"):
        await run_import(runtime, import_id=str(import_id), organization_id=str(tenant.id))
    job = (await client.get(tenant.path(f"/imports/{import_id}"), headers=tenant.viewer)).json()
    assert job["status"] == "running"  # the outcome was rolled back with its event
    assert (await pump_once(runtime)).events_fanned_out == 0
    assert events_at(receiver, "/imports") == []
