"""CSV imports: upload, background job, row errors with line numbers, name matching, streaming."""

from __future__ import annotations

import io
import tracemalloc
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from brain.core.db import tenant_session
from brain.core.jobs import InlineDispatcher
from brain.core.runtime import Runtime
from brain.warehouse import imports
from brain.warehouse.imports import ImportRunner, save_upload
from brain.warehouse.models import ImportJob
from brain.warehouse.tasks import run_import
from tests.factories import Tenant
from tests.warehouse.helpers import (
    all_pages,
    assert_problem,
    make_campaign,
    make_channel,
    make_customer,
    upload_csv,
)

METRICS_HEADER = "date,channel,campaign,creative,impressions,clicks,spend,conversions,revenue"


def upload_file_exists(runtime: Runtime, import_id: str) -> bool:
    return (runtime.settings.imports_dir / f"{import_id}.csv").exists()


async def test_metrics_import_with_good_and_bad_rows(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime, dispatcher: InlineDispatcher
) -> None:
    existing = await make_channel(client, tenant, "Meta Ads", "meta")
    existing_campaign = await make_campaign(client, tenant, existing["id"], "Spring")
    csv_text = "\n".join(
        [
            METRICS_HEADER + ",platform,frequency",
            "2024-03-01,Meta Ads,Spring,Hero video,1000,20,10.5,2,80,,1.5",  # line 2
            "2024-03-01,Meta Ads,Spring,,5000,70,40,5,300,,",  # line 3: campaign grain
            "2024-03-01,TikTok,Launch,Dance,800,9,3.25,0,0,tiktok,",  # line 4: all new
            "2024-03-02,TikTok,,,800,9,3.25,0,0,,",  # line 5: channel grain
            "2024-13-01,Meta Ads,Spring,,1,1,1,1,1,,",  # line 6: bad date
            "2024-03-03,Meta Ads,Spring,,-4,1,1,1,1,,",  # line 7: negative
            "2024-03-03,Meta Ads,,Orphan,1,1,1,1,1,,",  # line 8: creative without campaign
            "2024-03-03,,Spring,,1,1,1,1,1,,",  # line 9: no channel
            "2024-03-03,Meta Ads,Spring,,1,1,1,1,1,myspace,",  # line 10: bad platform
            "2024-03-03,Meta Ads,Spring,,1,1",  # line 11: too few fields
            "",  # a blank line is skipped
            '2024-03-04,"Meta Ads","Spring","<script>x</script>",1,1,1,1,1,,',  # line 13: HTML
            "2024-03-04,Meta Ads,Spring,,1,1,1,1,1,,2000",  # line 14: frequency too high
        ]
    )
    response = await upload_csv(client, tenant, "daily_metrics", csv_text, filename="../m.csv")
    assert response.status_code == 202, response.text
    queued = response.json()
    assert queued["status"] == "queued"
    assert queued["kind"] == "daily_metrics"
    assert queued["filename"] == "m.csv"
    assert queued["size_bytes"] == len(csv_text.encode())
    assert response.headers["location"] == tenant.path(f"/imports/{queued['id']}")
    assert dispatcher.sent == [
        ("warehouse.run_import", {"import_id": queued["id"], "organization_id": str(tenant.id)})
    ]

    job = (await client.get(response.headers["location"], headers=tenant.viewer)).json()
    assert job["status"] == "succeeded", job
    assert job["rows_accepted"] == 4
    assert job["rows_rejected"] == 8
    assert job["progress"] == 1.0
    assert job["bytes_processed"] == job["size_bytes"]
    assert job["started_at"]
    assert job["finished_at"]
    assert job["failure_reason"] is None
    lines = [error["line"] for error in job["errors"]]
    assert lines == [6, 7, 8, 9, 10, 11, 13, 14]
    messages = {error["line"]: error["message"] for error in job["errors"]}
    assert messages[6].startswith("date:")
    assert messages[7].startswith("impressions:")
    assert "campaign" in messages[8]
    assert messages[9] == "channel: a value is required"
    assert messages[10].startswith("platform:")
    assert "fields" in messages[11]
    assert messages[13].startswith("creative:")
    assert messages[14].startswith("frequency:")
    assert not upload_file_exists(runtime, queued["id"])

    channels = {c["name"]: c for c in await all_pages(client, tenant, "/channels", {})}
    assert set(channels) == {"Meta Ads", "TikTok"}
    assert channels["Meta Ads"]["id"] == existing["id"]
    assert channels["TikTok"]["platform"] == "tiktok"
    campaigns = {c["name"]: c for c in await all_pages(client, tenant, "/campaigns", {})}
    assert campaigns["Spring"]["id"] == existing_campaign["id"]
    assert campaigns["Launch"]["channel_id"] == channels["TikTok"]["id"]
    creatives = {c["name"]: c for c in await all_pages(client, tenant, "/creatives", {})}
    assert set(creatives) == {"Hero video", "Dance"}
    assert creatives["Hero video"]["campaign_id"] == existing_campaign["id"]
    assert creatives["Dance"]["format"] == "image"

    metrics = await all_pages(client, tenant, "/metrics/daily", {})
    assert len(metrics) == 4
    hero = next(m for m in metrics if m["creative_id"] == creatives["Hero video"]["id"])
    assert hero["impressions"] == 1000
    assert hero["spend"] == 10.5
    assert hero["frequency"] == 1.5
    assert {m["grain"] for m in metrics} == {"creative", "campaign", "channel"}

    # Importing the same file again updates the same rows (natural key), adds nothing.
    again = await upload_csv(client, tenant, "daily_metrics", csv_text)
    assert (await client.get(again.headers["location"], headers=tenant.viewer)).json()[
        "rows_accepted"
    ] == 4
    assert len(await all_pages(client, tenant, "/metrics/daily", {})) == 4
    assert len(await all_pages(client, tenant, "/channels", {})) == 2


