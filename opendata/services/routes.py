"""HTTP routes of the services domain."""

from fastapi import APIRouter

router = APIRouter()
