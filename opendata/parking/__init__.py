"""parking domain of the open-data server."""

from opendata.parking.routes import router

__all__ = ["router"]