async def test_orders_import(client: httpx.AsyncClient, tenant: Tenant) -> None:
    shop = await make_channel(client, tenant, "Shopify", "shopify")
    known = await make_customer(client, tenant, "cust-1")
    csv_text = (
        "Order_ID, Customer_ID ,order_date,revenue,channel,notes\r\n"
        "o-1,cust-1,2024-02-01,19.99,Shopify,first\r\n"
        "o-2,cust-2,2024-02-02,5,,\r\n"
        "o-3,cust-2,2024-02-03,abc,Shopify,\r\n"
        "o-4,cust-3,2024-02-04,7.5,Newsletter,\r\n"
        "o-2,cust-2,2024-02-02,6,,corrected\r\n"
    )
    response = await upload_csv(client, tenant, "orders", csv_text)
    assert response.status_code == 202, response.text
    job = (await client.get(response.headers["location"], headers=tenant.viewer)).json()
    assert job["status"] == "succeeded", job
    assert (job["rows_accepted"], job["rows_rejected"]) == (4, 1)
    assert job["errors"] == [{"line": 4, "message": job["errors"][0]["message"]}]
    assert job["errors"][0]["message"].startswith("revenue:")

    customers = {c["external_id"]: c for c in await all_pages(client, tenant, "/customers", {})}
    assert set(customers) == {"cust-1", "cust-2", "cust-3"}
    assert customers["cust-1"]["id"] == known["id"]
    orders = {o["external_id"]: o for o in await all_pages(client, tenant, "/orders", {})}
    assert set(orders) == {"o-1", "o-2", "o-4"}
    assert orders["o-1"]["customer_id"] == known["id"]
    assert orders["o-1"]["channel_id"] == shop["id"]
    assert orders["o-2"]["revenue"] == 6  # the later line wins
    assert orders["o-2"]["channel_id"] is None
    newsletter = next(c for c in await all_pages(client, tenant, "/channels", {})
                      if c["name"] == "Newsletter")
    assert newsletter["platform"] == "other"
    assert orders["o-4"]["channel_id"] == newsletter["id"]


@pytest.mark.parametrize(
    ("kind", "content", "reason"),
    [
        ("daily_metrics", "date,channel,clicks\n2024-01-01,Meta,1\n", "impressions"),
        ("orders", "order_id;customer_id;order_date;revenue\n1;2;2024-01-01;3\n", "order_id"),
        ("orders", "order_id,order_id,customer_id,order_date,revenue\n", "twice"),
        ("orders", "\n", "header"),
        ("orders", b"order_id,customer_id,order_date,revenue\n1,\xff\xfe,2024-01-01,3\n", "UTF-8"),
    ],
)
async def test_import_fails_with_a_reason(
    client: httpx.AsyncClient,
    tenant: Tenant,
    runtime: Runtime,
    kind: str,
    content: str | bytes,
    reason: str,
) -> None:
    response = await upload_csv(client, tenant, kind, content)
    assert response.status_code == 202, response.text
    job = (await client.get(response.headers["location"], headers=tenant.viewer)).json()
    assert job["status"] == "failed"
    assert reason in job["failure_reason"]
    assert job["finished_at"] is not None
    assert job["rows_accepted"] == 0
    assert not upload_file_exists(runtime, job["id"])


async def test_upload_validation(client: httpx.AsyncClient, tenant: Tenant) -> None:
    as_json = await client.post(
        tenant.path("/imports"), json={"kind": "orders"}, headers=tenant.analyst
    )
    problem = assert_problem(as_json, 415)
    assert problem["type"].endswith("/unsupported-media-type")
    no_body = await client.post(tenant.path("/imports"), headers=tenant.analyst)
    assert_problem(no_body, 415)

    missing_file = await client.post(
        tenant.path("/imports"),
        data={"kind": "orders"},
        files={"other": ("x.csv", b"a", "text/csv")},
        headers=tenant.analyst,
    )
    assert [e["loc"] for e in assert_problem(missing_file, 422)["errors"]] == [["body", "file"]]
    bad_kind = await upload_csv(client, tenant, "customers", "a,b\n")
    assert [e["loc"] for e in assert_problem(bad_kind, 422)["errors"]] == [["body", "kind"]]
    no_kind = await client.post(
        tenant.path("/imports"),
        files={"file": ("x.csv", b"a", "text/csv")},
        headers=tenant.analyst,
    )
    assert [e["loc"] for e in assert_problem(no_kind, 422)["errors"]] == [["body", "kind"]]
    empty = await upload_csv(client, tenant, "orders", b"")
    assert assert_problem(empty, 422)["errors"][0]["loc"] == ["body", "file"]
    assert await all_pages(client, tenant, "/imports", {}) == []


