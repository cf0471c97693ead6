"""Migration 0014 takes `reflexes.anomaly.detected` out of the endpoints' stored subscriptions
(on a database of its own, migrated to 0013 first; SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import Engine, make_url

from brain.core.migrate import upgrade
from brain.settings import Settings
from tests.conftest import TEST_DATABASE_URL, _sync_url

REMOVED = "reflexes.anomaly.detected"
organizations = sa.table(
    "organizations", sa.column("id", sa.Uuid()), sa.column("name", sa.String()),
    sa.column("slug", sa.String()), sa.column("data_retention_days", sa.Integer()),
)
endpoints = sa.table(
    "webhook_endpoints", sa.column("id", sa.Uuid()), sa.column("organization_id", sa.Uuid()),
    sa.column("url", sa.String()), sa.column("events", sa.JSON()),
    sa.column("secret_encrypted", sa.String()), sa.column("enabled", sa.Boolean()),
    sa.column("updated_at", sa.DateTime(timezone=True)),
    sa.column("deleted_at", sa.DateTime(timezone=True)),
)


@contextmanager
def database_at(var_dir: Path, revision: str) -> Iterator[tuple[Settings, Engine]]:
    """A fresh database migrated up to `revision`, and a plain engine on it."""
    admin: Engine | None = None
    if TEST_DATABASE_URL:
        base = make_url(TEST_DATABASE_URL)
        name = f"brain_m0014_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = create_sync_engine(
            _sync_url(base.set(database="postgres").render_as_string(hide_password=False)),
            isolation_level="AUTOCOMMIT",
        )
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = base.set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite+aiosqlite:///{var_dir / 'm0014.db'}"
    settings = Settings(database_url=url, var_dir=var_dir,
                        secret_key="test-secret-key-with-enough-length-0123456789",
                        _env_file=None)  # type: ignore[call-arg]
    upgrade(settings, revision)
    engine = create_sync_engine(_sync_url(url))
    try:
        yield settings, engine
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def test_the_reflexes_event_leaves_every_stored_subscription(tmp_path: Path) -> None:
    org = uuid.uuid4()
    before = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    stored = {
        "mixed": ["sync.completed", REMOVED, "quota.warning"],
        "only": [REMOVED],
        "twice": [REMOVED, "import.completed", REMOVED],
        "other": ["sync.completed", "oracle.alert.created"],
        "deleted": [REMOVED, "sync.failed"],
    }
    ids = {label: uuid.uuid4() for label in stored}
    with database_at(tmp_path, "0013") as (settings, engine):
        with engine.begin() as conn:
            conn.execute(organizations.insert().values(
                id=org, name="Migrated", slug=f"migrated-{org.hex[:8]}", data_retention_days=365))
            for label, events in stored.items():
                conn.execute(endpoints.insert().values(
                    id=ids[label], organization_id=org, url=f"https://example.com/{label}",
                    events=events, secret_encrypted="v1:not-a-secret", enabled=True,
                    updated_at=before,
                    deleted_at=before if label == "deleted" else None))

        upgrade(settings, "0014")

        with engine.connect() as conn:
            rows = {row.id: row for row in conn.execute(
                sa.select(endpoints.c.id, endpoints.c.events, endpoints.c.updated_at))}
    after = {label: rows[ids[label]].events for label in stored}
    assert after == {
        "mixed": ["sync.completed", "quota.warning"],
        "only": [],
        "twice": ["import.completed"],
        "other": ["sync.completed", "oracle.alert.created"],
        "deleted": ["sync.failed"],
    }

    def updated(label: str) -> datetime:
        value: datetime = rows[ids[label]].updated_at
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    assert updated("other") == before  # untouched rows keep their timestamp
    assert all(updated(label) > before for label in ("mixed", "only", "twice", "deleted"))
