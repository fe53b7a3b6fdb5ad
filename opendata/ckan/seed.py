"""Load the catalogue folder of the data package into the CKAN tables and search indexes."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from opendata.ckan import search_index
from opendata.ckan.dicts import (
    group_dict,
    group_in_package,
    iso,
    license_fields,
    make_id,
    resource_dict,
    tag_dict,
    timestamp,
)
from opendata.ckan.models import (
    CkanDatastoreRecord,
    CkanDatastoreTable,
    CkanGroup,
    CkanPackage,
    CkanPackageDict,
    CkanPackageGroup,
    CkanPackageTag,
    CkanResource,
    CkanSetting,
    CkanTag,
)
from opendata.ckan.package_files import (
    Catalogue,
    DataPackageError,
    DatasetSpec,
    DatastoreSpec,
    load_catalogue,
    read_table,
)
from opendata.ckan.records import record_data, record_lexemes, table_csv
from opendata.ckan.text import Lexicon, build_lexicon, index_lexemes

log = logging.getLogger("opendata.ckan.seed")
EPOCH = datetime(2019, 3, 19, 9, 0)  # fallback creation time when the package gives none
BATCH = 2000


def seed(session: Session, source: Path) -> None:
    """Replace the catalogue, datastore and search index with the data package's content."""
    _clear(session)
    if not source.is_dir():
        log.warning("no catalogue folder at %s: the CKAN API serves an empty catalogue", source)
        return
    catalogue = load_catalogue(source)
    _Seeder(session, catalogue).run()


def _clear(session: Session) -> None:
    search_index.clear(session)
    for model in (
        CkanDatastoreRecord,
        CkanDatastoreTable,
        CkanResource,
        CkanPackageTag,
        CkanPackageGroup,
        CkanPackageDict,
        CkanPackage,
        CkanTag,
        CkanGroup,
        CkanSetting,
    ):
        session.execute(delete(model))


def _csv_size(fields: list[dict[str, Any]], rows: list[dict[str, Any]]) -> int:
    """Byte size of the CSV download, shown as the resource's `size`."""
    return len(table_csv(fields, rows).encode("utf-8"))


@dataclass
class _Table:
    resource_pk: int
    resource_id: str
    package: str
    spec: DatastoreSpec
    rows: list[dict[str, Any]]


