"""transit: tables of the transit domain

Revision ID: 0004_transit
Revises: 0003_parking
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0004_transit"
down_revision = "0003_parking"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # TODO(transit helper): create the domain's tables


def downgrade() -> None:
    pass
