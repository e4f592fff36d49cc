"""Models of the provisioning app; added by the issue that builds it."""
