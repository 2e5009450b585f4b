"""errand evals."""
