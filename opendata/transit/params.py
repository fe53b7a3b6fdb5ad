"""Reading EFA request parameters strictly: bad input becomes an EFA-style 400, never a 500.

The patterns below are also published in the OpenAPI document (routes), so a request that
satisfies the documented schema is accepted and one that violates it is rejected.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.responses import JSONResponse
from starlette.datastructures import QueryParams

from opendata.transit.efa import envelope, system_message

MAX_PARAMS = 80
MAX_TEXT = 200  # longest stop name or id we accept (real ones are far shorter)

# Free text: no control characters; a required text needs one visible character.
TEXT = r"[^\x00-\x1f\x7f]*"
REQUIRED_TEXT = r"[^\x00-\x1f\x7f]*[^\x00-\x20\x7f][^\x00-\x1f\x7f]*"
# YYYYMMDD in 2000-2099, real calendar dates only (29 February in leap years).
DATE = (
    r"20\d\d(?:(?:0[1-9]|1[0-2])(?:0[1-9]|1\d|2[0-8])|(?:0[13-9]|1[0-2])(?:29|30)"
    r"|(?:0[13578]|1[02])31)|20(?:0[048]|[2468][048]|[13579][26])0229"
)
TIME = r"(?:[01]?\d|2[0-3]):?[0-5]\d"  # HHMM or HH:MM
FLAG = r"[01]|[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]"
RAPID_JSON = r"[Rr][Aa][Pp][Ii][Dd][Jj][Ss][Oo][Nn]"
WGS84 = r"[Ww][Gg][Ss]84[^\x00-\x1f\x7f]{0,35}"
_LON = r"-?(?:180(?:\.0+)?|(?:1[0-7]\d|\d{1,2})(?:\.\d+)?)"
_LAT = r"-?(?:90(?:\.0+)?|[0-8]?\d(?:\.\d+)?)"
# Without surrounding spaces (parse_coord strips them first): no two adjacent ` *` that could
# share a run of spaces, so matching stays linear whatever the value contains.
_COORD_CORE = rf"({_LON}) *: *({_LAT})(?: *: *[Ww][Gg][Ss]84(?:\[[A-Za-z.]*\])?(?: *:)?)?"
COORD = rf" *{_COORD_CORE} *"  # the published pattern: the same, spaces around allowed


def _optional(pattern: str) -> str:
    return rf"^(?:{pattern})?$"


def schema(kind: str, **extra: Any) -> dict[str, Any]:
    """The OpenAPI schema of a parameter kind (see `Params`)."""
    schemas: dict[str, dict[str, Any]] = {
        "text": {"type": "string", "maxLength": MAX_TEXT, "pattern": _optional(TEXT)},
        "required_text": {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_TEXT,
            "pattern": f"^{REQUIRED_TEXT}$",
        },
        "date": {"type": "string", "pattern": _optional(DATE)},
        "time": {"type": "string", "pattern": _optional(TIME)},
        "flag": {"type": "string", "pattern": _optional(FLAG)},
        "output": {"type": "string", "pattern": _optional(RAPID_JSON)},
        "coord_output": {"type": "string", "pattern": _optional(WGS84)},
        "coord": {"type": "string", "pattern": f"^{COORD}$"},
        "any": {"type": "string"},
    }
    return {**schemas[kind], **extra}


class EfaParamError(ValueError):
    """A request parameter is missing or invalid (HTTP 400 with an EFA system message)."""

    def __init__(self, parameter: str, text: str, code: int = -8020) -> None:
        super().__init__(f"{parameter}: {text}")
        self.parameter, self.text, self.code = parameter, text, code

    def response(self) -> JSONResponse:
        body = envelope(
            systemMessages=[system_message(self.code, f"{self.parameter}: {self.text}")]
        )
        return JSONResponse(body, status_code=400)


def _matches(pattern: str, value: str) -> bool:
    return re.fullmatch(pattern, value) is not None


@dataclass(frozen=True)
class Params:
    """The query string of one EFA request with typed, validated accessors.

    An empty value counts as absent (as with EFA's HTML forms), except for numbers.
    """

    raw: QueryParams | Mapping[str, str]

    def __post_init__(self) -> None:
        items = self.raw.multi_items() if isinstance(self.raw, QueryParams) else self.raw.items()
        if len(list(items)) > MAX_PARAMS:
            raise EfaParamError("query", f"too many parameters (max {MAX_PARAMS})")

    def _raw(self, name: str) -> str | None:
        """The parameter's value; a parameter may be given once only."""
        if isinstance(self.raw, QueryParams) and len(self.raw.getlist(name)) > 1:
            raise EfaParamError(name, "given more than once")
        return self.raw.get(name)

    def _value(self, name: str) -> str | None:
        value = self._raw(name)
        return value if value else None

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = self._value(name)
        if value is not None and len(value) > MAX_TEXT:
            raise EfaParamError(name, f"longer than {MAX_TEXT} characters")
        if value is not None and not _matches(TEXT, value):
            raise EfaParamError(name, "contains control characters")
        if value is None or not value.strip():
            if required:
                raise EfaParamError(name, "missing")
            return None
        return value.strip()

    def texts(self, name: str) -> list[str]:
        """All values of a repeatable parameter, also comma-separated ones."""
        if isinstance(self.raw, QueryParams):
            values = self.raw.getlist(name)
        else:
            values = [self.raw[name]] if name in self.raw else []
        out = []
        for value in values:
            if len(value) > MAX_TEXT or not _matches(TEXT, value):
                raise EfaParamError(name, "invalid value")
            out.extend(v.strip() for v in value.split(",") if v.strip())
        return out

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        value = self._raw(name)
        if value is None:
            return default
        if not _matches(r"[+-]?\d{1,10}", value):
            raise EfaParamError(name, "not an integer")
        number = int(value)
        if not low <= number <= high:
            raise EfaParamError(name, f"must be between {low} and {high}")
        return number

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        value = self._value(name)
        if value is None:
            return default
        if value not in choices:
            raise EfaParamError(name, f"must be one of {', '.join(choices)}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self._value(name)
        if value is None:
            return default
        if not _matches(FLAG, value):
            raise EfaParamError(name, "must be 0 or 1")
        return value.lower() in ("1", "true")

    def check_output_format(self) -> None:
        """The parameters every EFA request shares."""
        output = self._value("outputFormat")
        if output is not None and not _matches(RAPID_JSON, output):
            raise EfaParamError("outputFormat", "only rapidJSON is supported")
        coords = self._value("coordOutputFormat")
        if coords is not None and not _matches(WGS84, coords):
            raise EfaParamError("coordOutputFormat", "only WGS84[dd.ddddd] is supported")
        self.flag("useRealtime", True)  # common to all requests; validated even where unused

    def moment(self, tz: ZoneInfo, now: datetime) -> datetime:
        """itdDate (YYYYMMDD) and itdTime (HHMM) in local time, as UTC; defaults: now."""
        local_now = now.astimezone(tz)
        day_text, time_text = self._value("itdDate"), self._value("itdTime")
        if day_text is None and time_text is None:
            return now.astimezone(timezone.utc)
        day = local_now.date()
        if day_text is not None:
            if not _matches(DATE, day_text):
                raise EfaParamError("itdDate", "expected a date YYYYMMDD (2000-2099)")
            day = date(int(day_text[:4]), int(day_text[4:6]), int(day_text[6:]))
        clock = time(local_now.hour, local_now.minute)
        if time_text is not None:
            if not _matches(TIME, time_text):
                raise EfaParamError("itdTime", "expected HHMM")
            digits = time_text.replace(":", "")
            clock = time(int(digits[:-2]), int(digits[-2:]))
        return datetime.combine(day, clock, tzinfo=tz).astimezone(timezone.utc)

    def departure_mode(self, name: str = "itdTripDateTimeDepArr") -> None:
        value = self._value(name)
        if value is not None and value != "dep":
            raise EfaParamError(name, "only dep (departures) is supported by this server")


def parse_coord(value: str, parameter: str) -> tuple[float, float]:
    """EFA coordinate "lon:lat:WGS84[dd.ddddd]" -> (lat, lon)."""
    match = re.fullmatch(_COORD_CORE, value.strip(" "))
    if not match:
        raise EfaParamError(parameter, "expected <lon>:<lat>:WGS84[dd.ddddd]")
    return float(match.group(2)), float(match.group(1))
