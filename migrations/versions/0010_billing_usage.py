"""billing usage

Usage metering, operator overrides over HTTP and storage measurement (issue #7) need no
schema change: they use `usage_daily`, `quota_usage` and `plan_overrides` (0008) and the
dead letters of 0007. The revision stays in the chain so later ones keep their numbers.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 15:00:00
"""

from collections.abc import Sequence

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade(app_role: str = "brain_app") -> None:
    """Nothing to change (see the module docstring)."""


def downgrade(app_role: str = "brain_app") -> None:
    """Nothing to undo."""
