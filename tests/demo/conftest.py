"""Fixtures of the demo-seeder tests: a database of their own for `seed_vertical`, which
commits through its own runtime (the shared test database rolls every test back)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import text
from sqlalchemy.engine import make_url

from brain.core.migrate import upgrade
from brain.demo.simulator import Simulation, simulate
from brain.settings import Settings

TEST_DATABASE_URL = os.environ.get("BRAIN_TEST_DATABASE_URL", "")
# A fixed "today" so the story numbers asserted below are reproducible.
TODAY = date(2026, 11, 25)


@pytest.fixture(scope="module")
def demo_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    var_dir = tmp_path_factory.mktemp("demo-var")
    admin = None
    name = f"brain_demo_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    if TEST_DATABASE_URL:
        base = make_url(TEST_DATABASE_URL)
        admin_url = base.set(database="postgres").render_as_string(hide_password=False)
        admin = create_sync_engine(
            admin_url.replace("+asyncpg", "+psycopg"), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = base.set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite+aiosqlite:///{var_dir / 'demo.db'}"
    settings = Settings(
        database_url=url,
        var_dir=var_dir,
        secret_key="test-secret-key-with-enough-length-0123456789",
        redis_url=None,
        _env_file=None,
    )
    upgrade(settings)
    yield settings
    if admin is not None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def beauty_year() -> Simulation:
    """The full-year beauty simulation (pure; shared by several tests)."""
    return simulate("beauty", days=365, seed=7, today=TODAY)
