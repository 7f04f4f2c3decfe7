"""Alembic migrations of the operational store. Run them with `digigov db upgrade`."""
