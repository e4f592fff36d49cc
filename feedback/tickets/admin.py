"""Django admin for the feedback app's tickets part."""
