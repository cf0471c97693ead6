"""`brain run`: the pipeline in-process for one organization or all, on a database of its own
(the CLI commits through its own runtime, which the rolled-back test database cannot see)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import typer
from typer.testing import CliRunner

from brain.brain_modules.cli import run_brain
from brain.core.db import system_session
from brain.core.runtime import Runtime
from brain.organizations.service import create_organization
from brain.settings import Settings
from tests.conftest import migrated_database


@pytest.fixture(scope="module")
def cli_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with migrated_database(tmp_path_factory.mktemp("brain-cli"), "brain_cli") as settings:
        yield settings


async def _organization(settings: Settings, name: str) -> uuid.UUID:
    runtime = Runtime.create(settings)
    try:
        async with system_session(runtime.session_factory) as session:
            org = await create_organization(session, name=name)
            return org.id
    finally:
        await runtime.close()


async def test_brain_run_for_one_organization_and_for_all(cli_settings: Settings) -> None:
    first = await _organization(cli_settings, "Empty One")
    await _organization(cli_settings, "Empty Two")
    outcomes = await run_brain(cli_settings, str(first), show_progress=False)
    assert [(o.organization, o.status) for o in outcomes] == [("Empty One", "succeeded")]
    everyone = await run_brain(cli_settings, None, show_progress=False)
    assert {o.organization for o in everyone} >= {"Empty One", "Empty Two"}
    assert all(o.status == "succeeded" for o in everyone)
    with pytest.raises(typer.BadParameter):
        await run_brain(cli_settings, "no-such-org", show_progress=False)


def test_brain_run_command_is_registered() -> None:
    from brain.cli import app

    result = CliRunner().invoke(app, ["run", "--help"])
    assert result.exit_code == 0
    assert "--org" in result.output
