"""SQLAlchemy models of the ckan domain."""
