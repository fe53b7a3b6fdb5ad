"""SQLAlchemy models of the services domain."""
