"""Alembic migrations; `refbot migrate` runs them (see migrations/runner.py)."""
