"""CKAN's dict shapes (package, resource, group, tag, licence) built from the data package.

Field sets follow ckan/lib/dictization/model_dictize.py and the default show schema as served by
CKAN 2.10/2.11 portals (reference §1.3). URLs that point at this server are stored as paths
("/dataset/…") and made absolute per request, so a changed public base URL needs no reseed.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://stadtlotse.invalid/ckan")

MIMETYPES = {
    "CSV": "text/csv",
    "JSON": "application/json",
    "GEOJSON": "application/geo+json",
    "PDF": "application/pdf",
    "ZIP": "application/zip",
    "GTFS": "application/zip",
    "XML": "application/xml",
    "GML": "application/gml+xml",
    "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "HTML": "text/html",
    "KML": "application/vnd.google-earth.kml+xml",
    "SHP": "application/zip",
}


def make_id(kind: str, key: str) -> str:
    """Stable UUIDs: reseeding keeps ids, so clients may keep resource ids across restarts."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


def _digest(salt: str) -> int:
    return int.from_bytes(hashlib.sha256(salt.encode()).digest()[:8], "big")


def timestamp(value: Any, salt: str, fallback: datetime | None = None) -> datetime:
    """A naive UTC timestamp with microseconds, as CKAN stores them.

    Dates without a time get a working-hours time and every value without sub-seconds gets
    microseconds, both derived from a hash of `salt` (deterministic, yet realistic).
    """
    if value is None or value == "":
        if fallback is None:
            raise ValueError(f"{salt}: timestamp missing")
        return fallback
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=None)
    elif isinstance(value, date):
        offset = timedelta(seconds=6 * 3600 + _digest(salt + ":t") % (11 * 3600))
        moment = datetime.combine(value, time()) + offset
    else:
        return timestamp(_parse(str(value)), salt, fallback)
    if moment.microsecond == 0:
        moment = moment.replace(microsecond=_digest(salt + ":us") % 1_000_000 or 1)
    return moment


def _parse(value: str) -> datetime | date:
    value = value.strip()
    return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)


def iso(moment: datetime | None) -> str | None:
    """CKAN's naive ISO format with microseconds."""
    return None if moment is None else moment.isoformat(timespec="microseconds")


def group_dict(row: dict[str, Any]) -> dict[str, Any]:
    """The core group/organization columns (table_dictize of CKAN's `group` table)."""
    return {
        "approval_status": row["approval_status"],
        "created": iso(row["created"]),
        "description": row["description"],
        "id": row["id"],
        "image_url": row["image_url"],
        "is_organization": row["is_organization"],
        "name": row["name"],
        "state": row["state"],
        "title": row["title"],
        "type": row["type"],
    }


def group_in_package(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": row["description"],
        "display_name": row["title"] or row["name"],
        "id": row["id"],
        "image_display_url": row["image_url"],
        "name": row["name"],
        "title": row["title"],
    }


def tag_dict(tag_id: str, name: str) -> dict[str, Any]:
    return {
        "display_name": name,
        "id": tag_id,
        "name": name,
        "state": "active",
        "vocabulary_id": None,
    }


def license_fields(license_id: str, register: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """license_title/license_url/isopen as package_dictize derives them from the register."""
    entry = register.get(license_id)
    if entry is None:
        return {"isopen": False, "license_title": license_id}
    fields: dict[str, Any] = {
        "isopen": entry.get("od_conformance") == "approved"
        or entry.get("osd_conformance") == "approved",
        "license_title": entry.get("title") or license_id,
    }
    if entry.get("url"):
        fields["license_url"] = entry["url"]
    return fields


def resource_dict(
    *,
    resource_id: str,
    package_id: str,
    position: int,
    name: str,
    description: str,
    fmt: str,
    url: str,
    url_type: str | None,
    size: int | None,
    created: datetime,
    last_modified: datetime | None,
    datastore_active: bool,
) -> dict[str, Any]:
    return {
        "cache_last_updated": None,
        "cache_url": None,
        "created": iso(created),
        "datastore_active": datastore_active,
        "description": description,
        "format": fmt,
        "hash": "",
        "id": resource_id,
        "last_modified": iso(last_modified),
        "metadata_modified": iso(last_modified or created),
        "mimetype": MIMETYPES.get(fmt.upper()),
        "mimetype_inner": None,
        "name": name,
        "package_id": package_id,
        "position": position,
        "resource_type": None,
        "size": size,
        "state": "active",
        "url": url,
        "url_type": url_type,
    }


def absolute(package_or_resource: dict[str, Any], base_url: str) -> dict[str, Any]:
    """Make server-relative URLs absolute (in place) for the public base URL."""
    url = package_or_resource.get("url")
    if isinstance(url, str) and url.startswith("/"):
        package_or_resource["url"] = base_url + url
    for resource in package_or_resource.get("resources", ()):
        absolute(resource, base_url)
    return package_or_resource
