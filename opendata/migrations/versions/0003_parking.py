"""parking: tables of the parking domain

Revision ID: 0003_parking
Revises: 0002_ckan
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_parking"
down_revision = "0002_ckan"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "parking_source",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("uid", sa.String(256), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("public_url", sa.String(4096), nullable=True),
        sa.Column("attribution", sa.String(512), nullable=True),
        sa.Column("holiday_country", sa.String(8), nullable=False),
        sa.Column("holiday_subdivision", sa.String(16), nullable=True),
        sa.Column("static_data_updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_parking_source"),
        sa.UniqueConstraint("uid", name="uq_parking_source_uid"),
    )
    op.create_table(
        "parking_site",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("original_uid", sa.String(256), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("name_folded", sa.String(256), nullable=False),
        sa.Column("operator_name", sa.String(256), nullable=True),
        sa.Column("public_url", sa.String(4096), nullable=True),
        sa.Column("address", sa.String(512), nullable=True),
        sa.Column("description", sa.String(4096), nullable=True),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("official_region_code", sa.String(36), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("capacity_disabled", sa.Integer(), nullable=True),
        sa.Column("max_height", sa.Integer(), nullable=True),
        sa.Column("has_fee", sa.Boolean(), nullable=True),
        sa.Column("fee_description", sa.String(4096), nullable=True),
        sa.Column("opening_hours", sa.String(512), nullable=True),
        sa.Column("park_and_ride_type", sa.String(256), nullable=True),
        sa.Column("supervision_type", sa.String(20), nullable=True),
        sa.Column("is_covered", sa.Boolean(), nullable=True),
        sa.Column("zone", sa.String(80), nullable=True),
        sa.Column("tags", sa.String(1024), nullable=True),
        sa.Column("restrictions", sa.String(512), nullable=True),
        sa.Column("occupancy_profile", sa.String(256), nullable=False),
        sa.Column("peak_occupancy", sa.Float(), nullable=False),
        sa.Column("has_realtime_data", sa.Boolean(), nullable=False),
        sa.Column("realtime_frozen_at", sa.DateTime(), nullable=True),
        sa.Column("static_data_updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("modified_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_parking_site"),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["parking_source.id"],
            name="fk_parking_site_source_id_parking_source",
        ),
        sa.UniqueConstraint(
            "source_id", "original_uid", name="uq_parking_site_source_original_uid"
        ),
    )
    op.create_index("ix_parking_site_source_id", "parking_site", ["source_id"])
    op.create_index("ix_parking_site_type", "parking_site", ["type"])
    op.create_index("ix_parking_site_purpose", "parking_site", ["purpose"])
    op.create_index("ix_parking_site_official_region_code", "parking_site", ["official_region_code"])
    op.create_index("ix_parking_site_lat_lon", "parking_site", ["lat", "lon"])


def downgrade() -> None:
    op.drop_index("ix_parking_site_lat_lon", table_name="parking_site")
    op.drop_index("ix_parking_site_official_region_code", table_name="parking_site")
    op.drop_index("ix_parking_site_purpose", table_name="parking_site")
    op.drop_index("ix_parking_site_type", table_name="parking_site")
    op.drop_index("ix_parking_site_source_id", table_name="parking_site")
    op.drop_table("parking_site")
    op.drop_table("parking_source")
