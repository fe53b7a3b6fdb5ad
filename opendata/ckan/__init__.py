"""ckan domain of the open-data server."""

from opendata.ckan.routes import router

__all__ = ["router"]
