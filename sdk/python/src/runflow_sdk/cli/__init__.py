"""`rf`: the Runflow API from a shell. Exit codes: 0 ok, 1 API error, 2 usage error."""

from runflow_sdk.cli.app import main

__all__ = ["main"]
