"""services: tables of the services domain

Revision ID: 0005_services
Revises: 0004_transit
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0005_services"
down_revision = "0004_transit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # TODO(services helper): create the domain's tables


def downgrade() -> None:
    pass