class _Seeder:
    def __init__(self, session: Session, catalogue: Catalogue) -> None:
        self.session = session
        self.catalogue = catalogue
        self.register = {str(entry["id"]): entry for entry in catalogue.licenses}
        self.groups: dict[str, dict[str, Any]] = {}
        self.tags: dict[str, tuple[int, str]] = {}
        self.lexicon: Lexicon = Lexicon()
        self.package_dicts: list[dict[str, Any]] = []

    def run(self) -> None:
        self._settings()
        self._groups()
        self.lexicon = self._lexicon()
        self._setting("lexicon", self.lexicon.to_json())
        self._tags()
        self._datasets()

    def _setting(self, key: str, value: Any) -> None:
        self.session.execute(
            insert(CkanSetting), [{"key": key, "value": json.dumps(value, default=str)}]
        )

    def _settings(self) -> None:
        self._setting("site", self.catalogue.site)
        self._setting("licenses", self.catalogue.licenses)

    def _groups(self) -> None:
        rows = []
        entries = [(g, True) for g in self.catalogue.organizations]
        entries += [(g, False) for g in self.catalogue.groups]
        for pk, (raw, is_org) in enumerate(entries, start=1):
            name = str(raw.get("name") or "")
            if not name:
                raise DataPackageError("organizations/groups: every entry needs a name")
            kind = "organization" if is_org else "group"
            row = {
                "pk": pk,
                "id": make_id(kind, name),
                "name": name,
                "title": str(raw.get("title") or ""),
                "description": str(raw.get("description") or ""),
                "image_url": str(raw.get("image_url") or ""),
                "type": kind,
                "is_organization": is_org,
                "approval_status": "approved",
                "state": "active",
                "created": timestamp(raw.get("created"), f"{kind}:{name}", EPOCH),
                "extras": json.dumps(
                    [{"key": str(k), "value": str(v)}
                     for k, v in sorted((raw.get("extras") or {}).items())]
                ),
            }
            if name in self.groups:
                raise DataPackageError(f"organizations/groups: duplicate name {name!r}")
            self.groups[name] = row
            rows.append(row)
        if rows:
            self.session.execute(insert(CkanGroup), rows)

    def _lexicon(self) -> Lexicon:
        texts: list[str] = []
        for dataset in self.catalogue.datasets:
            texts += [dataset.title, dataset.notes, *dataset.tags]
            texts += [r.name for r in dataset.resources]
        texts += [g["title"] for g in self.groups.values()]
        search = self.catalogue.search
        return build_lexicon(
            texts,
            extra_vocabulary=[str(w) for w in search.get("vocabulary") or []],
            extra_stopwords=[str(w) for w in search.get("stopwords") or []],
            synonym_groups=[[str(w) for w in group] for group in search.get("synonyms") or []],
        )

    def _tags(self) -> None:
        names = sorted({t for d in self.catalogue.datasets for t in d.tags})
        rows = []
        for pk, name in enumerate(names, start=1):
            tag_id = make_id("tag", name)
            self.tags[name] = (pk, tag_id)
            rows.append({"pk": pk, "id": tag_id, "name": name})
        for start in range(0, len(rows), BATCH):
            self.session.execute(insert(CkanTag), rows[start:start + BATCH])

    def _datasets(self) -> None:
        packages, links_tag, links_group, resources, index_rows = [], [], [], [], []
        resource_pk = 0
        tables: list[_Table] = []
        for pk, dataset in enumerate(self.catalogue.datasets, start=1):
            package, dataset_resources = self._package(pk, dataset, resource_pk)
            resource_pk += len(dataset_resources)
            packages.append(package)
            resources += [row for row, _table in dataset_resources]
            tables += [table for _row, table in dataset_resources if table is not None]
            links_tag += [{"package_pk": pk, "tag_pk": self.tags[t][0]}
                          for t in dict.fromkeys(dataset.tags)]
            links_group += [{"package_pk": pk, "group_pk": self.groups[g]["pk"]}
                            for g in dict.fromkeys(dataset.groups)]
            index_rows.append(self._package_lexemes(pk, dataset))
        for model, rows in (
            (CkanPackage, packages),
            (CkanPackageDict, self.package_dicts),
            (CkanPackageTag, links_tag),
            (CkanPackageGroup, links_group),
            (CkanResource, resources),
        ):
            for start in range(0, len(rows), BATCH):
                self.session.execute(insert(model), rows[start:start + BATCH])
        for start in range(0, len(index_rows), BATCH):
            search_index.write_packages(self.session, index_rows[start:start + BATCH])
        self._datastore(tables)
        search_index.finish(self.session)

    def _package(
        self, pk: int, dataset: DatasetSpec, first_resource_pk: int
    ) -> tuple[dict[str, Any], list[tuple[dict[str, Any], _Table | None]]]:
        where = dataset.source
        package_id = make_id("package", dataset.name)
        created = timestamp(dataset.metadata_created, f"{dataset.name}:created", EPOCH)
        modified = timestamp(dataset.metadata_modified, f"{dataset.name}:modified", created)
        org = None
        if dataset.organization:
            org = self.groups.get(dataset.organization)
            if org is None or not org["is_organization"]:
                raise DataPackageError(f"{where}: unknown organization {dataset.organization!r}")
        groups = []
        for name in dict.fromkeys(dataset.groups):
            group = self.groups.get(name)
            if group is None or group["is_organization"]:
                raise DataPackageError(f"{where}: unknown group {name!r}")
            groups.append(group)
        resources = []
        resource_dicts = []
        for position, spec in enumerate(dataset.resources):
            resource_id = make_id("resource", f"{dataset.name}:{spec.name}")
            rows = read_table(spec.datastore) if spec.datastore else None
            if spec.datastore is not None:
                filename = spec.datastore.file.name
                url = f"/dataset/{dataset.name}/resource/{resource_id}/download/{filename}"
                url_type, size = "upload", _csv_size(spec.datastore.fields, rows or [])
            elif spec.url and spec.url.startswith(("http://", "https://", "/")):
                url, url_type, size = spec.url, None, spec.size
            else:
                url, url_type, size = f"/dataset/{dataset.name}/resource/{resource_id}", None, None
            salt = f"{dataset.name}:{spec.name}"
            resource_created = timestamp(spec.created, f"{salt}:created", created)
            last_modified = timestamp(spec.last_modified, f"{salt}:modified", modified)
            data = resource_dict(
                resource_id=resource_id,
                package_id=package_id,
                position=position,
                name=spec.name,
                description=spec.description,
                fmt=spec.format,
                url=url,
                url_type=url_type,
                size=size,
                created=resource_created,
                last_modified=last_modified,
                datastore_active=spec.datastore is not None,
            )
            resource_dicts.append(data)
            row = {
                "pk": first_resource_pk + position + 1,
                "id": resource_id,
                "package_pk": pk,
                "position": position,
                "format": spec.format,
                "data": json.dumps(data, ensure_ascii=False),
            }
            table = None
            if spec.datastore is not None:
                table = _Table(row["pk"], resource_id, dataset.name, spec.datastore, rows or [])
            resources.append((row, table))
        tags = [tag_dict(self.tags[t][1], t) for t in dict.fromkeys(dataset.tags)]
        package_dict: dict[str, Any] = {
            "author": dataset.author,
            "author_email": dataset.author_email,
            "creator_user_id": make_id("user", "datenportal"),
            "extras": [{"key": k, "value": v} for k, v in sorted(dataset.extras.items())],
            "groups": sorted((group_in_package(g) for g in groups),
                             key=lambda g: g["display_name"]),
            "id": package_id,
            **license_fields(dataset.license_id, self.register),
            "license_id": dataset.license_id,
            "maintainer": dataset.maintainer,
            "maintainer_email": dataset.maintainer_email,
            "metadata_created": iso(created),
            "metadata_modified": iso(modified),
            "name": dataset.name,
            "notes": dataset.notes,
            "num_resources": len(resource_dicts),
            "num_tags": len(tags),
            "organization": group_dict(org) if org else None,
            "owner_org": org["id"] if org else None,
            "private": False,
            "relationships_as_object": [],
            "relationships_as_subject": [],
            "resources": resource_dicts,
            "state": "active",
            "tags": sorted(tags, key=lambda t: t["name"]),
            "title": dataset.title.strip(),
            "type": "dataset",
            "url": f"/dataset/{dataset.name}",
            "version": dataset.version,
        }
        package_dict = dict(sorted(package_dict.items()))
        row = {
            "pk": pk,
            "id": package_id,
            "name": dataset.name,
            "title": dataset.title.strip(),
            "owner_org_pk": org["pk"] if org else None,
            "license_id": dataset.license_id,
            "type": "dataset",
            "state": "active",
            "private": False,
            "metadata_created": created,
            "metadata_modified": modified,
            "num_resources": len(resource_dicts),
            "num_tags": len(tags),
        }
        self.package_dicts.append(
            {"package_pk": pk, "data": json.dumps(package_dict, ensure_ascii=False)}
        )
        return row, resources

    def _package_lexemes(self, pk: int, dataset: DatasetSpec) -> search_index.PackageLexemes:
        lexicon = self.lexicon
        title = index_lexemes(f"{dataset.title} {dataset.name.replace('-', ' ')}", lexicon)
        tag_text = " ".join([*dataset.tags, *(self.groups[g]["title"] for g in dataset.groups)])
        org = self.groups.get(dataset.organization or "")
        body_text = " ".join(
            [
                dataset.notes,
                org["title"] if org else "",
                *(f"{r.name} {r.description} {r.format}" for r in dataset.resources),
                *dataset.extras.values(),
            ]
        )
        return search_index.PackageLexemes(
            pk=pk,
            title=title,
            tags=index_lexemes(tag_text, lexicon),
            body=index_lexemes(body_text, lexicon),
        )

    def _datastore(self, tables: list[_Table]) -> None:
        record_pk = 0
        aliases: set[str] = set()
        for table_pk, table in enumerate(tables, 1):
            store, rows, alias = table.spec, table.rows, table.spec.alias
            if alias:
                if alias in aliases:
                    raise DataPackageError(f"{table.package}: duplicate datastore alias {alias!r}")
                aliases.add(alias)
            self.session.execute(
                insert(CkanDatastoreTable),
                [{
                    "pk": table_pk,
                    "resource_pk": table.resource_pk,
                    "resource_id": table.resource_id,
                    "alias": alias,
                    "fields": json.dumps(store.fields, ensure_ascii=False),
                    "row_count": len(rows),
                }],
            )
            records, lexemes = [], []
            for row_id, row in enumerate(rows, start=1):
                record_pk += 1
                data = record_data(store.fields, row)
                records.append(
                    {"pk": record_pk, "table_pk": table_pk, "row_id": row_id, "data": data}
                )
                lexemes.append(search_index.RecordLexemes(record_pk, record_lexemes(store.fields,
                                                                                   data)))
            for start in range(0, len(records), BATCH):
                self.session.execute(insert(CkanDatastoreRecord), records[start:start + BATCH])
                search_index.write_records(self.session, lexemes[start:start + BATCH])
