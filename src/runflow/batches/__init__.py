"""Batches: one request running a model on 1–100 inputs, tracked as one object."""
