"""What is a resource: the type predicate and the built-in catalogue."""
