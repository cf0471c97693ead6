"""List pages written straight from rows (`brain/core/page_render.py`) are byte for byte what
Pydantic writes for the same rows: on the database under test for every read model that has a
renderer, over generated values for the formats that could differ (floats, timestamps, UUIDs),
and the models it cannot render exactly keep the Pydantic path."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field, computed_field, field_serializer
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from brain.core.models import Base
from brain.core.page_render import PageRenderer, page_renderer
from brain.core.pagination import _plain_columns, validated_page
from brain.core.schemas import Page, Resource
from brain.warehouse.models import (
    AdSet,
    Campaign,
    Channel,
    Creative,
    Customer,
    DailyMetric,
    Order,
)
from brain.warehouse.schemas import (
    AdSetRead,
    CampaignRead,
    ChannelRead,
    CreativeRead,
    CustomerRead,
    DailyMetricRead,
    OrderRead,
)
from tests.factories import Tenant
from tests.platform.helpers import describe

RENDERED: list[tuple[type[Base], type[BaseModel]]] = [
    (Channel, ChannelRead),
    (Campaign, CampaignRead),
    (AdSet, AdSetRead),
    (Creative, CreativeRead),
    (DailyMetric, DailyMetricRead),
    (Customer, CustomerRead),
    (Order, OrderRead),
]

# Text Pydantic and orjson could escape differently.
AWKWARD_TEXT = 'Café ☕ "quoted" \\ back\tslash \u2028 \u00e9\U0001f600 </script>'


def _renderer(model: type[Base], read_model: type[BaseModel]) -> PageRenderer:
    renderer = page_renderer(model.__table__, read_model)  # type: ignore[arg-type]
    assert renderer is not None, f"{read_model.__name__} has no renderer"
    return renderer


@pytest.mark.parametrize(("model", "read_model"), RENDERED, ids=lambda x: x.__name__)
def test_every_warehouse_list_model_has_a_renderer(
    model: type[Base], read_model: type[BaseModel]
) -> None:
    renderer = _renderer(model, read_model)
    assert renderer.field_names == set(read_model.model_fields)


async def _seed(db: AsyncSession, org: uuid.UUID) -> None:
    """Rows with the values whose JSON could differ: None, whole and fractional amounts,
    tiny and huge floats, timestamps with and without a fraction, unusual text."""
    whole = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    meta = Channel(organization_id=org, name=AWKWARD_TEXT, platform="meta",
                   external_account_id="act_1", created_at=whole, updated_at=whole)
    tiktok = Channel(organization_id=org, name="TikTok", platform="tiktok")
    db.add_all([meta, tiktok])
    await db.flush()
    plain = Campaign(organization_id=org, channel_id=meta.id, name="Always on")
    goal = Campaign(organization_id=org, channel_id=tiktok.id, name="Launch",
                    objective="conversions")
    db.add_all([plain, goal])
    await db.flush()
    ad_set = AdSet(organization_id=org, campaign_id=plain.id, name="Broad")
    db.add_all([ad_set, AdSet(organization_id=org, campaign_id=goal.id, name=AWKWARD_TEXT)])
    await db.flush()
    db.add_all([
        Creative(organization_id=org, campaign_id=plain.id, name="C1", format="video"),
        Creative(organization_id=org, campaign_id=plain.id, ad_set_id=ad_set.id, name="C12",
                 format="image", copy_length=120, cta="Shop now", launched_on=date(2024, 2, 29)),
    ])
    amounts = [0.0, 12.0, 0.3, 99.9, 0.0001, 123456789012.1234, 1234.5678]
    floats = [1 / 3, 2.0, 1e-7, 1e15, 123456.789, 5e-324, 1.7976931348623157e308]
    day = date(2026, 1, 1)
    for index, (amount, value) in enumerate(zip(amounts, floats, strict=True)):
        db.add(DailyMetric(
            organization_id=org, date=day + timedelta(days=index), channel_id=meta.id,
            campaign_id=plain.id if index % 2 else None, impressions=10**12 + index,
            clicks=index, spend=amount, conversions=value, revenue=amounts[-1 - index],
            frequency=None if index % 3 else value, video_views=None if index % 2 else index,
            created_at=whole + timedelta(microseconds=index * 1001),
        ))
    buyer = Customer(organization_id=org, external_id="cust-1", email="a@example.com",
                     first_order_on=date(2025, 12, 31), acquisition_channel_id=meta.id)
    anonymous = Customer(organization_id=org, external_id=AWKWARD_TEXT)
    db.add_all([buyer, anonymous])
    await db.flush()
    db.add_all([
        Order(organization_id=org, external_id="o-1", customer_id=buyer.id,
              order_date=date(2026, 1, 2), revenue=0.1, channel_id=meta.id),
        Order(organization_id=org, external_id="o-2", customer_id=anonymous.id,
              order_date=date(2026, 1, 3), revenue=250.0),
    ])
    await db.flush()
    # A timestamp written by the database's own default (on SQLite: no fraction at all).
    now = "CURRENT_TIMESTAMP" if db.get_bind().dialect.name == "sqlite" else "now()"
    await db.execute(text(f"UPDATE channels SET updated_at = {now} WHERE id = :id"),
                     {"id": tiktok.id if db.get_bind().dialect.name != "sqlite"
                      else tiktok.id.hex})


@pytest.mark.parametrize(("model", "read_model"), RENDERED, ids=lambda x: x.__name__)
async def test_rendered_page_is_byte_for_byte_pydantics(
    db: AsyncSession, tenant: Tenant, model: type[Any], read_model: type[BaseModel]
) -> None:
    await _seed(db, tenant.id)
    renderer = _renderer(model, read_model)
    dialect = db.get_bind().dialect.name
    stmt = (select(model).where(model.organization_id == tenant.id)
            .order_by(model.created_at, model.id))
    connection = await db.connection()
    fast_rows = (await connection.execute(
        stmt.with_only_columns(*renderer.columns(dialect)))).all()
    typed_rows = (await connection.execute(
        stmt.with_only_columns(*_plain_columns(model.__table__, dialect)))).all()
    assert len(fast_rows) == len(typed_rows) >= 2
    for cursor in ("next-page", None):
        fast = renderer.dump(renderer.values(dialect, fast_rows), cursor)
        expected = validated_page(read_model, typed_rows, cursor).model_dump_json().encode()
        assert fast == expected
    # One object (`TenantRepository.get_rendered`) is written as `model_dump_json()` does.
    typed = validated_page(read_model, typed_rows, None).data
    for values, item in zip(renderer.values(dialect, fast_rows), typed, strict=True):
        assert renderer.dump_object(values) == item.model_dump_json().encode()


async def test_api_pages_walk_by_every_sort_with_rendered_pages(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant
) -> None:
    """Cursors taken from a rendered page (timestamps read as UTC wall-clock times) lead to
    the next page in both directions, as before."""
    await _seed(db, tenant.id)
    await db.commit()
    expected = (await client.get(tenant.path("/metrics/daily?limit=200"),
                              headers=tenant.viewer)).json()["data"]
    assert len(expected) == 7
    for sort in ("date", "-date", "created_at", "-created_at"):
        url: str | None = tenant.path(f"/metrics/daily?limit=2&sort={sort}")
        seen: list[dict[str, Any]] = []
        while url is not None:
            response = await client.get(url, headers=tenant.viewer)
            assert response.status_code == 200, describe(response)
            seen.extend(response.json()["data"])
            link = response.headers.get("link")
            url = link[1:link.index(">")] if link else None
        key = sort.lstrip("-")

        def position(row: dict[str, Any], key: str = key) -> tuple[Any, str]:
            value = row[key]
            return (datetime.fromisoformat(value) if key == "created_at" else value, row["id"])

        ordered = sorted(expected, key=position, reverse=sort.startswith("-"))
        assert seen == ordered, sort


@pytest.mark.parametrize(
    "collection", ["channels", "campaigns", "ad-sets", "creatives", "metrics/daily",
                   "customers", "orders"],
)
async def test_a_single_object_reads_as_its_list_item(
    client: httpx.AsyncClient, db: AsyncSession, tenant: Tenant, collection: str
) -> None:
    await _seed(db, tenant.id)
    await db.commit()
    listed = (await client.get(tenant.path(f"/{collection}?limit=200"),
                               headers=tenant.viewer)).json()["data"]
    assert listed
    for item in listed:
        response = await client.get(tenant.path(f"/{collection}/{item['id']}"),
                                    headers=tenant.viewer)
        assert response.status_code == 200, describe(response)
        assert response.json() == item
        assert response.headers["etag"]
    missing = await client.get(tenant.path(f"/{collection}/{uuid.uuid4()}"),
                               headers=tenant.viewer)
    assert missing.status_code == 404, describe(missing)


# Generated values, in the forms each database hands them over ------------------------------

# Amounts are never negative (SQLite's NUMERIC affinity would keep -0.0 as the integer 0).
_FLOATS = st.floats(min_value=0.0, allow_nan=False, allow_infinity=False)
_TIMES = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1))


@st.composite
def _metric_rows(draw: st.DrawFn) -> dict[str, Any]:
    """A daily-metric row's typed values."""
    ids = [draw(st.uuids()) for _ in range(2)]
    campaign = draw(st.none() | st.uuids())
    created, updated = draw(_TIMES), draw(_TIMES)
    day = draw(st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31)))
    counts = draw(st.tuples(st.integers(0, 2**62), st.integers(0, 2**62)))
    money = draw(st.tuples(_FLOATS, _FLOATS, _FLOATS))
    frequency = draw(st.none() | _FLOATS)
    views = draw(st.none() | st.integers(0, 2**62))
    typed = {
        "id": ids[0], "created_at": created.replace(tzinfo=UTC),
        "updated_at": updated.replace(tzinfo=UTC), "date": day, "channel_id": ids[1],
        "campaign_id": campaign, "creative_id": None, "impressions": counts[0],
        "clicks": counts[1], "spend": money[0], "conversions": money[1],
        "revenue": money[2], "frequency": frequency, "video_views": views,
    }
    return typed


