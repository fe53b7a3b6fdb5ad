"""HTTP routes of the CKAN emulation: one GET and one POST route per Action API action.

`/api/3/action/<name>` is documented in the OpenAPI document; the legacy alias
`/api/action/<name>` (used by ckanapi) is served by the same handlers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from opendata import demo
from opendata.ckan import actions, pages
from opendata.ckan.api import (
    Action,
    bad_request,
    help_url,
    json_response,
    request_data,
    run_action,
)
from opendata.ckan.datastore import datastore_search
from opendata.ckan.errors import AuthorizationError, BadRequest, NotFound, ValidationError
from opendata.ckan.package_search import package_search
from opendata.ckan.specs import ACTIONS, ActionSpec, responses

router = APIRouter(tags=["ckan"])
PREFIXES = ("/api/3/action", "/api/action")

# Write actions of CKAN: known, but this read-only portal refuses them like an anonymous user,
# whatever credentials come with the request: no write action is implemented, so no token can
# unlock one. The read actions are public on purpose: they mirror a public portal.
WRITE_ACTIONS = {
    "package_create", "package_update", "package_patch", "package_delete", "resource_create",
    "resource_update", "resource_patch", "resource_delete", "datastore_create",
    "datastore_upsert", "datastore_delete", "organization_create", "group_create",
    "organization_update", "group_update", "user_create", "datastore_search_sql",
}


def help_show(session: Any, data: dict[str, Any]) -> str:
    name = data.get("name")
    if name is None:
        raise ValidationError({"name": ["Missing value"]})
    spec = next((s for s in ACTIONS if s.name == name), None)
    if spec is None:
        raise NotFound("Action function not found")
    lines = [spec.summary, ""]
    lines += [f":param {p.name}: {p.description}" for p in spec.params]
    return "\n".join(lines)


HANDLERS: dict[str, Action] = {
    "package_search": package_search,
    "package_show": actions.package_show,
    "package_list": actions.package_list,
    "organization_list": actions.organization_list,
    "organization_show": actions.organization_show,
    "group_list": actions.group_list,
    "group_show": actions.group_show,
    "tag_list": actions.tag_list,
    "license_list": actions.license_list,
    "resource_show": actions.resource_show,
    "status_show": actions.status_show,
    "site_read": actions.site_read,
    "help_show": help_show,
}


def _endpoint(name: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            data = await request_data(request)
        except BadRequest as error:
            return bad_request(error)
        if name == "datastore_search":
            url = request.url.path + (f"?{request.url.query}" if request.url.query else "")

            def action(session: Any, payload: dict[str, Any]) -> Any:
                return datastore_search(session, payload, current_url=url)

            response = await run_in_threadpool(run_action, name, action, data)
            if response.status_code == 200:  # the records of a demo package are demo values
                response.headers.update(demo.headers("ckan"))
            return response
        return await run_in_threadpool(run_action, name, HANDLERS[name], data)

    return endpoint


def _register(spec: ActionSpec) -> None:
    endpoint = _endpoint(spec.name)
    docs = {"summary": spec.summary, "responses": responses(spec)}
    for prefix in PREFIXES:
        listed = prefix == PREFIXES[0]
        router.add_api_route(
            f"{prefix}/{spec.name}",
            endpoint,
            methods=["GET"],
            operation_id=f"{spec.name}_get" if listed else None,
            include_in_schema=listed,
            openapi_extra={"parameters": [p.query_parameter() for p in spec.params]},
            **docs,
        )
        router.add_api_route(
            f"{prefix}/{spec.name}",
            endpoint,
            methods=["POST"],
            operation_id=f"{spec.name}_post" if listed else None,
            include_in_schema=listed,
            openapi_extra={
                "requestBody": {
                    "required": False,
                    "content": {"application/json": {"schema": spec.body_schema()}},
                }
            },
            **docs,
        )


async def method_not_allowed(request: Request) -> Response:
    """Like Flask's answer for an action URL: only GET and POST (OPTIONS lists them)."""
    headers = {"Allow": "GET, POST"}
    if request.method == "OPTIONS":
        return Response(status_code=200, headers=headers)
    return Response(b'"Method Not Allowed"', status_code=405, headers=headers,
                    media_type="application/json;charset=utf-8")


for _spec in ACTIONS:
    _register(_spec)
    for _prefix in PREFIXES:
        router.add_api_route(
            f"{_prefix}/{_spec.name}",
            method_not_allowed,
            methods=["PUT", "PATCH", "DELETE", "OPTIONS"],
            include_in_schema=False,
        )


async def unknown_action(request: Request) -> Response:
    """CKAN answers an unknown action with 400 and a bare string; write actions with 403."""
    name = request.path_params["logic_function"]
    if name in WRITE_ACTIONS:
        error = AuthorizationError(f"Action {name} requires an authorized user")
        return json_response(
            {"help": help_url(name), "error": error.error_dict(), "success": False}, 403
        )
    shown = name if len(name) <= 200 else name[:200] + "…"
    return bad_request(BadRequest(f"Action name not known: {shown}"))


for _prefix in PREFIXES:
    router.add_api_route(
        f"{_prefix}/{{logic_function}}",
        unknown_action,
        methods=["GET", "POST"],
        include_in_schema=False,
    )


@router.get("/api/3", summary="Action API version", include_in_schema=False)
def api_version() -> dict[str, int]:
    return {"version": 3}


router.include_router(pages.router)
