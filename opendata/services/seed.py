"""Load the services part of the data package."""

from pathlib import Path

from sqlalchemy.orm import Session


def seed(session: Session, source: Path) -> None:
    """Replace the domain's rows with the data package's content (idempotent)."""
