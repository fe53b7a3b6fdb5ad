"""ckan: tables of the ckan domain

Revision ID: 0002_ckan
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0002_ckan"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # TODO(ckan helper): create the domain's tables


def downgrade() -> None:
    pass
