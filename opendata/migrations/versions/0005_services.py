"""services: tables of the services domain

Revision ID: 0005_services
Revises: 0004_transit
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_services"
down_revision = "0004_transit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "services_leistung",
        sa.Column("schluessel", sa.String(14), nullable=False),
        sa.Column("bezeichnung", sa.String(200), nullable=False),
        sa.Column("bezeichnung2", sa.String(300), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("stammtext", sa.JSON(), nullable=False),
        sa.Column("suchbegriffe", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("schluessel", name="pk_services_leistung"),
    )
    op.create_table(
        "services_stelle",
        sa.Column("id", sa.String(80), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("daten", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_services_stelle"),
    )
    op.create_table(
        "services_zustaendigkeit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("leistung_schluessel", sa.String(14), nullable=False),
        sa.Column("stelle_id", sa.String(80), nullable=False),
        sa.Column("regionalschluessel", sa.String(12), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_services_zustaendigkeit"),
        sa.ForeignKeyConstraint(
            ["leistung_schluessel"],
            ["services_leistung.schluessel"],
            name="fk_services_zustaendigkeit_leistung",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stelle_id"],
            ["services_stelle.id"],
            name="fk_services_zustaendigkeit_stelle_id_services_stelle",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_services_zustaendigkeit_leistung_region",
        "services_zustaendigkeit",
        ["leistung_schluessel", "regionalschluessel"],
    )
    op.create_table(
        "services_region",
        sa.Column("regionalschluessel", sa.String(12), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("mandant", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("regionalschluessel", name="pk_services_region"),
    )
    op.create_table(
        "services_plz",
        sa.Column("plz", sa.String(5), nullable=False),
        sa.Column("regionalschluessel", sa.String(12), nullable=False),
        sa.PrimaryKeyConstraint("plz", "regionalschluessel", name="pk_services_plz"),
        sa.ForeignKeyConstraint(
            ["regionalschluessel"],
            ["services_region.regionalschluessel"],
            name="fk_services_plz_regionalschluessel_services_region",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("services_plz")
    op.drop_table("services_region")
    op.drop_index("ix_services_zustaendigkeit_leistung_region", "services_zustaendigkeit")
    op.drop_table("services_zustaendigkeit")
    op.drop_table("services_stelle")
    op.drop_table("services_leistung")
