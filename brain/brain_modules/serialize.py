"""The dataclasses of `contracts.py` to JSON-safe values and back.

Each module's answer is stored per run as JSON (`brain_module_outputs.output`) and read back
into the same dataclass for the API and FACE, so the encoding must round-trip: dates and
timestamps as ISO strings, UUIDs as strings, NumPy scalars/arrays as plain numbers/lists,
and non-finite floats (NaN, ±inf) as `null` (JSON has no NaN; PostgreSQL's JSON rejects it).
Decoding is driven by the dataclass's type hints, so new fields with defaults just work and
unknown keys (from a newer writer) are ignored.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
import uuid
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar, Union, get_args, get_origin

import numpy as np

from brain.brain_modules.contracts import CuriosityResult, MemoryResult, OracleResult

T = TypeVar("T")


def to_json(value: Any) -> Any:
    """A JSON-safe copy of `value` (dataclasses become dicts; NaN and ±inf become None)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Enum):
        return to_json(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(to_json(k)): to_json(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return [to_json(v) for v in value.tolist()]
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(v) for v in value]
    raise TypeError(f"cannot serialise {type(value).__name__}")


class DecodeError(ValueError):
    """Stored JSON that does not fit the dataclass (a corrupted or foreign document)."""


_HINTS: dict[Any, dict[str, Any]] = {}


def _hints(cls: Any) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


def _is_optional(hint: Any) -> bool:
    return get_origin(hint) in (Union, types.UnionType) and type(None) in get_args(hint)


def _decode(hint: Any, raw: Any, where: str) -> Any:
    if hint is Any:
        return raw
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(hint) if a is not type(None)]
        if raw is None:
            if type(None) in get_args(hint):
                return None
            # A NaN stored as null in a float field comes back as NaN.
            if float in options:
                return math.nan
            raise DecodeError(f"{where}: null not allowed")
        errors: list[str] = []
        for option in options:
            try:
                return _decode(option, raw, where)
            except (DecodeError, TypeError, ValueError) as exc:
                errors.append(str(exc))
        raise DecodeError(f"{where}: {'; '.join(errors)}")
    if origin is typing.Literal:
        if raw not in get_args(hint):
            raise DecodeError(f"{where}: {raw!r} is not one of {get_args(hint)}")
        return raw
    if origin is list:
        if not isinstance(raw, list):
            raise DecodeError(f"{where}: expected a list")
        (item,) = get_args(hint) or (Any,)
        return [_decode(item, v, f"{where}[{i}]") for i, v in enumerate(raw)]
    if origin is dict:
        if not isinstance(raw, dict):
            raise DecodeError(f"{where}: expected an object")
        key_hint, value_hint = get_args(hint) or (Any, Any)
        return {
            _decode(key_hint, k, where): _decode(value_hint, v, f"{where}.{k}")
            for k, v in raw.items()
        }
    if isinstance(hint, type):
        if dataclasses.is_dataclass(hint):
            return from_json(hint, raw)
        if hint is float:
            if raw is None:
                return math.nan
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                raise DecodeError(f"{where}: expected a number")
            return float(raw)
        if hint is int:
            if isinstance(raw, bool) or not isinstance(raw, int):
                raise DecodeError(f"{where}: expected an integer")
            return raw
        if hint is bool:
            if not isinstance(raw, bool):
                raise DecodeError(f"{where}: expected a boolean")
            return raw
        if hint is str:
            if not isinstance(raw, str):
                raise DecodeError(f"{where}: expected a string")
            return raw
        if hint is uuid.UUID:
            return uuid.UUID(str(raw))
        if hint is datetime:
            return datetime.fromisoformat(str(raw))
        if hint is date:
            return date.fromisoformat(str(raw))
    raise DecodeError(f"{where}: unsupported type {hint!r}")


def from_json(cls: type[T], raw: Any) -> T:
    """Rebuild the dataclass `cls` from what `to_json` produced."""
    if not isinstance(raw, dict):
        raise DecodeError(f"{cls.__name__}: expected an object")
    hints = _hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name not in raw:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                if _is_optional(hints[f.name]):
                    kwargs[f.name] = None
                    continue
                raise DecodeError(f"{cls.__name__}.{f.name}: missing")
            continue
        kwargs[f.name] = _decode(hints[f.name], raw[f.name], f"{cls.__name__}.{f.name}")
    return cls(**kwargs)


def memory_from_json(raw: Any, *, rows: bool = True) -> MemoryResult:
    """MEMORY's answer; `rows=False` skips the campaign and creative rows (the bulk of a
    large tenant's document) for readers that only need totals, channels and cohorts."""
    if not rows and isinstance(raw, dict):
        raw = {**raw, "campaigns": [], "creatives": [], "leaderboard": []}
    return from_json(MemoryResult, raw)


def oracle_from_json(raw: Any, *, creatives: bool = True) -> OracleResult:
    """ORACLE's answer; `creatives=False` skips the per-creative forecasts (the bulk of a
    large tenant's document) for readers that only need channels, cohorts and risk."""
    if not creatives and isinstance(raw, dict):
        raw = {**raw, "creatives": []}
    return from_json(OracleResult, raw)


def curiosity_from_json(raw: Any) -> CuriosityResult:
    return from_json(CuriosityResult, raw)
