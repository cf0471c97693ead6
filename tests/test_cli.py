"""The `brain` command, run as a real subprocess against its own SQLite database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def brain(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "BRAIN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        "BRAIN_VAR_DIR": str(tmp_path / "var"),
    }
    env.pop("BRAIN_ENV", None)
    return subprocess.run(
        [sys.executable, "-m", "brain.cli", *args],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )


@pytest.fixture
def migrated(tmp_path: Path) -> Path:
    result = brain(tmp_path, "migrate")
    assert result.returncode == 0, result.stderr
    return tmp_path


def test_help_lists_every_command(tmp_path: Path) -> None:
    result = brain(tmp_path, "--help")
    assert result.returncode == 0
    for command in ("serve", "worker", "beat", "migrate", "seed", "demo", "orgs", "api-keys"):
        assert command in result.stdout


def test_orgs_create_json_then_api_key(migrated: Path) -> None:
    created = brain(migrated, "orgs", "create", "--name", "Acme Beauty", "--json")
    assert created.returncode == 0, created.stderr
    payload = json.loads(created.stdout)
    assert set(payload) == {"organization_id", "api_key"}
    assert payload["api_key"].startswith("brn_")

    key = brain(migrated, "api-keys", "create", "--org", payload["organization_id"],
                "--role", "analyst", "--json")
    assert key.returncode == 0, key.stderr
    key_payload = json.loads(key.stdout)
    assert set(key_payload) == {"id", "api_key"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("api-keys", "create", "--org", "not-a-uuid"), "--org must be"),
        (("api-keys", "create", "--org", "00000000-0000-0000-0000-000000000000", "--role",
          "root"), "--role must be"),
        (("api-keys", "create", "--org", "00000000-0000-0000-0000-000000000000"),
         "no organization"),
        (("orgs", "create", "--name", "<script>x</script>"), "HTML"),
        (("seed", "cosmetics"), "unknown vertical"),
    ],
)
def test_bad_input_is_a_one_line_error(migrated: Path, args: tuple[str, ...], message: str) -> None:
    result = brain(migrated, *args)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unmigrated_database_is_explained(tmp_path: Path) -> None:
    result = brain(tmp_path, "orgs", "create", "--name", "Acme")
    assert result.returncode == 1
    assert "brain migrate" in result.stderr


def test_production_refuses_insecure_defaults(tmp_path: Path) -> None:
    env_result = subprocess.run(
        [sys.executable, "-m", "brain.cli", "migrate"],
        capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "BRAIN_ENV": "production", "BRAIN_VAR_DIR": str(tmp_path)},
    )
    assert env_result.returncode == 1
    assert "BRAIN_SECRET_KEY" in env_result.stderr


def test_migrate_creates_the_sqlite_directory_of_a_fresh_checkout(tmp_path: Path) -> None:
    from brain.core.migrate import upgrade
    from brain.settings import Settings

    database = tmp_path / "fresh" / "var" / "brain.db"
    upgrade(Settings(database_url=f"sqlite+aiosqlite:///{database}", var_dir=tmp_path / "v",
                     secret_key="s" * 48, _env_file=None))  # type: ignore[call-arg]
    assert database.exists()
