"""transit domain of the open-data server."""

from opendata.transit.routes import router

__all__ = ["router"]
