"""The simulator's output: account structure and column arrays of metrics, customers, orders."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from brain.demo.verticals import VerticalProfile

FloatArray = npt.NDArray[np.float64]


IntArray = npt.NDArray[np.int64]


BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class SimChannel:
    name: str
    platform: str
    external_account_id: str


@dataclass(frozen=True)
class SimCampaign:
    name: str
    channel: int
    objective: str


@dataclass(frozen=True)
class SimAdSet:
    name: str
    campaign: int


@dataclass(frozen=True)
class SimCreative:
    name: str
    campaign: int
    ad_set: int
    format: str
    copy_length: int
    cta: str
    launched_on: date


@dataclass(frozen=True)
class MetricColumns:
    """One row per creative and day with delivery, ordered by (day, creative)."""

    day: IntArray  # days since the period start
    creative: IntArray
    channel: IntArray
    campaign: IntArray
    impressions: IntArray
    clicks: IntArray
    spend: FloatArray
    conversions: FloatArray
    revenue: FloatArray
    frequency: FloatArray
    video_views: IntArray  # -1 for formats other than video

    def __len__(self) -> int:
        return int(self.day.shape[0])


@dataclass(frozen=True)
class CustomerColumns:
    """Simulated customers, ordered by first order (index i is external id cus_{i+1:06d})."""

    first_day: IntArray  # days since the period start (negative: before the period)
    channel: IntArray  # acquisition channel index, -1 for organic
    segment: IntArray
    next_order_in_days: IntArray  # days after the period end until the next order; -1 churned

    def __len__(self) -> int:
        return int(self.first_day.shape[0])


@dataclass(frozen=True)
class OrderColumns:
    """Orders ordered by (day, customer) (index i is external id ord_{i+1:07d})."""

    customer: IntArray
    day: IntArray
    revenue: FloatArray
    channel: IntArray  # the acquisition channel on first orders, -1 otherwise

    def __len__(self) -> int:
        return int(self.day.shape[0])


@dataclass
class Simulation:
    vertical: str
    seed: int
    today: date
    start: date
    end: date
    profile: VerticalProfile
    channels: list[SimChannel]
    campaigns: list[SimCampaign]
    ad_sets: list[SimAdSet]
    creatives: list[SimCreative]
    metrics: MetricColumns
    customers: CustomerColumns
    orders: OrderColumns
    segment_keys: tuple[str, ...]
    truth: dict[str, Any]

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def date_at(self, day: int) -> date:
        return self.start + timedelta(days=int(day))

    @staticmethod
    def customer_external_id(index: int) -> str:
        return f"cus_{index + 1:06d}"

    @staticmethod
    def customer_email(index: int) -> str:
        return f"customer{index + 1}@example.com"

    @staticmethod
    def order_external_id(index: int) -> str:
        return f"ord_{index + 1:07d}"

    def segment_rows(self) -> list[tuple[str, str, str, str, int, float, int]]:
        """(external_id, segment, acquisition channel, first order, orders, revenue, next)."""
        cust = self.customers
        n = len(cust)
        counts = np.bincount(self.orders.customer, minlength=n)
        revenue = np.bincount(self.orders.customer, weights=self.orders.revenue, minlength=n)
        names = [c.name for c in self.channels]
        return [
            (
                self.customer_external_id(i),
                self.segment_keys[int(cust.segment[i])],
                names[int(cust.channel[i])] if cust.channel[i] >= 0 else "organic",
                self.date_at(int(cust.first_day[i])).isoformat(),
                int(counts[i]),
                round(float(revenue[i]), 2),
                int(cust.next_order_in_days[i]),
            )
            for i in range(n)
        ]


def rounded(value: float, digits: int = 4) -> float:
    return round(float(value), digits)


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1
