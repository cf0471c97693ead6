"""integrations

Integrations: connections, credentials, stream state, sync runs, inbound events (issue #4).
The revision is reserved in the chain so that the domains can be built side by side; its
tables arrive with the domain.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 12:00:00
"""

from collections.abc import Sequence

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade(app_role: str = "brain_app") -> None:
    pass


def downgrade(app_role: str = "brain_app") -> None:
    pass
