"""SQLAlchemy models of the CKAN catalogue and its datastore.

Like CKAN's Solr index, the complete package dict is kept as JSON (`ckan_package_dict`) so that
package_search and package_show fetch a dataset with one lookup; the normalised tables beside it
(packages, tags, groups, resources) exist for filters, facets, sorting and lists. The full-text index is dialect specific
and lives outside these models in side tables `ckan_package_fts` / `ckan_datastore_fts`: FTS5
virtual tables on SQLite, (pk, search_vector tsvector) tables with GIN indexes on PostgreSQL
(see migration 0002_ckan and opendata.ckan.search_index).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from opendata.db import Base

# Records are filtered and sorted by key inside the JSON document: JSONB on PostgreSQL.
RecordJSON = JSON().with_variant(JSONB(), "postgresql")


class CkanSetting(Base):
    """Catalogue-wide settings from the data package: site info, licences, search lexicon."""

    __tablename__ = "ckan_setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)  # JSON text


class CkanGroup(Base):
    """A CKAN group or organization (CKAN keeps both in one `group` table, too)."""

    __tablename__ = "ckan_group"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    image_url: Mapped[str] = mapped_column(String(1000))
    type: Mapped[str] = mapped_column(String(40))
    is_organization: Mapped[bool] = mapped_column(Boolean)
    approval_status: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20))
    created: Mapped[datetime] = mapped_column(DateTime())
    extras: Mapped[str] = mapped_column(Text)  # JSON list of {key, value}


class CkanPackage(Base):
    """A dataset's searchable, filterable and sortable columns (kept narrow for fast scans)."""

    __tablename__ = "ckan_package"
    __table_args__ = (
        Index("ix_ckan_package_owner_org_pk", "owner_org_pk"),
        Index("ix_ckan_package_metadata_modified", "metadata_modified"),
        Index("ix_ckan_package_license_id", "license_id"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    owner_org_pk: Mapped[int | None] = mapped_column(ForeignKey("ckan_group.pk"))
    license_id: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20))
    private: Mapped[bool] = mapped_column(Boolean)
    metadata_created: Mapped[datetime] = mapped_column(DateTime())
    metadata_modified: Mapped[datetime] = mapped_column(DateTime())
    num_resources: Mapped[int] = mapped_column(Integer)
    num_tags: Mapped[int] = mapped_column(Integer)


class CkanPackageDict(Base):
    """The package dict as package_show returns it (JSON, URLs relative to the server)."""

    __tablename__ = "ckan_package_dict"

    package_pk: Mapped[int] = mapped_column(ForeignKey("ckan_package.pk"), primary_key=True)
    data: Mapped[str] = mapped_column(Text)


class CkanTag(Base):
    """A free tag (no vocabulary)."""

    __tablename__ = "ckan_tag"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class CkanPackageTag(Base):
    __tablename__ = "ckan_package_tag"
    __table_args__ = (Index("ix_ckan_package_tag_tag_pk", "tag_pk"),)

    package_pk: Mapped[int] = mapped_column(ForeignKey("ckan_package.pk"), primary_key=True)
    tag_pk: Mapped[int] = mapped_column(ForeignKey("ckan_tag.pk"), primary_key=True)


class CkanPackageGroup(Base):
    """Membership of a package in a (non-organization) group."""

    __tablename__ = "ckan_package_group"
    __table_args__ = (Index("ix_ckan_package_group_group_pk", "group_pk"),)

    package_pk: Mapped[int] = mapped_column(ForeignKey("ckan_package.pk"), primary_key=True)
    group_pk: Mapped[int] = mapped_column(ForeignKey("ckan_group.pk"), primary_key=True)


class CkanResource(Base):
    """A resource; `data` is its resource dict (as inside the package dict)."""

    __tablename__ = "ckan_resource"
    __table_args__ = (
        Index("ix_ckan_resource_package_pk", "package_pk"),
        Index("ix_ckan_resource_format", "format"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    package_pk: Mapped[int] = mapped_column(ForeignKey("ckan_package.pk"))
    position: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(100))
    data: Mapped[str] = mapped_column(Text)  # JSON resource dict


class CkanDatastoreTable(Base):
    """The datastore table of a resource, reachable by resource id or by its alias."""

    __tablename__ = "ckan_datastore_table"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    resource_pk: Mapped[int] = mapped_column(ForeignKey("ckan_resource.pk"), unique=True)
    resource_id: Mapped[str] = mapped_column(String(36), unique=True)
    alias: Mapped[str | None] = mapped_column(String(100), unique=True)
    fields: Mapped[str] = mapped_column(Text)  # JSON list of {id, type, info?}
    row_count: Mapped[int] = mapped_column(Integer)


class CkanDatastoreRecord(Base):
    """One datastore row; `data` maps field position ("0", "1", …) to its typed JSON value.

    NULLs are left out; see opendata.ckan.seed.record_data.
    """

    __tablename__ = "ckan_datastore_record"
    __table_args__ = (
        Index("ix_ckan_datastore_record_table_pk_row_id", "table_pk", "row_id", unique=True),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    table_pk: Mapped[int] = mapped_column(ForeignKey("ckan_datastore_table.pk"))
    row_id: Mapped[int] = mapped_column(Integer)  # CKAN's `_id`
    data: Mapped[dict[str, Any]] = mapped_column(RecordJSON)
