"""Model artifacts as bytes that are safe to load: JSON, or skops for scikit-learn estimators.

Never pickle: unpickling runs arbitrary code, and a registry row may have been written by
anyone with database access. skops refuses types outside an allow-list unless they are
declared trusted; we trust only the types skops itself reports for an artifact *we* wrote,
and only those from scikit-learn and NumPy. Every artifact carries its sha256, checked on load.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

ArtifactFormat = Literal["json", "skops"]
_TRUSTED_PREFIXES = ("sklearn.", "numpy.", "builtins.", "collections.", "scipy.")


class ArtifactError(ValueError):
    """An artifact is corrupt, tampered with, or of an untrusted type."""


@dataclass(frozen=True, slots=True)
class Artifact:
    format: ArtifactFormat
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def json_artifact(value: Any) -> Artifact:
    return Artifact("json", json.dumps(value, sort_keys=True, separators=(",", ":")).encode())


def skops_artifact(estimator: Any) -> Artifact:
    import skops.io as sio

    return Artifact("skops", sio.dumps(estimator))


def load_artifact(fmt: str, data: bytes, sha256: str | None) -> Any:
    """Verify the checksum and decode; raises ArtifactError on any doubt."""
    if sha256 is None or hashlib.sha256(data).hexdigest() != sha256:
        raise ArtifactError("artifact checksum mismatch")
    if fmt == "json":
        try:
            return json.loads(data)
        except ValueError as exc:
            raise ArtifactError("artifact is not valid JSON") from exc
    if fmt == "skops":
        import skops.io as sio

        untrusted = sio.get_untrusted_types(data=data)
        refused = [t for t in untrusted if not t.startswith(_TRUSTED_PREFIXES)]
        if refused:
            raise ArtifactError(f"artifact contains untrusted types: {', '.join(refused)}")
        return sio.loads(data, trusted=untrusted)
    raise ArtifactError(f"unknown artifact format {fmt!r}")
