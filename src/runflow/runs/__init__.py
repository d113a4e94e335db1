"""Runs: one execution of a model on one input, the unit the engine queues."""
