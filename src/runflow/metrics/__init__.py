"""Prometheus metrics (DESIGN §20): what the engine, the senders and the API count and time,
and `/metrics`, which serves them with the queue's depth read from the database."""
