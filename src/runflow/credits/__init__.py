"""Credits: the ledger, enforcement with reservations, estimates and low-balance alerts (§16)."""
