"""CKAN Action API v3 client (the embedded server, opendata.ruhr, GovData, any CKAN 2.9+)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from actions.clients.http import ApiError, Fetched, JsonApi


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    notes: str
    formats: tuple[str, ...]
    licence: str
    licence_url: str
    organization: str
    modified: datetime | None
    url: str


@dataclass(frozen=True)
class Table:
    records: list[dict[str, Any]]
    total: int
    fetched: Fetched
    resource_id: str = ""  # the real id, also when the request used an alias


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_dataset(package: dict[str, Any], portal_url: str) -> Dataset:
    formats = []
    for resource in package.get("resources") or []:
        fmt = str(resource.get("format") or "").strip().upper()
        if fmt and fmt not in formats:
            formats.append(fmt)
    name = str(package.get("name", ""))
    licence = str(package.get("license_title") or package.get("license_id") or "")
    short = re.search(r"\(([^()]{2,30})\)\s*$", licence)  # "… Deutschland (CC BY 3.0 DE)"
    return Dataset(
        name=name,
        title=str(package.get("title") or name),
        notes=str(package.get("notes") or ""),
        formats=tuple(formats),
        licence=short.group(1) if short else licence,
        licence_url=str(package.get("license_url") or ""),
        organization=str((package.get("organization") or {}).get("title", "")),
        modified=_time(package.get("metadata_modified")),
        url=f"{portal_url.rstrip('/')}/dataset/{name}",
    )


class CkanClient:
    def __init__(self, api: JsonApi, portal_url: str | None = None) -> None:
        self.api = api
        self.portal_url = portal_url or api.base_url

    async def _action(self, action: str, params: dict[str, Any]) -> tuple[Any, Fetched]:
        try:
            fetched = await self.api.get(f"/api/3/action/{action}", params)
        except ApiError as error:
            body = getattr(error, "body", None)
            if isinstance(body, dict) and body.get("success") is False:
                kind = (body.get("error") or {}).get("__type", "")
                raise ApiError("not_found" if "Not Found" in kind else "rejected", kind) from error
            raise
        body = fetched.data
        if not isinstance(body, dict) or body.get("success") is not True or "result" not in body:
            raise ApiError("bad_response", f"{action}: not a CKAN envelope")
        return body["result"], fetched

    async def search_datasets(
        self, query: str, rows: int = 3
    ) -> tuple[list[Dataset], int, Fetched]:
        result, fetched = await self._action("package_search", {"q": query, "rows": rows})
        packages = result.get("results") or []
        return (
            [parse_dataset(p, self.portal_url) for p in packages],
            int(result.get("count") or 0),
            fetched,
        )

    async def dataset_of_resource(self, resource_id: str) -> Dataset | None:
        """The dataset a datastore resource belongs to (for the source line)."""
        try:
            resource, _ = await self._action("resource_show", {"id": resource_id})
            package, _ = await self._action("package_show", {"id": resource["package_id"]})
        except (ApiError, KeyError, TypeError):
            return None
        return parse_dataset(package, self.portal_url)

    async def datastore(
        self,
        resource_id: str,
        filters: dict[str, Any] | None = None,
        q: str | None = None,
        sort: str | None = None,
        limit: int = 100,
    ) -> Table:
        params: dict[str, Any] = {"resource_id": resource_id, "limit": limit}
        if filters:
            params["filters"] = json.dumps(filters, ensure_ascii=False)
        if q:
            params["q"] = q
        if sort:
            params["sort"] = sort
        result, fetched = await self._action("datastore_search", params)
        records = result.get("records")
        if not isinstance(records, list):
            raise ApiError("bad_response", "datastore_search without records")
        return Table(
            records=records,
            total=int(result.get("total") or len(records)),
            fetched=fetched,
            resource_id=str(result.get("resource_id") or resource_id),
        )
