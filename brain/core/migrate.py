"""Running the Alembic history programmatically (`brain migrate`, tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from brain.core.db import ensure_sqlite_directory
from brain.settings import PROJECT_ROOT, Settings


def alembic_config(settings: Settings) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["settings"] = settings
    return config


def upgrade(settings: Settings, revision: str = "heads") -> None:
    """Apply migrations up to `revision` (runs its own event loop)."""
    ensure_sqlite_directory(settings.database_url)
    command.upgrade(alembic_config(settings), revision)


def upgrade_on_connection(
    settings: Settings, connection: Connection, revision: str = "head"
) -> None:
    config = alembic_config(settings)
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def downgrade_on_connection(settings: Settings, connection: Connection, revision: str) -> None:
    config = alembic_config(settings)
    config.attributes["connection"] = connection
    command.downgrade(config, revision)
