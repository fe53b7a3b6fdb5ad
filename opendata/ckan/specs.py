"""Parameters and result shapes of each action, for the OpenAPI document.

CKAN validates input itself (opendata.ckan.validation replicates it), so FastAPI does not parse
these parameters; they are declared here once and rendered as OpenAPI query parameters (GET)
and as a JSON request body (POST).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STRING: dict[str, Any] = {"type": "string"}
INTEGER: dict[str, Any] = {"type": "integer"}
NATURAL: dict[str, Any] = {"type": "integer", "minimum": 0}
BOOLEAN: dict[str, Any] = {"type": "boolean"}
STRING_LIST: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
OBJECT: dict[str, Any] = {"type": "object"}
# Solr sort: "field asc|desc[, …]" (a missing direction is a Search Query Error)
SORT_SPEC: dict[str, Any] = {
    "type": "string",
    "pattern": r"^\s*[A-Za-z_]+\s+(asc|desc)\s*(,\s*[A-Za-z_]+\s+(asc|desc)\s*)*$",
}


@dataclass(frozen=True)
class Param:
    name: str
    schema: dict[str, Any]
    description: str
    required: bool = False
    # How the value travels in a query string: "plain" or "json" (a JSON document as string).
    query_encoding: str = "plain"
    body_schema: dict[str, Any] | None = None

    def query_parameter(self) -> dict[str, Any]:
        parameter: dict[str, Any] = {
            "name": self.name,
            "in": "query",
            "required": self.required,
            "description": self.description,
        }
        if self.query_encoding == "json":
            parameter["content"] = {"application/json": {"schema": self.schema}}
        else:
            parameter["schema"] = self.schema
        return parameter


@dataclass(frozen=True)
class ActionSpec:
    name: str
    summary: str
    params: tuple[Param, ...] = ()
    result: dict[str, Any] = field(default_factory=dict)
    # package_search and datastore_search refuse unknown keys; other actions ignore them
    closed: bool = False

    def body_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {p.name: p.body_schema or p.schema for p in self.params},
            "required": [p.name for p in self.params if p.required],
        }
        if self.closed:
            schema["additionalProperties"] = False
        return schema


PACKAGE: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name", "title", "resources", "tags", "groups", "metadata_modified"],
    "properties": {
        "id": STRING,
        "name": STRING,
        "title": STRING,
        "notes": STRING,
        "url": STRING,
        "license_id": STRING,
        "license_title": STRING,
        "license_url": STRING,
        "metadata_created": STRING,
        "metadata_modified": STRING,
        "organization": {"type": ["object", "null"]},
        "resources": {"type": "array", "items": OBJECT},
        "tags": {"type": "array", "items": OBJECT},
        "groups": {"type": "array", "items": OBJECT},
    },
}
RESOURCE: dict[str, Any] = {
    "type": "object",
    "required": ["id", "package_id", "url", "format"],
    "properties": {"id": STRING, "package_id": STRING, "url": STRING, "format": STRING,
                   "datastore_active": BOOLEAN},
}
GROUP: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name", "title", "package_count"],
    "properties": {"id": STRING, "name": STRING, "title": STRING, "package_count": INTEGER},
}
NAMES_OR_GROUPS: dict[str, Any] = {"type": "array", "items": {"anyOf": [STRING, GROUP]}}

ID = Param("id", STRING, "Id or name", required=True)
LIMIT = Param("limit", NATURAL, "Page size")
OFFSET = Param("offset", NATURAL, "Offset of the page")
ALL_FIELDS = Param("all_fields", BOOLEAN, "Return dicts instead of names")


def _group_list(kind: str) -> ActionSpec:
    return ActionSpec(
        f"{kind}_list",
        f"Names (or dicts with all_fields) of the site's {kind}s",
        (
            Param("sort", STRING, "'title asc' (default), 'name', 'package_count desc'"),
            LIMIT,
            OFFSET,
            ALL_FIELDS,
            Param(f"{kind}s", STRING, f"Only these {kind}s (comma list)",
                  body_schema={"anyOf": [STRING, STRING_LIST]}),
            Param("q", STRING, "Substring of name, title or description"),
        ),
        NAMES_OR_GROUPS,
    )


def _group_show(kind: str) -> ActionSpec:
    return ActionSpec(
        f"{kind}_show",
        f"Details of a {kind}",
        (
            ID,
            Param("include_datasets", BOOLEAN, "Include the first datasets"),
            Param("include_extras", BOOLEAN, "Include extras (default true)"),
            Param("include_users", BOOLEAN, "Include users (default true)"),
            Param("include_groups", BOOLEAN, "Include sub-groups (default true)"),
            Param("include_tags", BOOLEAN, "Include tags (default true)"),
        ),
        GROUP,
    )


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec(
        "package_search",
        "Search datasets (German full-text search, Solr-style filters and facets)",
        (
            Param("q", STRING, "Search words or Solr query, e.g. 'Kitas' or 'tags:parken'"),
            Param("fq", STRING, "Filter query, e.g. 'organization:stadt-duisburg res_format:CSV'"),
            Param("fq_list", STRING_LIST, "Additional filter queries"),
            Param("sort", SORT_SPEC, "Default 'score desc, metadata_modified desc'"),
            Param("rows", NATURAL, "Page size (default 10, at most 1000)"),
            Param("start", NATURAL, "Offset of the first result"),
            Param("facet", STRING, "'true' (default) or 'false'"),
            Param("facet.field", STRING_LIST, "Fields to facet on, a JSON list",
                  query_encoding="json"),
            Param("facet.limit", INTEGER, "Values per facet (default 50, negative: all)"),
            Param("facet.mincount", NATURAL, "Minimum count of a facet value"),
            Param("fl", STRING, "Only these fields of each result (comma list)"),
            Param("include_private", BOOLEAN, "Include private datasets"),
            Param("include_drafts", BOOLEAN, "Include drafts"),
            Param("include_deleted", BOOLEAN, "Include deleted datasets"),
            Param("use_default_schema", BOOLEAN, "Use the default schema"),
        ),
        {
            "type": "object",
            "required": ["count", "results", "facets", "search_facets", "sort"],
            "properties": {
                "count": INTEGER,
                "results": {"type": "array", "items": OBJECT},
                "facets": OBJECT,
                "search_facets": OBJECT,
                "sort": STRING,
            },
        },
        closed=True,
    ),
    ActionSpec(
        "package_show",
        "Metadata of a dataset with its resources",
        (Param("id", STRING, "Id or name of the dataset", required=True),
         Param("use_default_schema", BOOLEAN, "Ignored")),
        PACKAGE,
    ),
    ActionSpec("package_list", "Names of all datasets", (LIMIT, OFFSET), STRING_LIST),
    _group_list("organization"),
    _group_show("organization"),
    _group_list("group"),
    _group_show("group"),
    ActionSpec(
        "tag_list",
        "Tags in use",
        (Param("query", STRING, "Substring of the tag name"),
         Param("vocabulary_id", STRING, "Only free tags exist here"),
         ALL_FIELDS),
        {"type": "array", "items": {"anyOf": [STRING, OBJECT]}},
    ),
    ActionSpec("license_list", "Licences of the site", (), {"type": "array", "items": OBJECT}),
    ActionSpec(
        "resource_show",
        "Metadata of a resource",
        (Param("id", STRING, "Resource id", required=True),),
        RESOURCE,
    ),
    ActionSpec(
        "datastore_search",
        "Search the rows of a datastore table (resource id or alias such as 'kitas')",
        (
            Param("resource_id", STRING, "Resource id or alias", required=True),
            Param("filters", OBJECT, "Field -> value (a list means any of)",
                  query_encoding="json"),
            Param("q", STRING, "Full text over the row, or a JSON object field -> words",
                  body_schema={"anyOf": [STRING, OBJECT]}),
            Param("plain", BOOLEAN, "Plain words (default) or tsquery syntax"),
            Param("distinct", BOOLEAN, "Distinct rows"),
            Param("fields", STRING, "Fields to return (comma list)",
                  body_schema={"anyOf": [STRING, STRING_LIST]}),
            Param("sort", STRING, "e.g. 'Ortsteil asc, freie Plätze desc'",
                  body_schema={"anyOf": [STRING, STRING_LIST]}),
            Param("limit", NATURAL, "Rows per page (default 100, at most 32000)"),
            Param("offset", NATURAL, "Offset"),
            Param("include_total", BOOLEAN, "Count all matching rows (default true)"),
            Param("records_format", {"type": "string",
                                     "enum": ["objects", "lists", "csv", "tsv"]},
                  "Record format"),
            Param("language", STRING, "Full-text language (ignored: German)"),
            Param("full_text", STRING, "Full text over the row"),
            Param("total_estimation_threshold", INTEGER, "Accepted; totals are always exact"),
            Param("id", STRING, "Old name of resource_id (CKAN renames it)"),
        ),
        {
            "type": "object",
            "required": ["resource_id", "fields", "records", "limit", "_links"],
            "properties": {
                "resource_id": STRING,
                "fields": {"type": "array", "items": OBJECT},
                "records": {"anyOf": [{"type": "array"}, STRING]},
                "limit": INTEGER,
                "total": INTEGER,
                "_links": OBJECT,
            },
        },
        closed=True,
    ),
    ActionSpec("status_show", "Site information and CKAN version", (), OBJECT),
    ActionSpec("site_read", "Whether the site may be read (always true)", (), BOOLEAN),
    ActionSpec(
        "help_show",
        "Documentation of an action",
        (Param("name", STRING, "Action name", required=True),),
        STRING,
    ),
)


def envelope_schema(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["help", "success", "result"],
        "properties": {"help": STRING, "success": {"const": True}, "result": result},
    }


ERROR_ENVELOPE: dict[str, Any] = {
    "type": "object",
    "required": ["help", "success", "error"],
    "properties": {
        "help": STRING,
        "success": {"const": False},
        "error": {"type": "object", "required": ["__type"], "properties": {"__type": STRING}},
    },
}


def responses(spec: ActionSpec) -> dict[int | str, dict[str, Any]]:
    def content(schema: dict[str, Any]) -> dict[str, Any]:
        return {"application/json": {"schema": schema}}

    return {
        200: {"description": "Success envelope", "content": content(envelope_schema(spec.result))},
        400: {
            "description": "Bad request (a JSON string) or Search Query Error",
            "content": content({"anyOf": [STRING, ERROR_ENVELOPE]}),
        },
        404: {"description": "Not Found Error", "content": content(ERROR_ENVELOPE)},
        409: {"description": "Validation Error or Search Error",
              "content": content(ERROR_ENVELOPE)},
    }
