"""Where a call sits: the site model, the walker that makes sites, the lazy index, and
the local flows of a bound value (pure syntax over mypy's nodes)."""
