"""`python -m opendata` serves the open-data API with uvicorn."""

from __future__ import annotations

import logging

import uvicorn

from opendata.settings import get_settings


def main() -> None:
    settings = get_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    uvicorn.run(
        "opendata.app:app",
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,  # our own access log leaves out query strings (personal data)
    )


if __name__ == "__main__":
    main()
