"""applications: tables of the applications domain

Revision ID: 0006_applications
Revises: 0005_services
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0006_applications"
down_revision = "0005_services"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # TODO(applications helper): create the domain's tables


def downgrade() -> None:
    pass
