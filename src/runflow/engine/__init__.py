"""The execution engine: the runs table as a durable queue, dispatchers, providers, completion."""