async def test_imports_list_newest_first(client: httpx.AsyncClient, tenant: Tenant) -> None:
    ids = []
    for index in range(3):
        content = f"order_id,customer_id,order_date,revenue\no{index},c,2024-01-01,1\n"
        response = await upload_csv(client, tenant, "orders", content)
        ids.append(response.json()["id"])
    listed = await all_pages(client, tenant, "/imports", {"limit": 2})
    assert [job["id"] for job in listed] == list(reversed(ids))
    assert {job["status"] for job in listed} == {"succeeded"}


async def test_error_list_is_capped_but_counted(
    client: httpx.AsyncClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "ROWS_PER_CHUNK", 300)
    bad_rows = "".join(f"o-{n},c-{n},someday,1\n" for n in range(1_200))
    content = "order_id,customer_id,order_date,revenue\n" + bad_rows + "o-ok,c-ok,2024-01-01,1\n"
    response = await upload_csv(client, tenant, "orders", content)
    job = (await client.get(response.headers["location"], headers=tenant.viewer)).json()
    assert job["status"] == "succeeded"
    assert job["rows_rejected"] == 1_200
    assert job["rows_accepted"] == 1
    assert len(job["errors"]) == 1_000
    assert job["errors"][0]["line"] == 2
    assert job["errors"][-1]["line"] == 1_001


def _metrics_file(path: Path, rows: int) -> int:
    """A metrics CSV with long names (few objects, many bytes); returns its size."""
    channel, campaign, creative = "C" * 180, "K" * 190, "R" * 190
    with path.open("w") as out:
        out.write(METRICS_HEADER + "\n")
        for index in range(rows):
            day = (date(2000, 1, 1) + timedelta(days=index)).isoformat()
            out.write(f"{day},{channel},{campaign},{creative},{index},1,2.5,0,0\n")
    return path.stat().st_size


async def _import_measured(runtime: Runtime, tenant: Tenant, rows: int) -> tuple[int, int]:
    """Import a generated metrics file of `rows` rows; returns (peak traced bytes, file size)."""
    import_id = uuid.uuid4()
    runtime.settings.imports_dir.mkdir(parents=True, exist_ok=True)
    path = runtime.settings.imports_dir / f"{import_id}.csv"
    size = _metrics_file(path, rows)
    async with tenant_session(runtime.session_factory, tenant.id) as session:
        session.add(
            ImportJob(
                id=import_id,
                organization_id=tenant.id,
                kind="daily_metrics",
                file_path=str(path),
                size_bytes=size,
            )
        )
    tracemalloc.start()
    try:
        await run_import(runtime, import_id=str(import_id), organization_id=str(tenant.id))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not path.exists()
    async with tenant_session(runtime.session_factory, tenant.id) as session:
        job = await session.get(ImportJob, import_id)
        assert job is not None
        assert (job.status, job.rows_accepted, job.rows_rejected) == ("succeeded", rows, 0)
    return peak, size


async def test_import_streams_the_file_in_chunks(
    runtime: Runtime, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory depends on the chunk size, not the file: 4x the file, about the same peak."""
    monkeypatch.setattr(imports, "ROWS_PER_CHUNK", 500)
    positions: list[int] = []
    original = ImportRunner._write_chunk

    async def recording(self: ImportRunner, handler: Any, chunk: Any, position: int) -> None:
        positions.append(position)
        await original(self, handler, chunk, position)

    monkeypatch.setattr(ImportRunner, "_write_chunk", recording)
    big_peak, big_size = await _import_measured(runtime, tenant, 6_000)
    assert big_size > 3_000_000
    assert len(positions) == 13  # 12 full chunks of 500 rows, then the (empty) tail
    assert positions == sorted(positions)
    assert positions[0] < big_size / 8  # progress is recorded as the file is read

    small_peak, small_size = await _import_measured(runtime, tenant, 1_500)
    assert big_size > 3.9 * small_size
    assert big_peak < 1.5 * small_peak, (big_peak, small_peak)
    assert big_peak < big_size / 2


class _RecordingFile(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.read_sizes: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.read_sizes.append(-1 if size is None else size)
        return super().read(size)


async def test_upload_is_copied_in_chunks(tmp_path: Path) -> None:
    from starlette.datastructures import UploadFile

    data = b"x" * (imports.UPLOAD_CHUNK_BYTES * 2 + 10)
    source = _RecordingFile(data)
    source.seek(len(data))  # wherever the form parser left it
    target = tmp_path / "copy.csv"
    assert await save_upload(UploadFile(source, filename="x.csv"), target) == len(data)
    assert target.read_bytes() == data
    assert source.read_sizes == [imports.UPLOAD_CHUNK_BYTES] * 4
