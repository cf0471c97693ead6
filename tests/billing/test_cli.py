"""`brain orgs set-plan`, `brain orgs override` and `brain operators add`, run as real
subprocesses against their own SQLite database."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.test_cli import brain


@pytest.fixture
def org(tmp_path: Path) -> tuple[Path, str]:
    assert brain(tmp_path, "migrate").returncode == 0
    created = brain(tmp_path, "orgs", "create", "--name", "Acme Beauty", "--json")
    assert created.returncode == 0, created.stderr
    return tmp_path, json.loads(created.stdout)["organization_id"]


def test_set_plan_override_and_operators(org: tuple[Path, str]) -> None:
    path, org_id = org
    result = brain(path, "orgs", "set-plan", org_id, "growth", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"organization_id": org_id, "plan": "growth",
                                         "previous": "trial"}
    result = brain(path, "orgs", "override", org_id, "api_requests_per_minute", "5",
                   "--until", "2099-01-31", "--reason", "load test for ACME", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["until"] == "2099-01-31T23:59:59+00:00"
    with sqlite3.connect(path / "cli.db") as db:
        plan = db.execute("SELECT plan FROM organizations").fetchone()[0]
        override = db.execute("SELECT kind, key, value, reason FROM plan_overrides").fetchone()
        actions = [row[0] for row in db.execute(
            "SELECT action FROM audit_events ORDER BY created_at")]
    assert plan == "growth"
    assert override == ("quota", "api_requests_per_minute", 5, "load test for ACME")
    assert actions[-2:] == ["organization.plan_change", "billing.override_added"]


ERRORS = [
    (("orgs", "set-plan", "{org}", "platinum"), "unknown plan"),
    (("orgs", "override", "{org}", "coffee_per_day", "5", "--until", "2099-01-01",
      "--reason", "why not"), "unknown quota"),
    (("orgs", "override", "{org}", "api_requests_per_minute", "5", "--until", "2001-01-01",
      "--reason", "why not"), "in the future"),
    (("orgs", "override", "{org}", "module.voice", "on", "--until", "2099-01-01",
      "--reason", "x"), "--reason"),
    (("operators", "add", "nobody@example.com"), "no user"),
]


def test_errors_are_one_line(org: tuple[Path, str]) -> None:
    path, org_id = org
    for args, message in ERRORS:
        result = brain(path, *(a.replace("{org}", org_id) for a in args))
        assert result.returncode == 1, args
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
