"""Service-wide secrets (cursor and URL signing), shared by every process through the database."""
