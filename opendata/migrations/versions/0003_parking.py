"""parking: tables of the parking domain

Revision ID: 0003_parking
Revises: 0002_ckan
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0003_parking"
down_revision = "0002_ckan"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # TODO(parking helper): create the domain's tables


def downgrade() -> None:
    pass
