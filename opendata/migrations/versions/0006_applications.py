"""applications: tables of the applications domain

Revision ID: 0006_applications
Revises: 0005_services
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_applications"
down_revision = "0005_services"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "applications_antrag",
        sa.Column("vorgangsnummer", sa.String(20), nullable=False),
        sa.Column("zugangscode_hash", sa.String(200), nullable=False),
        sa.Column("leistung_schluessel", sa.String(14), nullable=False),
        sa.Column("leistung_bezeichnung", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_text", sa.Text(), nullable=True),
        sa.Column("eingang_am", sa.Date(), nullable=False),
        sa.Column("letzte_aenderung", sa.DateTime(), nullable=False),
        sa.Column("naechster_schritt", sa.Text(), nullable=True),
        sa.Column("stelle_name", sa.String(200), nullable=False),
        sa.Column("stelle_telefon", sa.String(50), nullable=True),
        sa.Column("stelle_email", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("vorgangsnummer", name="pk_applications_antrag"),
    )
    op.create_table(
        "applications_schritt",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("vorgangsnummer", sa.String(20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("datum", sa.Date(), nullable=False),
        sa.Column("schritt", sa.String(200), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_applications_schritt"),
        sa.ForeignKeyConstraint(
            ["vorgangsnummer"],
            ["applications_antrag.vorgangsnummer"],
            name="fk_applications_schritt_vorgangsnummer_applications_antrag",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_applications_schritt_vorgangsnummer", "applications_schritt", ["vorgangsnummer"]
    )
    op.create_table(
        "applications_fehlversuch",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("nummer_hash", sa.String(64), nullable=False),
        sa.Column("client_hash", sa.String(64), nullable=False),
        sa.Column("zeitpunkt", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_applications_fehlversuch"),
    )
    op.create_index(
        "ix_applications_fehlversuch_nummer_zeit",
        "applications_fehlversuch",
        ["nummer_hash", "zeitpunkt"],
    )
    op.create_index(
        "ix_applications_fehlversuch_client_zeit",
        "applications_fehlversuch",
        ["client_hash", "zeitpunkt"],
    )
    op.create_index(
        "ix_applications_fehlversuch_zeitpunkt", "applications_fehlversuch", ["zeitpunkt"]
    )


def downgrade() -> None:
    op.drop_index("ix_applications_fehlversuch_zeitpunkt", "applications_fehlversuch")
    op.drop_index("ix_applications_fehlversuch_client_zeit", "applications_fehlversuch")
    op.drop_index("ix_applications_fehlversuch_nummer_zeit", "applications_fehlversuch")
    op.drop_table("applications_fehlversuch")
    op.drop_index("ix_applications_schritt_vorgangsnummer", "applications_schritt")
    op.drop_table("applications_schritt")
    op.drop_table("applications_antrag")
