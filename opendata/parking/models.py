"""SQLAlchemy models of the parking domain."""
