"""errand policies."""
