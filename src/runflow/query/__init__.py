"""The query kit shared by list endpoints: keyset cursors (filters, sorts and projections next)."""
