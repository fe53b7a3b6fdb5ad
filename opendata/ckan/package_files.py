"""Read the catalogue folder of a data package (plain YAML and CSV files).

Layout (see opendata/data/duisburg/catalogue/README.md):
  site.yaml            site_title, site_description, locale_default, ckan_version, extensions
  licenses.yaml        licence register [{id, title, url, status, od_conformance, osd_conformance}]
  organizations.yaml   [{name, title, description, image_url, created}]
  groups.yaml          [{name, title, description, image_url, created}]
  search.yaml          {stopwords: [...], vocabulary: [...], synonyms: [[word, ...], ...]}
  datasets/*.yaml      one dataset (mapping) or several (list) per file
  datastore/*.csv      datastore tables referenced by a resource's `datastore.file`
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

try:  # libyaml makes the 10,000-dataset benchmark package load in seconds
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader  # type: ignore[assignment]

FIELD_TYPES = ("text", "int4", "int8", "numeric", "float8", "date", "timestamp", "bool")


class DataPackageError(ValueError):
    """The data package is malformed; the message names the file and the problem."""


@dataclass
class DatastoreSpec:
    alias: str | None
    file: Path
    fields: list[dict[str, Any]]


@dataclass
class ResourceSpec:
    name: str
    format: str
    description: str = ""
    url: str | None = None
    size: int | None = None
    created: Any = None
    last_modified: Any = None
    datastore: DatastoreSpec | None = None


@dataclass
class DatasetSpec:
    name: str
    title: str
    notes: str
    organization: str | None
    license_id: str
    groups: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    author: str | None = None
    author_email: str | None = None
    maintainer: str | None = None
    maintainer_email: str | None = None
    version: str | None = None
    metadata_created: Any = None
    metadata_modified: Any = None
    extras: dict[str, str] = field(default_factory=dict)
    resources: list[ResourceSpec] = field(default_factory=list)
    source: str = ""


@dataclass
class Catalogue:
    site: dict[str, Any]
    licenses: list[dict[str, Any]]
    organizations: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    search: dict[str, Any]
    datasets: list[DatasetSpec]


def _load_yaml(path: Path, default: Any) -> Any:
    if not path.exists():
        return default
    try:
        with path.open(encoding="utf-8") as handle:
            content = yaml.load(handle, Loader=SafeLoader)
    except yaml.YAMLError as exc:
        raise DataPackageError(f"{path}: invalid YAML: {exc}") from exc
    return default if content is None else content


def _require(mapping: dict[str, Any], key: str, where: str) -> Any:
    value = mapping.get(key)
    if value in (None, ""):
        raise DataPackageError(f"{where}: '{key}' is required")
    return value


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _prose(value: Any) -> str:
    """Descriptions: paragraphs are separated by blank lines, single line breaks are joined."""
    text = str(value or "").strip()
    return re.sub(r"[ \t]*(?<!\n)\n(?!\n)[ \t]*", " ", text)


def _datastore(raw: dict[str, Any], folder: Path, where: str) -> DatastoreSpec:
    file = folder / str(_require(raw, "file", where))
    if not file.is_file():
        raise DataPackageError(f"{where}: datastore file {file} not found")
    fields = raw.get("fields") or []
    if not isinstance(fields, list) or not fields:
        raise DataPackageError(f"{where}: datastore needs a list of fields")
    checked = []
    for spec in fields:
        if not isinstance(spec, dict) or not spec.get("id"):
            raise DataPackageError(f"{where}: each field needs an id")
        name = str(spec["id"])
        if name.startswith("_") or '"' in name or name != name.strip():
            raise DataPackageError(f"{where}: invalid datastore field name {name!r}")
        kind = str(spec.get("type", "text"))
        if kind not in FIELD_TYPES:
            raise DataPackageError(f"{where}: field {name!r} has unknown type {kind!r}")
        entry: dict[str, Any] = {"id": name, "type": kind}
        if isinstance(spec.get("info"), dict):
            entry["info"] = {str(k): str(v) for k, v in spec["info"].items()}
        checked.append(entry)
    alias = raw.get("alias")
    return DatastoreSpec(alias=str(alias) if alias else None, file=file, fields=checked)


def _resource(raw: Any, folder: Path, where: str) -> ResourceSpec:
    if not isinstance(raw, dict):
        raise DataPackageError(f"{where}: a resource must be a mapping")
    datastore = raw.get("datastore")
    return ResourceSpec(
        name=str(_require(raw, "name", where)),
        format=str(raw.get("format") or ("CSV" if datastore else "")),
        description=_prose(raw.get("description")),
        url=_text(raw.get("url")),
        size=int(raw["size"]) if raw.get("size") is not None else None,
        created=raw.get("created"),
        last_modified=raw.get("last_modified"),
        datastore=_datastore(datastore, folder, where) if isinstance(datastore, dict) else None,
    )


def _dataset(raw: Any, folder: Path, where: str) -> DatasetSpec:
    if not isinstance(raw, dict):
        raise DataPackageError(f"{where}: a dataset must be a mapping")
    name = str(_require(raw, "name", where))
    where = f"{where} ({name})"
    extras = raw.get("extras") or {}
    if not isinstance(extras, dict):
        raise DataPackageError(f"{where}: extras must be a mapping")
    return DatasetSpec(
        name=name,
        title=str(_require(raw, "title", where)),
        notes=_prose(raw.get("notes")),
        organization=_text(raw.get("organization")),
        license_id=str(raw.get("license_id") or "notspecified"),
        groups=[str(g) for g in raw.get("groups") or []],
        tags=[str(t) for t in raw.get("tags") or []],
        author=_text(raw.get("author")),
        author_email=_text(raw.get("author_email")),
        maintainer=_text(raw.get("maintainer")),
        maintainer_email=_text(raw.get("maintainer_email")),
        version=_text(raw.get("version")),
        metadata_created=raw.get("metadata_created"),
        metadata_modified=raw.get("metadata_modified"),
        extras={str(k): str(v) for k, v in extras.items()},
        resources=[_resource(r, folder, where) for r in raw.get("resources") or []],
        source=where,
    )


def load_catalogue(folder: Path) -> Catalogue:
    """Parse and check the catalogue folder; raise DataPackageError on malformed content."""
    datasets: list[DatasetSpec] = []
    for path in sorted((folder / "datasets").glob("*.yaml")):
        content = _load_yaml(path, [])
        for raw in content if isinstance(content, list) else [content]:
            datasets.append(_dataset(raw, folder, path.name))
    names = [d.name for d in datasets]
    if len(names) != len(set(names)):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise DataPackageError(f"{folder}: duplicate dataset names {dupes[:5]}")
    return Catalogue(
        site=_load_yaml(folder / "site.yaml", {}),
        licenses=_load_yaml(folder / "licenses.yaml", []),
        organizations=_load_yaml(folder / "organizations.yaml", []),
        groups=_load_yaml(folder / "groups.yaml", []),
        search=_load_yaml(folder / "search.yaml", {}),
        datasets=datasets,
    )


def _convert(value: str, kind: str, where: str) -> Any:
    """A CSV cell as the typed JSON value the datastore returns; '' is NULL."""
    value = value.strip()
    if value == "":
        return None
    try:
        if kind in ("int4", "int8"):
            return int(value)
        if kind in ("numeric", "float8"):
            number = float(value.replace(",", ".")) if kind == "float8" else float(value)
            return int(number) if kind == "numeric" and number.is_integer() else number
        if kind == "date":
            return date.fromisoformat(value).isoformat()
        if kind == "timestamp":
            return datetime.fromisoformat(value).replace(tzinfo=None).isoformat(timespec="seconds")
        if kind == "bool":
            lowered = value.lower()
            if lowered in ("true", "t", "1", "ja", "yes", "y"):
                return True
            if lowered in ("false", "f", "0", "nein", "no", "n"):
                return False
            raise ValueError(value)
    except ValueError as exc:
        raise DataPackageError(f"{where}: {value!r} is not a valid {kind}") from exc
    return value


def read_table(spec: DatastoreSpec) -> list[dict[str, Any]]:
    """Rows of a datastore CSV (UTF-8, comma, header = field ids) as typed dicts."""
    types = {f["id"]: f["type"] for f in spec.fields}
    with spec.file.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [name for name in types if name not in header]
        if missing:
            raise DataPackageError(f"{spec.file}: columns {missing} missing in the header")
        rows = []
        for number, raw in enumerate(reader, start=2):
            where = f"{spec.file.name}:{number}"
            rows.append({name: _convert(raw.get(name) or "", kind, where)
                         for name, kind in types.items()})
    return rows
