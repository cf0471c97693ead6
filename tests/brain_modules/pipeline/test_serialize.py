"""Module answers round-trip through JSON: dates, UUIDs, NumPy numbers, NaN as null."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from brain.brain_modules.contracts import ActionProposal, Interval
from brain.brain_modules.serialize import (
    DecodeError,
    curiosity_from_json,
    from_json,
    memory_from_json,
    oracle_from_json,
    to_json,
)
from tests.brain_modules.pipeline.builders import (
    brain_data,
    curiosity_result,
    memory_result,
    oracle_result,
)


def test_memory_round_trips_and_nan_becomes_null() -> None:
    memory = memory_result(brain_data())
    encoded = to_json(memory)
    text = json.dumps(encoded, allow_nan=False)  # strict JSON: no NaN literal
    assert encoded["totals"]["cpa"] is None
    decoded = memory_from_json(json.loads(text))
    assert decoded.channels[0].curve == memory.channels[0].curve
    assert decoded.channels[0].incremental_roi == memory.channels[0].incremental_roi
    assert decoded.cohorts == memory.cohorts
    assert decoded.period_end == memory.period_end
    assert decoded.totals["cpa"] is None
    assert decoded.totals["mer"] == pytest.approx(2.67)


def test_oracle_and_curiosity_round_trip() -> None:
    oracle = oracle_result()
    assert oracle_from_json(json.loads(json.dumps(to_json(oracle)))) == oracle
    curiosity = curiosity_result()
    decoded = curiosity_from_json(json.loads(json.dumps(to_json(curiosity), allow_nan=False)))
    assert decoded.actions[0].details["nan"] is None
    assert [a.fingerprint for a in decoded.actions] == [a.fingerprint for a in curiosity.actions]
    assert decoded.allocation == curiosity.allocation


def test_numpy_values_and_non_finite_floats() -> None:
    assert to_json(np.float64(1.5)) == 1.5
    assert to_json(np.int64(3)) == 3
    assert to_json(np.array([1.0, math.inf, math.nan])) == [1.0, None, None]
    assert to_json({"a": (np.bool_(True),)}) == {"a": [True]}
    # A null in a required float field reads back as NaN (what was stored).
    interval = from_json(Interval, {"estimate": None, "ci_low": 1, "ci_high": 2})
    assert math.isnan(interval.estimate)
    assert interval.ci_low == 1.0


def test_bad_documents_are_decode_errors() -> None:
    with pytest.raises(DecodeError):
        from_json(Interval, [1, 2, 3])
    with pytest.raises(DecodeError):
        from_json(ActionProposal, {"type": "launch_rocket"})
    with pytest.raises(DecodeError):
        oracle_from_json({"creatives": "nope"})
