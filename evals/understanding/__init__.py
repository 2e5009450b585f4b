"""Measuring request understanding on a labelled set of English and Chinese requests."""
