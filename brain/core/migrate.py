"""Running the Alembic history programmatically (`brain migrate`, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

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


def ensure_sqlite_directory(url: str) -> None:
    """SQLite creates the database file but not its directory (`var/` on a fresh checkout)."""
    if not url.startswith("sqlite"):
        return
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


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
