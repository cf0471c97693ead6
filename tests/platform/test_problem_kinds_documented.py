"""Every kind of problem the API can answer with is listed in docs/api.md."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from brain.core.errors import PROBLEM_KINDS

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_every_problem_kind_is_documented(app: FastAPI) -> None:
    # The app is built first: domains register their kinds when they are imported.
    assert app.routes
    text = DOC.read_text(encoding="utf-8")
    missing = sorted(kind for kind in PROBLEM_KINDS if f"`{kind}`" not in text)
    assert not missing, f"docs/api.md does not list these problem kinds: {missing}"
