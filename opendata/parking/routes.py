"""HTTP routes of the parking domain."""

from fastapi import APIRouter

router = APIRouter()
