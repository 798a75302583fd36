"""Alembic environment and schema versions (shipped with the package)."""
