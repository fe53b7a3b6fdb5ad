"""ParkAPI's error bodies: `{"error": {"code": ..., "message": ..., "data": ...}}`.

Shape and codes as park-api-v3's RestApiErrorHandler and validataclass produce them, e.g. 400
`validation_error` with `data.field_errors.<param>.code` = `invalid_integer`, 404 `not_found`.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse


class ParkApiError(Exception):
    """An error answered in ParkAPI's shape with the given HTTP status."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        data: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.data = data
        self.headers = headers

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data:
            error["data"] = self.data
        return {"error": error}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


def field_errors(errors: dict[str, dict[str, Any]]) -> ParkApiError:
    """Per-parameter validation errors (validataclass `field_errors`)."""
    return ParkApiError(
        400,
        "validation_error",
        "Validation errors in query parameters.",
        {"code": "field_errors", "field_errors": errors},
    )


def post_validation_error(reason: str) -> ParkApiError:
    """A rule across parameters failed (validataclass `post_validation_errors`)."""
    return ParkApiError(
        400,
        "validation_error",
        "Validation errors in query parameters.",
        {"code": "post_validation_errors", "error": {"code": "validation_error", "reason": reason}},
    )


def not_found(message: str) -> ParkApiError:
    return ParkApiError(404, "not_found", message)


def method_not_allowed() -> ParkApiError:
    return ParkApiError(
        405,
        "method_not_allowed",
        "The method is not allowed for the requested URL.",
        headers={"Allow": "GET"},
    )
