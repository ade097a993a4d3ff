"""Cache and daemon: what mypy's cache keeps of the plugin, what invalidates it, and the
fine-grained dependencies the daemon needs."""
