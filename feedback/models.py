"""Models of the feedback app; added by the issue that builds it."""
