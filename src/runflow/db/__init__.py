"""Database access: engine and sessions, declarative base and column types, migrations."""
