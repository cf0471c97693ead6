"""The simulator seeds ORACLE and CURIOSITY are developed and evaluated on, in one place.

`default_fatigue_model()` trains only on `DEV_SEEDS`; `HELD_OUT_SEED` is never used for
training or tuning and gives the headline numbers of `brain eval`. Every seed is simulated
for every vertical in `VERTICALS`, ending the day before `SIM_TODAY` (a fixed date, so the
trained model does not change with the wall clock).
"""

from __future__ import annotations

from datetime import date

VERTICALS: tuple[str, ...] = ("beauty", "supplements", "wellness")
DEV_SEEDS: tuple[int, ...] = (11, 12, 13)
HELD_OUT_SEED = 97
SIM_TODAY = date(2026, 1, 15)
SIM_DAYS = 365

assert HELD_OUT_SEED not in DEV_SEEDS