def _as_stored(renderer: PageRenderer, typed: dict[str, Any], dialect: str) -> list[Any]:
    row: list[Any] = []
    for spec in renderer.fields:
        value = typed[spec.name]
        if value is None:
            row.append(None)
        elif spec.kind == "uuid":
            row.append(value.hex if dialect == "sqlite" else value)
        elif spec.kind == "timestamp":
            naive = value.replace(tzinfo=None)
            row.append(naive.isoformat(" ", "microseconds") if dialect == "sqlite" else naive)
        elif spec.kind == "date":
            row.append(value.isoformat() if dialect == "sqlite" else value)
        elif spec.kind == "float" and dialect == "sqlite" and value.is_integer() and abs(
            value
        ) < 2**53:
            row.append(int(value))  # SQLite's NUMERIC affinity keeps a whole amount as such
        else:
            row.append(value)
    return row


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
@settings(max_examples=300, deadline=None)
@given(rows=st.lists(_metric_rows(), min_size=1, max_size=5))
def test_generated_values_render_as_pydantic_writes_them(
    dialect: str, rows: list[dict[str, Any]]
) -> None:
    """The rows as SQLite and psycopg hand over the renderer's SELECT."""
    renderer = _renderer(DailyMetric, DailyMetricRead)
    stored = [_as_stored(renderer, typed, dialect) for typed in rows]
    fast = renderer.dump(renderer.values(dialect, stored), None)
    page = Page[DailyMetricRead](
        data=[DailyMetricRead.model_validate(typed) for typed in rows],
        next_cursor=None, has_more=False,
    )
    assert fast == page.model_dump_json().encode()


# What the renderer refuses ------------------------------------------------------------------


class _Aliased(Resource):
    name: str = Field(serialization_alias="title")


class _Serialized(Resource):
    name: str

    @field_serializer("name")
    def _upper(self, value: str) -> str:
        return value.upper()


class _Nested(Resource):
    name: str
    platform: list[str]


class _NotAColumn(Resource):
    name: str
    score: float


class _ComputedList(Resource):
    name: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def words(self) -> list[str]:
        return self.name.split()


class _WrongColumnType(Resource):
    name: int


class _Plain(Resource):
    name: str
    platform: str
    external_account_id: str | None


@pytest.mark.parametrize(
    "read_model",
    [_Aliased, _Serialized, _Nested, _NotAColumn, _ComputedList, _WrongColumnType],
    ids=lambda m: m.__name__,
)
def test_models_it_cannot_render_exactly_keep_pydantic(read_model: type[BaseModel]) -> None:
    assert page_renderer(Channel.__table__, read_model) is None  # type: ignore[arg-type]


def test_a_plain_model_over_the_same_table_is_rendered() -> None:
    assert page_renderer(Channel.__table__, _Plain) is not None  # type: ignore[arg-type]
