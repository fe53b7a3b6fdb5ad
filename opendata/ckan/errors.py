"""CKAN's exceptions and how ckan/views/api.py turns them into HTTP responses."""

from __future__ import annotations

from typing import Any


class CkanError(Exception):
    """An error that the Action API reports in its envelope."""

    status = 500
    type_ = "Internal Server Error"

    def error_dict(self) -> dict[str, Any]:
        return {"__type": self.type_, "message": "Internal Server Error"}


class NotFound(CkanError):
    status = 404
    type_ = "Not Found Error"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.detail = detail

    def error_dict(self) -> dict[str, Any]:
        message = f"Not found: {self.detail}" if self.detail else "Not found"
        return {"__type": self.type_, "message": message}


class ValidationError(CkanError):
    """409 with the field -> messages dict next to `__type`, as CKAN sends it."""

    status = 409
    type_ = "Validation Error"

    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__(errors)
        self.errors = errors

    def error_dict(self) -> dict[str, Any]:
        return {**self.errors, "__type": self.type_}


class SearchQueryError(CkanError):
    status = 400
    type_ = "Search Query Error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def error_dict(self) -> dict[str, Any]:
        return {"__type": self.type_, "message": f"Search Query is invalid: {self.detail!r}"}


class SearchError(CkanError):
    status = 409
    type_ = "Search Error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def error_dict(self) -> dict[str, Any]:
        return {"__type": self.type_, "message": f"Search error: ({self.detail!r},)"}


class AuthorizationError(CkanError):
    status = 403
    type_ = "Authorization Error"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.detail = detail

    def error_dict(self) -> dict[str, Any]:
        message = f"Access denied: {self.detail}" if self.detail else "Access denied"
        return {"__type": self.type_, "message": message}


class BadRequest(Exception):
    """CKAN answers these with HTTP 400 and a bare JSON string, not an envelope."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    @property
    def body(self) -> str:
        return f"Bad request: {self.detail}"
