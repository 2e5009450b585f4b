"""errand agents."""
