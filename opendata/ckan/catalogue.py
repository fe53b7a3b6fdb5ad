"""Read access to the seeded catalogue: settings, packages, resources, groups."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from opendata.ckan.dicts import absolute, group_dict
from opendata.ckan.models import (
    CkanDatastoreTable,
    CkanGroup,
    CkanPackage,
    CkanPackageDict,
    CkanPackageGroup,
    CkanResource,
    CkanSetting,
)
from opendata.ckan.text import Lexicon
from opendata.seed import SeedState
from opendata.settings import get_settings


@dataclass(frozen=True)
class Settings:
    site: dict[str, Any]
    licenses: list[dict[str, Any]]
    license_register: dict[str, dict[str, Any]]
    lexicon: Lexicon


_cache: dict[str, Any] = {}
_lock = threading.Lock()


RECHECK_SECONDS = 5.0


def settings(session: Session) -> Settings:
    """Catalogue settings, cached per process until the catalogue is seeded again.

    Whether it was reseeded is checked at most every few seconds (seed_state.seeded_at).
    """
    with _lock:
        if "value" in _cache and time.monotonic() - _cache["checked"] < RECHECK_SECONDS:
            return _cache["value"]
    seeded = session.scalar(select(SeedState.seeded_at).where(SeedState.domain == "ckan"))
    with _lock:
        if _cache.get("seeded") == seeded and "value" in _cache:
            _cache["checked"] = time.monotonic()
            return _cache["value"]
    stored = {key: json.loads(value) for key, value in session.execute(
        select(CkanSetting.key, CkanSetting.value))}
    licenses = stored.get("licenses") or []
    value = Settings(
        site=stored.get("site") or {},
        licenses=licenses,
        license_register={str(entry.get("id")): entry for entry in licenses},
        lexicon=Lexicon.from_json(stored.get("lexicon") or {}),
    )
    with _lock:
        _cache.update(seeded=seeded, value=value, checked=time.monotonic())
    return value


def base_url() -> str:
    return get_settings().base_url.rstrip("/")


def package_dicts(session: Session, pks: list[int]) -> list[dict[str, Any]]:
    """Package dicts (URLs absolute) in the order of `pks`."""
    if not pks:
        return []
    rows = dict(session.execute(select(CkanPackageDict.package_pk, CkanPackageDict.data)
                                .where(CkanPackageDict.package_pk.in_(pks))).all())
    base = base_url()
    return [absolute(json.loads(rows[pk]), base) for pk in pks if pk in rows]


def find_package(session: Session, id_or_name: str) -> tuple[int, dict[str, Any]] | None:
    row = session.execute(
        select(CkanPackage.pk, CkanPackageDict.data)
        .join(CkanPackageDict, CkanPackageDict.package_pk == CkanPackage.pk)
        .where(or_(CkanPackage.id == id_or_name, CkanPackage.name == id_or_name))
    ).first()
    if row is None:
        return None
    return row.pk, absolute(json.loads(row.data), base_url())


def find_resource(session: Session, resource_id: str) -> dict[str, Any] | None:
    data = session.scalar(select(CkanResource.data).where(CkanResource.id == resource_id))
    return None if data is None else absolute(json.loads(data), base_url())


def find_datastore_table(session: Session, id_or_alias: str) -> CkanDatastoreTable | None:
    return session.scalars(
        select(CkanDatastoreTable).where(
            or_(CkanDatastoreTable.resource_id == id_or_alias,
                CkanDatastoreTable.alias == id_or_alias)
        )
    ).first()


def find_group(session: Session, id_or_name: str, is_org: bool) -> CkanGroup | None:
    group = session.scalars(
        select(CkanGroup).where(or_(CkanGroup.id == id_or_name, CkanGroup.name == id_or_name))
    ).first()
    if group is None or group.is_organization != is_org or group.state != "active":
        return None
    return group


def package_counts(session: Session, is_org: bool) -> dict[int, int]:
    """Active public datasets per organization or group (CKAN takes these from Solr facets)."""
    if is_org:
        query = (
            select(CkanPackage.owner_org_pk, func.count())
            .where(CkanPackage.state == "active", CkanPackage.private.is_(False))
            .group_by(CkanPackage.owner_org_pk)
        )
    else:
        query = (
            select(CkanPackageGroup.group_pk, func.count())
            .join(CkanPackage, CkanPackage.pk == CkanPackageGroup.package_pk)
            .where(CkanPackage.state == "active", CkanPackage.private.is_(False))
            .group_by(CkanPackageGroup.group_pk)
        )
    return {pk: count for pk, count in session.execute(query) if pk is not None}


def full_group_dict(group: CkanGroup, package_count: int) -> dict[str, Any]:
    """group_dictize with the list defaults (all_fields): no extras, tags, users or groups."""
    data = group_dict(
        {
            "approval_status": group.approval_status,
            "created": group.created,
            "description": group.description,
            "id": group.id,
            "image_url": group.image_url,
            "is_organization": group.is_organization,
            "name": group.name,
            "state": group.state,
            "title": group.title,
            "type": group.type,
        }
    )
    data["display_name"] = group.title or group.name
    data["image_display_url"] = group.image_url
    data["num_followers"] = 0
    data["package_count"] = package_count
    return dict(sorted(data.items()))


def group_extras(group: CkanGroup) -> list[dict[str, Any]]:
    return json.loads(group.extras or "[]")
