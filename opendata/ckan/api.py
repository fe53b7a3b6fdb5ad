"""The Action API plumbing of ckan/views/api.py: request data, envelope, error responses."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session

from opendata.ckan import catalogue
from opendata.ckan.errors import BadRequest, CkanError, ValidationError
from opendata.ckan.validation import Invalid, loads
from opendata.db import get_sessionmaker
from opendata.limits import MAX_BODY_BYTES, MAX_PARAMS, MAX_VALUE_CHARS, LimitExceeded

log = logging.getLogger("opendata.ckan")
MAX_BODY = MAX_BODY_BYTES  # the server-wide bound (opendata.limits) also holds here
JSON_TYPE = "application/json;charset=utf-8"

Action = Callable[[Session, dict[str, Any]], Any]


def help_url(action: str) -> str:
    return f"{catalogue.base_url()}/api/3/action/help_show?name={action}"


def json_response(body: Any, status: int = 200) -> Response:
    try:
        content = json.dumps(body, ensure_ascii=False, default=str).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate echoed from the input: escape it
        content = json.dumps(body, default=str).encode("ascii")
    return Response(content, status_code=status, media_type=JSON_TYPE)


def bad_request(error: BadRequest) -> Response:
    """CKAN's _finish_bad_request: HTTP 400 with a bare JSON string."""
    return json_response(error.body, 400)


def _mixed(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """werkzeug MultiDict -> dict: a repeated key becomes a list (CKAN's `mixed`). Linear."""
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    return {key: values[0] if len(values) == 1 else values for key, values in grouped.items()}


async def request_data(request: Request) -> dict[str, Any]:
    """The action's data dict from the form, the query string or the JSON body (in that order)."""
    query = _mixed(list(request.query_params.multi_items()))
    if request.method == "GET":
        return query
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_BODY:
        raise BadRequest("JSON Error: request body too large")
    body = await request.body()
    if len(body) > MAX_BODY:
        raise BadRequest("JSON Error: request body too large")
    if content_type == "application/x-www-form-urlencoded" and body:
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                              max_num_fields=MAX_PARAMS)
        except UnicodeDecodeError:
            raise BadRequest("JSON Error: form data is not UTF-8") from None
        except ValueError:
            raise BadRequest(f"JSON Error: more than {MAX_PARAMS} form fields") from None
        if any(len(value) > MAX_VALUE_CHARS for _, value in pairs):
            raise BadRequest(f"JSON Error: a form value is longer than {MAX_VALUE_CHARS} characters")
        form = _mixed(pairs)
        if len(form) == 1 and next(iter(form.values())) in ("1", ""):
            body = next(iter(form)).encode("utf-8")  # legacy: JSON sent as the form key
        else:
            return form
    elif query:
        return query
    if not body.strip():
        return {}
    try:
        data = loads(body.decode("utf-8"))
    except LimitExceeded as exceeded:
        raise BadRequest(f"JSON Error: {exceeded}") from None
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(
            "JSON Error: Error decoding JSON data. Error: <BadRequest '400: Bad Request'> "
            "JSON data extracted from the request: {}"
        ) from None
    if not isinstance(data, dict):
        shown = json.dumps(data)[:200]
        raise BadRequest(
            f"JSON Error: Request data JSON decoded to {shown} but it needs to be a dictionary."
        )
    return data


def _clean(value: Any) -> Any:
    """Strings as both databases can store them: no NUL, no lone surrogates."""
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = value.encode("utf-8", "replace").decode("utf-8")
        return value
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, dict):
        return {_clean(key): _clean(item) for key, item in value.items()}
    return value


def run_action(name: str, action: Action, data: dict[str, Any]) -> Response:
    """Call an action in its own session and wrap the outcome in CKAN's envelope."""
    envelope: dict[str, Any] = {"help": help_url(name)}
    try:
        with get_sessionmaker()() as session:
            try:
                result = action(session, _clean(data))
            except DataError:  # a value the database refuses: CKAN's datastore answer
                log.warning("ckan action %s: database refused a value", name)
                raise ValidationError({"query": ["Invalid query"]}) from None
    except Invalid as invalid:  # a validator used outside a schema: still the caller's fault
        error = ValidationError({"message": invalid.message})
        envelope["error"] = error.error_dict()
        envelope["success"] = False
        return json_response(envelope, error.status)
    except CkanError as error:
        envelope["error"] = error.error_dict()
        envelope["success"] = False
        return json_response(envelope, error.status)
    except Exception:
        log.exception("ckan action %s failed", name)
        envelope["error"] = {"__type": "Internal Server Error", "message": "Internal Server Error"}
        envelope["success"] = False
        return json_response(envelope, 500)
    envelope["success"] = True
    envelope["result"] = result
    return json_response(envelope)
