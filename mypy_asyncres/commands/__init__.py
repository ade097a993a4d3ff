"""The command line: `mypy-asyncres` and its own options."""
