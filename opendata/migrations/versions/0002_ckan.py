"""ckan: catalogue, datastore and their full-text indexes

Revision ID: 0002_ckan
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002_ckan"
down_revision = "0001_core"
branch_labels = None
depends_on = None

# Index tokens are produced in Python (opendata.ckan.text) and may contain "_" (field-tagged
# datastore tokens), so FTS5 must keep "_" inside tokens.
FTS5_TOKENIZER = "unicode61 tokenchars '_'"


def upgrade() -> None:
    op.create_table(
        "ckan_setting",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_ckan_setting"),
    )
    op.create_table(
        "ckan_group",
        sa.Column("pk", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("image_url", sa.String(1000), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("is_organization", sa.Boolean(), nullable=False),
        sa.Column("approval_status", sa.String(40), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("extras", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("pk", name="pk_ckan_group"),
        sa.UniqueConstraint("id", name="uq_ckan_group_id"),
        sa.UniqueConstraint("name", name="uq_ckan_group_name"),
    )
    op.create_table(
        "ckan_package",
        sa.Column("pk", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("owner_org_pk", sa.Integer(), nullable=True),
        sa.Column("license_id", sa.String(200), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("metadata_created", sa.DateTime(), nullable=False),
        sa.Column("metadata_modified", sa.DateTime(), nullable=False),
        sa.Column("num_resources", sa.Integer(), nullable=False),
        sa.Column("num_tags", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_org_pk"], ["ckan_group.pk"], name="fk_ckan_package_owner_org_pk_ckan_group"
        ),
        sa.PrimaryKeyConstraint("pk", name="pk_ckan_package"),
        sa.UniqueConstraint("id", name="uq_ckan_package_id"),
        sa.UniqueConstraint("name", name="uq_ckan_package_name"),
    )
    op.create_index("ix_ckan_package_owner_org_pk", "ckan_package", ["owner_org_pk"])
    op.create_index("ix_ckan_package_metadata_modified", "ckan_package", ["metadata_modified"])
    op.create_index("ix_ckan_package_license_id", "ckan_package", ["license_id"])
    op.create_table(
        "ckan_package_dict",
        sa.Column("package_pk", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["package_pk"], ["ckan_package.pk"], name="fk_ckan_package_dict_package_pk_ckan_package"
        ),
        sa.PrimaryKeyConstraint("package_pk", name="pk_ckan_package_dict"),
    )
    op.create_table(
        "ckan_tag",
        sa.Column("pk", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("pk", name="pk_ckan_tag"),
        sa.UniqueConstraint("id", name="uq_ckan_tag_id"),
        sa.UniqueConstraint("name", name="uq_ckan_tag_name"),
    )
    op.create_table(
        "ckan_package_tag",
        sa.Column("package_pk", sa.Integer(), nullable=False),
        sa.Column("tag_pk", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["package_pk"], ["ckan_package.pk"], name="fk_ckan_package_tag_package_pk_ckan_package"
        ),
        sa.ForeignKeyConstraint(
            ["tag_pk"], ["ckan_tag.pk"], name="fk_ckan_package_tag_tag_pk_ckan_tag"
        ),
        sa.PrimaryKeyConstraint("package_pk", "tag_pk", name="pk_ckan_package_tag"),
    )
    op.create_index("ix_ckan_package_tag_tag_pk", "ckan_package_tag", ["tag_pk"])
    op.create_table(
        "ckan_package_group",
        sa.Column("package_pk", sa.Integer(), nullable=False),
        sa.Column("group_pk", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["package_pk"],
            ["ckan_package.pk"],
            name="fk_ckan_package_group_package_pk_ckan_package",
        ),
        sa.ForeignKeyConstraint(
            ["group_pk"], ["ckan_group.pk"], name="fk_ckan_package_group_group_pk_ckan_group"
        ),
        sa.PrimaryKeyConstraint("package_pk", "group_pk", name="pk_ckan_package_group"),
    )
    op.create_index("ix_ckan_package_group_group_pk", "ckan_package_group", ["group_pk"])
    op.create_table(
        "ckan_resource",
        sa.Column("pk", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("package_pk", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(100), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["package_pk"], ["ckan_package.pk"], name="fk_ckan_resource_package_pk_ckan_package"
        ),
        sa.PrimaryKeyConstraint("pk", name="pk_ckan_resource"),
        sa.UniqueConstraint("id", name="uq_ckan_resource_id"),
    )
    op.create_index("ix_ckan_resource_package_pk", "ckan_resource", ["package_pk"])
    op.create_index("ix_ckan_resource_format", "ckan_resource", ["format"])
    op.create_table(
        "ckan_datastore_table",
        sa.Column("pk", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("resource_pk", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.String(36), nullable=False),
        sa.Column("alias", sa.String(100), nullable=True),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_pk"],
            ["ckan_resource.pk"],
            name="fk_ckan_datastore_table_resource_pk_ckan_resource",
        ),
        sa.PrimaryKeyConstraint("pk", name="pk_ckan_datastore_table"),
        sa.UniqueConstraint("resource_pk", name="uq_ckan_datastore_table_resource_pk"),
        sa.UniqueConstraint("resource_id", name="uq_ckan_datastore_table_resource_id"),
        sa.UniqueConstraint("alias", name="uq_ckan_datastore_table_alias"),
    )
    op.create_table(
        "ckan_datastore_record",
        sa.Column("pk", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("table_pk", sa.Integer(), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
        sa.ForeignKeyConstraint(
            ["table_pk"],
            ["ckan_datastore_table.pk"],
            name="fk_ckan_datastore_record_table_pk_ckan_datastore_table",
        ),
        sa.PrimaryKeyConstraint("pk", name="pk_ckan_datastore_record"),
    )
    op.create_index(
        "ix_ckan_datastore_record_table_pk_row_id",
        "ckan_datastore_record",
        ["table_pk", "row_id"],
        unique=True,
    )

    if op.get_bind().dialect.name == "postgresql":
        # Narrow side tables keyed like their rows (seq scans stay cheap); lexemes are computed
        # in Python and stored as tsvector input, no text-search parser involved. fastupdate is
        # off so that a freshly seeded index has no pending list to scan.
        for table in ("ckan_package_fts", "ckan_datastore_fts"):
            op.execute(
                f"CREATE TABLE {table} (pk integer NOT NULL, search_vector tsvector NOT NULL, "
                f"CONSTRAINT pk_{table} PRIMARY KEY (pk))"
            )
            op.execute(
                f"CREATE INDEX ix_{table}_gin ON {table} USING gin (search_vector) "
                "WITH (fastupdate = off)"
            )
    else:
        # rowid = ckan_package.pk; columns weighted title > tags/groups > body at query time.
        op.execute(
            f'CREATE VIRTUAL TABLE ckan_package_fts USING fts5(title, tags, body, '
            f'tokenize="{FTS5_TOKENIZER}")'
        )
        # rowid = ckan_datastore_record.pk
        op.execute(
            f'CREATE VIRTUAL TABLE ckan_datastore_fts USING fts5(body, tokenize="{FTS5_TOKENIZER}")'
        )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS ckan_datastore_fts")
    op.execute("DROP TABLE IF EXISTS ckan_package_fts")
    op.drop_table("ckan_datastore_record")
    op.drop_table("ckan_datastore_table")
    op.drop_table("ckan_resource")
    op.drop_table("ckan_package_group")
    op.drop_table("ckan_package_tag")
    op.drop_table("ckan_tag")
    op.drop_table("ckan_package_dict")
    op.drop_table("ckan_package")
    op.drop_table("ckan_group")
    op.drop_table("ckan_setting")
