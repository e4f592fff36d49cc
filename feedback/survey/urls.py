"""Pages of the feedback app's survey part (included by feedback/urls.py)."""

urlpatterns: list = []
