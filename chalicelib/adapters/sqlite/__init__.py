"""The storage ports on SQLite: the embedded default of `make run` and of the fast tests (DESIGN 6.1)."""
from chalicelib.adapters.sqlite.database import MEMORY, SCHEMA_VERSION, Database, SchemaError
from chalicelib.adapters.sqlite.repositories import repositories

__all__ = ["MEMORY", "SCHEMA_VERSION", "Database", "SchemaError", "repositories"]
