"""Django admin for the feedback app's metrics part."""
