"""HTTP routes of the ckan domain."""

from fastapi import APIRouter

router = APIRouter()
