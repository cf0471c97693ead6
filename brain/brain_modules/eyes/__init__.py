"""EYES: the features every module reads (daily series per channel and creative, trends)."""

from brain.brain_modules.eyes.series import (
    channel_daily,
    creative_daily,
    ratio_series,
    relative_trend,
    rolling_sum,
)

__all__ = ["channel_daily", "creative_daily", "ratio_series", "relative_trend", "rolling_sum"]
