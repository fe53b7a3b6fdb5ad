"""core: seed bookkeeping

Revision ID: 0001_core
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_core"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seed_state",
        sa.Column("domain", sa.String(40), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("seeded_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("seed_state")
