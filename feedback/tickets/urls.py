"""Pages of the feedback app's tickets part (included by feedback/urls.py)."""

urlpatterns: list = []
