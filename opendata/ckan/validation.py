"""A small replica of CKAN's navl validation: same conversions, same error messages.

CKAN validates action input with schemas of validator chains (ckan/logic/schema.py); its error
messages ("Invalid integer", "Must be a natural number", "Missing value" ...) reach API clients in
409 Validation Error responses, so they are reproduced verbatim.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from opendata.limits import loads_bounded

MISSING: Any = object()


class Invalid(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Stop(Exception):
    pass


Validator = Callable[[Any], Any]


def ignore_missing(value: Any) -> Any:
    if value is MISSING or value is None:
        raise _Stop
    return value


def default(fallback: Any) -> Validator:
    def apply(value: Any) -> Any:
        return fallback if value is MISSING or value is None or value == "" else value

    return apply


def not_missing(value: Any) -> Any:
    if value is MISSING:
        raise Invalid("Missing value")
    return value


def not_empty(value: Any) -> Any:
    if value is False or (value == 0 and not isinstance(value, str)):
        return value
    if value is MISSING or not value:
        raise Invalid("Missing value")
    return value


def int_validator(value: Any) -> int | None:
    """Integers from strings or whole numbers; None for blank input (CKAN's int_validator)."""
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            return int(value)
        return None
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return int(value.strip())
        except ValueError:
            raise Invalid("Invalid integer") from None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise Invalid("Invalid integer")


def natural_number(value: Any) -> int:
    number = int_validator(value)
    if number is None:
        raise _Stop
    if number < 0:
        raise Invalid("Must be a natural number")
    return number


def positive_integer(value: Any) -> int:
    number = int_validator(value)
    if number is None:
        raise _Stop
    if number < 1:
        raise Invalid("Must be a positive integer")
    return number


def limit_to(maximum: int) -> Validator:
    """CKAN's limit_to_configured_maximum: larger values are clamped, not refused."""

    def apply(value: int) -> int:
        return min(value, maximum)

    return apply


def boolean(value: Any) -> bool:
    """CKAN's boolean_validator: true/yes/t/y/1 are true, anything else false."""
    if value is MISSING or value is None:
        return False
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "yes", "t", "y", "1")


TRUE_WORDS = ("true", "yes", "on", "y", "t", "1")
FALSE_WORDS = ("false", "no", "off", "n", "f", "0", "")


def asbool(value: Any, name: str) -> bool:
    """CKAN's asbool (used for include_* flags); unknown words are a validation error here."""
    if value is MISSING or value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise Invalid(f"{name}: String is not true/false: {str(value)[:100]!r}")


def unicode_safe(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is MISSING or value is None:
        return ""
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(value)


def loads(value: str) -> Any:
    """json.loads within the server's JSON limits (depth, entries, string length; see
    opendata.limits): a document beyond them raises LimitExceeded, a ValueError."""
    return loads_bounded(value)


def convert_to_json_if_string(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return loads(value)
        except ValueError:
            raise Invalid("Could not parse as valid JSON") from None
    return value


def list_of_strings(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise Invalid("Not a list")
    for item in value:
        if not isinstance(item, str):
            raise Invalid(f"Not a string: {item}")
    return value


def convert_to_list_if_string(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def json_validator(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return value
    try:
        return loads(value)
    except (ValueError, TypeError):
        raise Invalid("Cannot parse JSON") from None


def unicode_or_json(value: Any) -> Any:
    """A JSON object stays a dict; anything else becomes a string (datastore `q`)."""
    if value is None or isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            parsed = loads(value)
        except ValueError:
            return value
        return parsed if isinstance(parsed, dict) else value
    return unicode_safe(value)


def list_of_strings_or_string(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        raise Invalid("Not a list")
    for item in value:
        if not isinstance(item, (str, list)):
            raise Invalid(f"Neither a string nor a list: {item}")
    return value


def one_of(options: tuple[str, ...]) -> Validator:
    def apply(value: Any) -> Any:
        if value not in options:
            raise Invalid(f"Value must be one of {list(options)}")
        return value

    return apply


Schema = dict[str, list[Validator]]


def validate(data: dict[str, Any], schema: Schema) -> tuple[dict[str, Any], dict[str, list]]:
    """Run each field's chain; return (converted data incl. unknown keys, errors)."""
    clean: dict[str, Any] = {k: v for k, v in data.items() if k not in schema}
    errors: dict[str, list] = {}
    for key, chain in schema.items():
        value = data.get(key, MISSING)
        try:
            for validator in chain:
                value = validator(value)
        except _Stop:
            continue
        except Invalid as exc:
            errors[key] = [exc.message]
            continue
        if value is not MISSING:
            clean[key] = value
    return clean, errors


def get_list(value: Any, strip_values: bool = True) -> list[Any] | None:
    """ckanext.datastore.helpers.get_list: "a, b" or ["a", "b"] -> ["a", "b"]."""
    if value is None:
        return None
    if value == "":
        return []
    if isinstance(value, str):
        items: list[Any] = [part.strip() for part in value.split(",") if part.strip()]
    else:
        items = list(value)
    if not strip_values:
        return items
    return [_strip_quotes(item) for item in items]


def _strip_quotes(item: Any) -> Any:
    if isinstance(item, str) and item and item[0] == item[-1]:
        return item.strip().strip('"')
    return item
