"""transit: tables of the transit domain

Revision ID: 0004_transit
Revises: 0003_parking
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_transit"
down_revision = "0003_parking"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transit_agency",
        sa.Column("agency_id", sa.String(100), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("url", sa.String(1000), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("lang", sa.String(16), nullable=True),
        sa.Column("phone", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("agency_id", name="pk_transit_agency"),
    )
    op.create_table(
        "transit_feed_info",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("publisher_name", sa.String(255), nullable=True),
        sa.Column("publisher_url", sa.String(1000), nullable=True),
        sa.Column("lang", sa.String(16), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("version", sa.String(100), nullable=True),
        sa.Column("max_departure_secs", sa.Integer(), nullable=False),
        sa.Column("stop_times", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_transit_feed_info"),
    )
    op.create_table(
        "transit_stop",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("stop_id", sa.String(255), nullable=False),
        sa.Column("stop_code", sa.String(64), nullable=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("location_type", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("platform_code", sa.String(64), nullable=True),
        sa.Column("wheelchair_boarding", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_transit_stop"),
        sa.UniqueConstraint("stop_id", name="uq_transit_stop_stop_id"),
    )
    op.create_index("ix_transit_stop_parent_id", "transit_stop", ["parent_id"])
    op.create_table(
        "transit_route",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("route_id", sa.String(255), nullable=False),
        sa.Column("agency_id", sa.String(100), nullable=True),
        sa.Column("short_name", sa.String(64), nullable=True),
        sa.Column("long_name", sa.String(500), nullable=True),
        sa.Column("route_type", sa.Integer(), nullable=False),
        sa.Column("color", sa.String(8), nullable=True),
        sa.Column("text_color", sa.String(8), nullable=True),
        sa.Column("product_class", sa.Integer(), nullable=False),
        sa.Column("product_name", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_transit_route"),
        sa.UniqueConstraint("route_id", name="uq_transit_route_route_id"),
    )
    op.create_index("ix_transit_route_short_name", "transit_route", ["short_name"])
    op.create_table(
        "transit_service",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("service_id", sa.String(255), nullable=False),
        sa.Column("weekdays", sa.String(7), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_transit_service"),
        sa.UniqueConstraint("service_id", name="uq_transit_service_service_id"),
    )
    op.create_table(
        "transit_calendar_date",
        sa.Column("service_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("exception_type", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("service_id", "date", name="pk_transit_calendar_date"),
    )
    op.create_index("ix_transit_calendar_date_date", "transit_calendar_date", ["date"])
    op.create_table(
        "transit_trip",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("trip_id", sa.String(255), nullable=False),
        sa.Column("route_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("headsign", sa.String(255), nullable=True),
        sa.Column("short_name", sa.String(64), nullable=True),
        sa.Column("direction_id", sa.Integer(), nullable=True),
        sa.Column("wheelchair_accessible", sa.Integer(), nullable=True),
        sa.Column("first_stop_id", sa.Integer(), nullable=True),
        sa.Column("last_stop_id", sa.Integer(), nullable=True),
        sa.Column("last_sequence", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_transit_trip"),
        sa.UniqueConstraint("trip_id", name="uq_transit_trip_trip_id"),
    )
    op.create_table(
        "transit_stop_time",
        sa.Column("trip_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("stop_sequence", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("stop_id", sa.Integer(), nullable=False),
        sa.Column("arrival_secs", sa.Integer(), nullable=False),
        sa.Column("departure_secs", sa.Integer(), nullable=False),
        sa.Column("pickup_type", sa.Integer(), nullable=False),
        sa.Column("drop_off_type", sa.Integer(), nullable=False),
        sa.Column("stop_headsign", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("trip_id", "stop_sequence", name="pk_transit_stop_time"),
    )
    op.create_index(
        "ix_transit_stop_time_stop_departure",
        "transit_stop_time",
        ["stop_id", "departure_secs"],
    )
    op.create_table(
        "transit_stop_route",
        sa.Column("stop_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("route_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("stop_id", "route_id", name="pk_transit_stop_route"),
    )
    op.create_table(
        "transit_locality",
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("place_id", sa.String(64), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_transit_locality"),
    )
    op.create_table(
        "transit_alert",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("info_type", sa.String(32), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("cause", sa.String(32), nullable=False),
        sa.Column("effect", sa.String(32), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("summary", sa.String(1000), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("additional_text", sa.String(1000), nullable=True),
        sa.Column("url", sa.String(1000), nullable=True),
        sa.Column("lines", sa.String(1000), nullable=False),
        sa.Column("stops", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.DateTime(), nullable=False),
        sa.Column("valid_to", sa.DateTime(), nullable=False),
        sa.Column("published_from", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("modified_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_transit_alert"),
    )


def downgrade() -> None:
    for table in (
        "transit_alert",
        "transit_locality",
        "transit_stop_route",
        "transit_stop_time",
        "transit_trip",
        "transit_calendar_date",
        "transit_service",
        "transit_route",
        "transit_stop",
        "transit_feed_info",
        "transit_agency",
    ):
        op.drop_table(table)
