"""The read-only catalogue actions of ckan/logic/action/get.py (except package_search)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from opendata.ckan import catalogue
from opendata.ckan import validation as v
from opendata.ckan.errors import NotFound, ValidationError
from opendata.ckan.models import CkanGroup, CkanPackage, CkanPackageTag, CkanTag
from opendata.ckan.package_search import package_search

PAGINATION: v.Schema = {
    "limit": [v.ignore_missing, v.natural_number],
    "offset": [v.ignore_missing, v.natural_number],
}
GROUP_LIST_MAX = 1000  # ckan.group_and_organization_list_max
GROUP_LIST_ALL_FIELDS_MAX = 25  # ckan.group_and_organization_list_all_fields_max
SQL_OFFSET_MAX = 2**62


def _get_or_bust(data: dict[str, Any], key: str) -> str:
    value = data.get(key, v.MISSING)
    if value is v.MISSING:
        raise ValidationError({key: ["Missing value"]})
    return v.unicode_safe(value)


def _pagination(data: dict[str, Any], schema: v.Schema = PAGINATION) -> dict[str, Any]:
    clean, errors = v.validate(data, schema)
    if errors:
        raise ValidationError(errors)
    for key in ("limit", "offset"):
        if key in clean and isinstance(clean[key], int):
            clean[key] = min(clean[key], SQL_OFFSET_MAX)
    return clean


def site_read(session: Session, data: dict[str, Any]) -> bool:
    return True


def package_list(session: Session, data: dict[str, Any]) -> list[str]:
    clean = _pagination(data)
    query = (
        select(CkanPackage.name)
        .where(CkanPackage.state == "active", CkanPackage.private.is_(False))
        .order_by(CkanPackage.name)
    )
    if clean.get("limit"):
        query = query.limit(clean["limit"])
    if clean.get("offset"):
        query = query.offset(clean["offset"])
    return list(session.scalars(query))


def package_show(session: Session, data: dict[str, Any]) -> dict[str, Any]:
    name_or_id = data.get("id") or _get_or_bust(data, "name_or_id")
    found = catalogue.find_package(session, v.unicode_safe(name_or_id))
    if found is None:
        raise NotFound()
    return found[1]


def resource_show(session: Session, data: dict[str, Any]) -> dict[str, Any]:
    resource_id = _get_or_bust(data, "id")
    resource = catalogue.find_resource(session, resource_id)
    if resource is None:
        raise NotFound()
    return resource


def _unpick_sort(sort: str) -> tuple[str, str]:
    """ckan.logic.action.get._unpick_search for group lists (one criterion)."""
    criteria = []
    for part in sort.split(","):
        bits = part.strip().split()
        if not bits:
            raise ValidationError({"message": "Cannot sort by field ``"})
        field = bits[0]
        order = bits[1].lower() if len(bits) > 1 else "asc"
        if field not in ("name", "packages", "package_count", "title"):
            raise ValidationError({"message": f"Cannot sort by field `{field[:100]}`"})
        if order not in ("asc", "desc"):
            raise ValidationError({"message": f"Invalid sort direction `{order[:100]}`"})
        criteria.append((field, order))
    if len(criteria) > 1:
        raise ValidationError(
            {"message": "Too many sort criteria provided only 1 allowed"}  # CKAN's wording
        )
    return criteria[0]


def _group_list(session: Session, data: dict[str, Any], is_org: bool) -> list[Any]:
    all_fields = _flag(data, "all_fields", False)
    clean = _pagination(data) if data.get("limit") or data.get("offset") else {}
    maximum = GROUP_LIST_ALL_FIELDS_MAX if all_fields else GROUP_LIST_MAX
    limit = clean.get("limit")
    if limit is None or limit > maximum:
        limit = maximum
    sort = v.unicode_safe(data.get("sort") or data.get("order_by") or "title")
    if sort.strip() in ("packages", "package_count"):
        sort = "package_count desc"
    field, direction = _unpick_sort(sort)

    counts = catalogue.package_counts(session, is_org)
    query = select(CkanGroup).where(
        CkanGroup.state == "active", CkanGroup.is_organization.is_(is_org)
    )
    names = data.get("organizations" if is_org else "groups")
    if names:
        wanted = names if isinstance(names, list) else str(names).split(",")
        query = query.where(CkanGroup.name.in_([str(n).strip() for n in wanted]))
    q = v.unicode_safe(data.get("q") or "").strip()
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(
            CkanGroup.name.ilike(pattern, escape="\\"),
            CkanGroup.title.ilike(pattern, escape="\\"),
            CkanGroup.description.ilike(pattern, escape="\\"),
        ))
    groups = list(session.scalars(query))
    if field in ("packages", "package_count"):
        groups.sort(key=lambda g: (counts.get(g.pk, 0), g.name), reverse=direction == "desc")
    else:
        groups.sort(key=lambda g: getattr(g, field), reverse=direction == "desc")
    offset = clean.get("offset") or 0
    groups = groups[offset:offset + limit]
    if all_fields:
        return [catalogue.full_group_dict(g, counts.get(g.pk, 0)) for g in groups]
    return [g.name for g in groups]


def organization_list(session: Session, data: dict[str, Any]) -> list[Any]:
    return _group_list(session, data, is_org=True)


def group_list(session: Session, data: dict[str, Any]) -> list[Any]:
    return _group_list(session, data, is_org=False)


def _flag(data: dict[str, Any], key: str, fallback: bool) -> bool:
    if key not in data:
        return fallback
    try:
        return v.asbool(data[key], key)
    except v.Invalid:
        raise ValidationError({"message": "Parameter is not an bool"}) from None


def _group_show(session: Session, data: dict[str, Any], is_org: bool) -> dict[str, Any]:
    group_id = _get_or_bust(data, "id")
    include_datasets = _flag(data, "include_datasets", False)
    flags = {key: _flag(data, key, True) for key in
             ("include_extras", "include_groups", "include_tags", "include_users")}
    group = catalogue.find_group(session, group_id, is_org)
    if group is None:
        raise NotFound()
    counts = catalogue.package_counts(session, is_org)
    result = catalogue.full_group_dict(group, counts.get(group.pk, 0))
    if flags["include_extras"]:
        result["extras"] = catalogue.group_extras(group)
    if flags["include_groups"]:
        result["groups"] = []
    if flags["include_tags"]:
        result["tags"] = []
    if flags["include_users"]:
        result["users"] = []
    if include_datasets:
        fq = f'+owner_org:"{group.id}"' if is_org else f'+groups:"{group.name}"'
        result["packages"] = package_search(session, {"fq": fq, "facet": "false"})["results"]
    return dict(sorted(result.items()))


def organization_show(session: Session, data: dict[str, Any]) -> dict[str, Any]:
    return _group_show(session, data, is_org=True)


def group_show(session: Session, data: dict[str, Any]) -> dict[str, Any]:
    return _group_show(session, data, is_org=False)


def tag_list(session: Session, data: dict[str, Any]) -> list[Any]:
    query_text = v.unicode_safe(data.get("query") or data.get("q") or "").strip()
    if data.get("vocabulary_id"):
        raise NotFound("Could not find vocabulary")
    query = (
        select(CkanTag.name, CkanTag.id)
        .join(CkanPackageTag, CkanPackageTag.tag_pk == CkanTag.pk)
        .group_by(CkanTag.name, CkanTag.id)
        .order_by(func.lower(CkanTag.name), CkanTag.name)
    )
    if query_text:
        escaped = query_text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(CkanTag.name.ilike(f"%{escaped}%", escape="\\"))
    rows = session.execute(query).all()
    if v.boolean(data.get("all_fields")):
        return [
            {"display_name": name, "id": tag_id, "name": name, "vocabulary_id": None}
            for name, tag_id in rows
        ]
    return [name for name, _ in rows]


def license_list(session: Session, data: dict[str, Any]) -> list[dict[str, Any]]:
    return catalogue.settings(session).licenses


def status_show(session: Session, data: dict[str, Any]) -> dict[str, Any]:
    site = catalogue.settings(session).site
    return {
        "ckan_version": str(site.get("ckan_version", "2.10.5")),
        "error_emails_to": None,
        "extensions": list(site.get("extensions") or ["datastore"]),
        "locale_default": str(site.get("locale_default", "de")),
        "site_description": str(site.get("site_description", "")),
        "site_title": str(site.get("site_title", "")),
        "site_url": catalogue.base_url(),
    }

