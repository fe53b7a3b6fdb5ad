"""SQLAlchemy models of the transit domain."""
