"""JSON endpoints of the feedback app's survey part (included under /api/ by feedback/api.py)."""

urlpatterns: list = []
