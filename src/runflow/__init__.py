"""Runflow: run AI image and video models in batches over an HTTP API."""

__version__ = "0.1.0"
