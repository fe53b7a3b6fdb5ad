"""services domain of the open-data server."""

from opendata.services.routes import router

__all__ = ["router"]
