"""The results store: SQLAlchemy 2, SQLite by default, PostgreSQL in production, Alembic migrations."""
