"""Django admin for the feedback app's roadmap part."""
