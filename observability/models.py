"""Models of the observability app; added by the issue that builds it."""
