"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy import text
from sqlalchemy.orm import Session

from opendata import clock
from opendata.db import get_session

router = APIRouter(tags=["health"])


@router.get("/health", summary="Health check (database reachable, data seeded)")
def health(session: Session = Depends(get_session)) -> dict:
    session.execute(text("SELECT 1"))
    return {"status": "ok", "time": clock.now().isoformat().replace("+00:00", "Z")}
