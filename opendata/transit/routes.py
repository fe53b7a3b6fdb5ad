"""HTTP routes of the transit domain."""

from fastapi import APIRouter

router = APIRouter()
