"""Pages of the feedback app's metrics part (included by feedback/urls.py)."""

urlpatterns: list = []
