"""Facts about classes and parameters: marks, owner classes, owning parameters (read when
mypy analyses a class, kept in its metadata)."""
