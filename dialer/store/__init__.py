"""Persistence: SQLAlchemy models, the engine/session factory and migrations. SQL lives here and nowhere else."""
