"""`python -m runflow`: the `runflow` command."""

from runflow.cli import main

main()
