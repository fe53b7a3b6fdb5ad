"""SQLAlchemy models of the applications domain."""
