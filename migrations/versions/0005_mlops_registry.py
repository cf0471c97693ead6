"""mlops registry

Model registry: models, versions, aliases, evaluation runs (issue #5).
The revision is reserved in the chain so that the domains can be built side by side; its
tables arrive with the domain.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 12:00:00
"""

from collections.abc import Sequence

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade(app_role: str = "brain_app") -> None:
    pass


def downgrade(app_role: str = "brain_app") -> None:
    pass
