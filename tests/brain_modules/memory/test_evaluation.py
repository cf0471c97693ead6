"""The `brain eval` harness on a small plan (the real run writes docs/evaluation.md)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from brain.brain_modules.evaluation import harness
from brain.brain_modules.evaluation.harness import EvalPlan, run_evaluation
from brain.brain_modules.evaluation.memory_eval import evaluate_mmm_csv
from brain.brain_modules.evaluation.report import write_reports

MMM_CSV = Path(__file__).resolve().parents[3] / "../shared/data/mmm/mmm_roas_data.csv"


def test_small_plan_writes_both_reports(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(harness, "_optional", lambda module, name: None)
    plan = EvalPlan(verticals=("wellness",), dev_seeds=(11,), held_out_seed=12,
                    today=date(2026, 1, 15), days=200, mmm_csv=tmp_path / "missing.csv",
                    modules=frozenset({"memory", "oracle"}))
    report = run_evaluation(plan)
    memory = report["memory"]
    assert memory["metrics"]["simulations"] == 1
    assert memory["development"]["simulations"] == 1
    assert memory["metrics"]["channel_roi_mape"] is not None
    assert memory["public_mmm_dataset"]["status"] == "not evaluated"
    assert report["oracle"]["status"] == "not evaluated"
    assert report["curiosity"]["reason"] == "not selected for this run"
    write_reports(report, tmp_path / "evaluation.md", tmp_path / "evaluation.json")
    text = (tmp_path / "evaluation.md").read_text()
    assert "channel incremental-ROI MAPE" in text
    assert "ORACLE | - | not evaluated" in text
    assert json.loads((tmp_path / "evaluation.json").read_text())["simulations"]["days"] == 200


def test_public_mmm_dataset() -> None:
    result = evaluate_mmm_csv(MMM_CSV)
    if result["status"] != "evaluated":
        pytest.skip("the shared data directory is not part of this checkout")
    assert result["weeks"] == 131
    assert result["mape"] <= 0.10


def test_cli_registers_eval() -> None:
    from typer.testing import CliRunner

    from brain.cli import app

    result = CliRunner().invoke(app, ["eval", "--help"])
    assert result.exit_code == 0
    assert "--quick" in result.output
    assert "--persist" in result.output
