"""Request and response bodies of the marketing data store."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StringConstraints,
    ValidationInfo,
    computed_field,
    field_validator,
)

from brain.core.sanitize import ExternalId, Label, Name
from brain.core.schemas import RequestModel, Resource, ResponseModel, UTCTimestamp
from brain.warehouse.models import CreativeFormat, ImportKind, ImportStatus, Platform

MAX_BATCH_ROWS = 10_000
MIN_DAY = date(2000, 1, 1)
MAX_DAY = date(2100, 12, 31)

Day = Annotated[date, Field(ge=MIN_DAY, le=MAX_DAY, description="A day, 2000-01-01..2100-12-31.")]
Count = Annotated[int, Field(ge=0, le=1_000_000_000_000)]
Amount = Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]
Frequency = Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False)]
CopyLength = Annotated[int, Field(ge=0, le=100_000, description="Characters of ad copy.")]


def _lower(value: str) -> str:
    return value.lower()


Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        max_length=320,
        pattern=r"^[^@\s<>\x00-\x1f\x7f]+@[^@\s<>\x00-\x1f\x7f]+\.[^@\s<>\x00-\x1f\x7f]+$",
    ),
    AfterValidator(_lower),
]


class MetricGrain(StrEnum):
    """Which level a daily-metric row describes."""

    channel = "channel"
    campaign = "campaign"
    creative = "creative"


class PatchModel(RequestModel):
    """A partial update: omitted fields stay; `null` is accepted only where a field may be empty."""

    non_nullable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="after")
    @classmethod
    def _reject_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name in cls.non_nullable:
            raise ValueError("must not be null")
        return value

    def changes(self) -> dict[str, Any]:
        """The fields the client sent, with their new values."""
        return self.model_dump(exclude_unset=True)


# Channels ----------------------------------------------------------------------------------


class ChannelCreate(RequestModel):
    name: Name
    platform: Platform
    external_account_id: ExternalId | None = None


class ChannelUpdate(PatchModel):
    non_nullable = frozenset({"name", "platform"})

    name: Name | None = None
    platform: Platform | None = None
    external_account_id: ExternalId | None = None


class ChannelRead(Resource):
    name: str
    platform: Platform
    external_account_id: str | None


# Campaigns ---------------------------------------------------------------------------------


class CampaignCreate(RequestModel):
    name: Name
    channel_id: uuid.UUID
    objective: Label | None = None


class CampaignUpdate(PatchModel):
    non_nullable = frozenset({"name"})

    name: Name | None = None
    objective: Label | None = None


class CampaignRead(Resource):
    name: str
    channel_id: uuid.UUID
    objective: str | None


# Ad sets -----------------------------------------------------------------------------------


class AdSetCreate(RequestModel):
    name: Name
    campaign_id: uuid.UUID


class AdSetUpdate(PatchModel):
    non_nullable = frozenset({"name"})

    name: Name | None = None


class AdSetRead(Resource):
    name: str
    campaign_id: uuid.UUID


# Creatives ---------------------------------------------------------------------------------


class CreativeCreate(RequestModel):
    name: Name
    campaign_id: uuid.UUID
    ad_set_id: uuid.UUID | None = None
    format: CreativeFormat
    copy_length: CopyLength | None = None
    cta: Label | None = None
    launched_on: Day | None = None


class CreativeUpdate(PatchModel):
    non_nullable = frozenset({"name", "format"})

    name: Name | None = None
    ad_set_id: uuid.UUID | None = None
    format: CreativeFormat | None = None
    copy_length: CopyLength | None = None
    cta: Label | None = None
    launched_on: Day | None = None


class CreativeRead(Resource):
    name: str
    campaign_id: uuid.UUID
    ad_set_id: uuid.UUID | None
    format: CreativeFormat
    copy_length: int | None
    cta: str | None
    launched_on: date | None


# Daily metrics -----------------------------------------------------------------------------


class DailyMetricWrite(RequestModel):
    """One day of delivery; (date, channel_id, campaign_id, creative_id) is its natural key."""

    date: Day
    channel_id: uuid.UUID
    campaign_id: uuid.UUID | None = Field(default=None, description="Empty for channel rows.")
    creative_id: uuid.UUID | None = Field(
        default=None, description="Empty for channel and campaign rows; needs `campaign_id`."
    )
    impressions: Count
    clicks: Count
    spend: Amount
    conversions: Amount
    revenue: Amount
    frequency: Frequency | None = None
    video_views: Count | None = None


class DailyMetricBatch(RequestModel):
    """Up to 10,000 rows written all-or-nothing; a repeated natural key: the last row wins."""

    rows: list[DailyMetricWrite] = Field(min_length=1, max_length=MAX_BATCH_ROWS)


class DailyMetricBatchResult(BaseModel):
    upserted: int = Field(description="Rows inserted or updated (after merging repeated keys).")


class DailyMetricUpdate(PatchModel):
    non_nullable = frozenset(
        {"impressions", "clicks", "spend", "conversions", "revenue"}
    )

    impressions: Count | None = None
    clicks: Count | None = None
    spend: Amount | None = None
    conversions: Amount | None = None
    revenue: Amount | None = None
    frequency: Frequency | None = None
    video_views: Count | None = None


class DailyMetricRead(Resource):
    date: date
    channel_id: uuid.UUID
    campaign_id: uuid.UUID | None
    creative_id: uuid.UUID | None
    impressions: int
    clicks: int
    spend: float
    conversions: float
    revenue: float
    frequency: float | None
    video_views: int | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def grain(self) -> MetricGrain:
        """`channel`, `campaign` or `creative`: the level this row describes."""
        if self.creative_id is not None:
            return MetricGrain.creative
        if self.campaign_id is not None:
            return MetricGrain.campaign
        return MetricGrain.channel


# Customers and orders ----------------------------------------------------------------------


class CustomerCreate(RequestModel):
    external_id: ExternalId
    email: Email | None = None
    first_order_on: Day | None = None
    acquisition_channel_id: uuid.UUID | None = None


class CustomerUpdate(PatchModel):
    non_nullable = frozenset({"external_id"})

    external_id: ExternalId | None = None
    email: Email | None = None
    first_order_on: Day | None = None
    acquisition_channel_id: uuid.UUID | None = None


class CustomerRead(Resource):
    external_id: str
    email: str | None
    first_order_on: date | None
    acquisition_channel_id: uuid.UUID | None


class OrderCreate(RequestModel):
    external_id: ExternalId
    customer_id: uuid.UUID
    order_date: Day
    revenue: Amount
    channel_id: uuid.UUID | None = None


class OrderUpdate(PatchModel):
    non_nullable = frozenset({"external_id", "customer_id", "order_date", "revenue"})

    external_id: ExternalId | None = None
    customer_id: uuid.UUID | None = None
    order_date: Day | None = None
    revenue: Amount | None = None
    channel_id: uuid.UUID | None = None


class OrderRead(Resource):
    external_id: str
    customer_id: uuid.UUID
    order_date: date
    revenue: float
    channel_id: uuid.UUID | None


# Imports -----------------------------------------------------------------------------------


class ImportRowError(ResponseModel):
    line: int = Field(description="Line of the file; line 1 is the header.")
    message: str


class ImportRead(Resource):
    kind: ImportKind
    status: ImportStatus
    filename: str | None
    size_bytes: int
    bytes_processed: int
    rows_accepted: int
    rows_rejected: int
    errors: list[ImportRowError] = Field(description="The first 1,000 rejected rows.")
    failure_reason: str | None
    started_at: UTCTimestamp | None
    finished_at: UTCTimestamp | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def progress(self) -> float:
        """Share of the file processed, 0..1."""
        if self.status in (ImportStatus.succeeded, ImportStatus.failed):
            return 1.0
        if self.size_bytes <= 0:
            return 0.0
        return round(min(1.0, self.bytes_processed / self.size_bytes), 4)


# Daily series (per channel, one grain per channel) -----------------------------------------


class SeriesChannel(ResponseModel):
    id: uuid.UUID
    name: str
    platform: Platform
    grain: MetricGrain = Field(
        description="The level this channel's totals are summed from: its channel rows if "
                    "it has any in the window, else its campaign rows, else its creative rows "
                    "(never two levels, which would count the same spend twice)."
    )


class SeriesPoint(ResponseModel):
    date: date
    channel_id: uuid.UUID
    impressions: int
    clicks: int
    spend: float
    conversions: float
    revenue: float


class DailySeries(ResponseModel):
    """Totals per day and channel over a window (days without rows are absent)."""

    date_from: date | None = Field(description="First day of the window (null: no data).")
    date_to: date | None = Field(description="Last day of the window (null: no data).")
    channels: list[SeriesChannel]
    data: list[SeriesPoint]
