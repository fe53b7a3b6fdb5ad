"""CKAN Action API v3 emulation: catalogue, German search, datastore and landing pages."""

from opendata.ckan.routes import router

__all__ = ["router"]
