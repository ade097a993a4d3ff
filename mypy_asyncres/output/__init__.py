"""Output: every error code and message, findings and how they are reported, the counts
of `--stats`."""
