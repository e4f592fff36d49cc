"""Django admin for the feedback app's survey part."""
