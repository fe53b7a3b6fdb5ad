"""applications domain of the open-data server."""

from opendata.applications.routes import router

__all__ = ["router"]
